#!/usr/bin/env bash
# Start a standalone cluster on this host: a JobManager and `taskmanager.count`
# TaskManagers, in the background (Flink's bin/start-cluster.sh).
# Every argument is passed to `pyflink cluster start`, e.g.
#   scripts/start-cluster.sh --conf-dir /etc/pyflink -D taskmanager.count=4
set -euo pipefail

if command -v pyflink >/dev/null 2>&1; then
    exec pyflink cluster start "$@"
fi
# Not installed: run the CLI from this checkout.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="${repo}${PYTHONPATH:+:${PYTHONPATH}}"
exec python3 -m pyflink_cli cluster start "$@"
