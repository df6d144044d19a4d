#!/usr/bin/env bash
# Start or stop a JobManager (Flink's bin/jobmanager.sh).
#   scripts/jobmanager.sh start [OPTIONS]             in the background, no local TaskManagers
#   scripts/jobmanager.sh start-foreground [OPTIONS]  in this terminal until Ctrl-C (no TaskManagers)
#   scripts/jobmanager.sh stop [OPTIONS]
# OPTIONS are passed to `pyflink jobmanager <command>`: --conf-dir DIR, -D key=value.
set -euo pipefail

usage() {
    echo "usage: $(basename "$0") (start|start-foreground|stop) [--conf-dir DIR] [-D key=value ...]" >&2
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
    exec pyflink jobmanager "${command}" "$@"
fi
# Not installed: run the CLI from this checkout.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="${repo}${PYTHONPATH:+:${PYTHONPATH}}"
exec python3 -m pyflink_cli jobmanager "${command}" "$@"
