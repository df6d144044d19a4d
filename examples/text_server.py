"""A tiny line server for the socket examples (instead of `nc -lk PORT`).

    python examples/text_server.py 9000            # type lines; Ctrl-D closes the connection
    python examples/text_server.py 9000 file.txt   # serve a file's lines, then close
"""
import socket
import sys


def main():
    port = int(sys.argv[1])
    source = open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin
    with socket.create_server(("127.0.0.1", port)) as server:
        print(f"listening on 127.0.0.1:{port}; waiting for the job to connect", file=sys.stderr)
        conn, _ = server.accept()
        with conn:
            for line in source:
                conn.sendall(line.encode())


if __name__ == "__main__":
    main()
