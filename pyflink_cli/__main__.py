from pyflink_cli.cli import main

main()
