#!/usr/bin/env bash
# Stop the standalone cluster recorded in env.pid.dir: cancel running jobs, stop the
# JobManager and every TaskManager (Flink's bin/stop-cluster.sh).
# Every argument is passed to `pyflink cluster stop`, e.g.
#   scripts/stop-cluster.sh --conf-dir /etc/pyflink
set -euo pipefail

if command -v pyflink >/dev/null 2>&1; then
    exec pyflink cluster stop "$@"
fi
# Not installed: run the CLI from this checkout.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="${repo}${PYTHONPATH:+:${PYTHONPATH}}"
exec python3 -m pyflink_cli cluster stop "$@"
