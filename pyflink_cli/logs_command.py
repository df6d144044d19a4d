"""``pyflink logs JOB [-f]``: what a job printed, read from the TaskManagers that ran it
(like ``ray job logs [-f]``).

Each TaskManager keeps the output of its tasks per job (``runtime.taskexecutor.job_output_store``),
so this works for detached jobs and after a job finished, as long as those TaskManagers run and
keep the files (``taskmanager.job-output.retained-jobs``). The output of every TaskManager is
printed in order; lines of different TaskManagers are interleaved as they are read. With
``-f`` the command follows a running job, printing lines as they are written, and exits when
the job has ended and all of its output is printed.
"""
from __future__ import annotations

import sys
import time

from pyflink_cli.client import ClusterClient
from pyflink_cli.frontend import CliFrontend, fail
from runtime.messages.log_messages import MAX_CHUNK_BYTES, JobOutputCursor

#: pause between reads of a followed job when nothing new was printed
FOLLOW_INTERVAL = 0.2


def show_job_output(frontend: CliFrontend, job_id: str, follow: bool) -> int:
    client = ClusterClient(frontend)
    try:
        jid = str(client.resolve_job_id(job_id))
        cursor = JobOutputCursor()
        found = False
        while True:
            output = client.request_job_output(jid, cursor, MAX_CHUNK_BYTES, timeout=60.0)
            text = output.text
            if text:
                sys.stdout.write(text)
                sys.stdout.flush()
            found = found or output.found
            cursor = cursor.advanced(output.chunks)
            if output.more:
                continue
            if not follow or output.finished:
                break
            if output.state.is_globally_terminal_state() and not found:
                break  # ended, and no TaskManager holds anything of it
            time.sleep(FOLLOW_INTERVAL)
        if not found:
            fail(f"no TaskManager holds output of job {jid} ({output.state.name}): it was never deployed, or the "
                 "TaskManagers that ran it are gone or dropped its output (taskmanager.job-output.retained-jobs); "
                 "the TaskManagers' .out files in env.log.dir have everything they printed")
        return 0
    finally:
        client.close()
