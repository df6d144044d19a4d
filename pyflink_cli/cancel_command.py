"""``pyflink cancel``: record the job as cancelled for good, then wait until it is CANCELED.

The Dispatcher writes CANCELED into the job result store before it asks the tasks to stop,
so the job never runs again once the command returns, whatever its tasks do. The command
then follows the job until it reaches a terminal state: within a second or two for tasks
that stop when asked or when interrupted, up to ``task.cancellation.timeout`` for a task
stuck outside the interpreter (its TaskManager then ends itself and is replaced). On a
terminal it shows what it waits for; piped, it prints only the outcome.
"""
from __future__ import annotations

import json
import sys
import time

from pyflink_cli.client import ClusterClient
from pyflink_cli.frontend import CliFrontend
from pyflink_cli.progress import WaitStatus
from runtime.configuration import options as opts

_POLL = 0.05


def cancel_job(frontend: CliFrontend, job_id: str, wait: float | None, json_out: bool) -> int:
    client = ClusterClient(frontend)
    if wait is None:
        wait = frontend.config.get(opts.TASK_CANCELLATION_TIMEOUT) / 1000.0 + 10.0
    start = time.monotonic()
    details = client.cancel_job(job_id)
    jid = str(details.job_id)
    state = details.state
    with WaitStatus(f"Cancelling job {jid}", None if not json_out else False) as status:
        while not state.is_globally_terminal_state() and time.monotonic() - start < wait:
            status.update(f"{state.name}, waiting for its tasks to stop")
            time.sleep(_POLL)
            state = client.request_job(jid).details.state
    elapsed = time.monotonic() - start
    done = state.is_globally_terminal_state()
    if json_out:
        print(json.dumps({"jid": jid, "state": state.name, "seconds": round(elapsed, 3), "timed_out": not done}))
    elif done:
        verb = "Cancelled" if state.name == "CANCELED" else "Job ended before it was cancelled:"
        print(f"{verb} job {jid} (state {state.name}) in {elapsed:.1f} s.")
    else:
        print(f"error: job {jid} is still {state.name} after {elapsed:.0f} s; it is recorded as CANCELED and will "
              "not run again, and its tasks are being stopped (see the TaskManager logs)", file=sys.stderr)
    client.close()
    return 0 if done else 1
