"""``pyflink savepoint`` and ``pyflink stop``: Flink's savepoint and stop-with-savepoint.

A savepoint is a checkpoint the user owns: written to ``execution.checkpointing.savepoint-dir``
(``state.savepoints.dir``) or the directory given, never deleted by pyflink, and restorable
with ``pyflink run -s DIR`` at the same or another parallelism.
"""
from __future__ import annotations

import json
import time

from pyflink_cli.client import ClusterClient
from pyflink_cli.frontend import CliFrontend, fail
from runtime.configuration import options as opts


def _target(frontend: CliFrontend, directory: str | None) -> str:
    target = directory or frontend.config.get(opts.SAVEPOINT_DIRECTORY)
    if not target:
        fail("no savepoint directory: give one (pyflink savepoint ID DIR, pyflink stop -p DIR ID) or set "
             "execution.checkpointing.savepoint-dir (state.savepoints.dir) in the configuration")
    if "://" not in target:
        import os
        target = os.path.abspath(os.path.expanduser(target))
    return target


def trigger_savepoint(frontend: CliFrontend, job_id: str, directory: str | None, json_out: bool) -> int:
    client = ClusterClient(frontend)
    target = _target(frontend, directory)
    start = time.monotonic()
    path = client.trigger_savepoint(job_id, target, timeout=3600.0)
    _report(path, time.monotonic() - start, json_out)
    return 0


def stop_with_savepoint(frontend: CliFrontend, job_id: str, directory: str | None, drain: bool, json_out: bool) -> int:
    client = ClusterClient(frontend)
    target = _target(frontend, directory)
    start = time.monotonic()
    path = client.stop_with_savepoint(job_id, target, drain, timeout=3600.0)
    _report(path, time.monotonic() - start, json_out)
    return 0


def _report(path: str, seconds: float, json_out: bool) -> None:
    if json_out:
        print(json.dumps({"savepoint": path, "seconds": round(seconds, 3)}))
    else:
        print(f"Savepoint completed. Path: {path}")
