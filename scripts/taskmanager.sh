#!/usr/bin/env bash
# Start or stop a TaskManager on this host (Flink's bin/taskmanager.sh).
#   scripts/taskmanager.sh start [--jobmanager HOST:PORT] [OPTIONS]             in the background
#   scripts/taskmanager.sh start-foreground [--jobmanager HOST:PORT] [OPTIONS]  in this terminal
#   scripts/taskmanager.sh stop [--all] [OPTIONS]
# OPTIONS are passed to `pyflink taskmanager <command>`: --conf-dir DIR, -D key=value.
# Without --jobmanager the TaskManager joins jobmanager.rpc.address:jobmanager.rpc.port.
set -euo pipefail

usage() {
    echo "usage: $(basename "$0") (start|start-foreground|stop) [--jobmanager HOST:PORT] [--all]" \
         "[--conf-dir DIR] [-D key=value ...]" >&2
    exit 1
}

[[ $# -ge 1 ]] || usage
command="$1"
shift
case "${command}" in
    start|start-foreground|stop) ;;
    *) usage ;;
esac

if command -v pyflink >/dev/null 2>&1; then
    exec pyflink taskmanager "${command}" "$@"
fi
# Not installed: run the CLI from this checkout.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="${repo}${PYTHONPATH:+:${PYTHONPATH}}"
exec python3 -m pyflink_cli taskmanager "${command}" "$@"
