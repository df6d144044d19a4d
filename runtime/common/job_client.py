"""JobClient (PyFlink's ``pyflink.common.job_client.JobClient``) over a DispatcherGateway.

``get_job_execution_result`` waits for the job with a long poll and, for an attached run,
writes what the job printed on the TaskManagers to this process's stdout as it arrives.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # imported where used: concurrent.futures (and logging) cost run -d ~3 ms
    from runtime.common.completable_future import CompletableFuture
from runtime.common.job import JobExecutionResult, JobID, JobStatus


def _future(value: Any) -> CompletableFuture:
    from runtime.common.completable_future import CompletableFuture
    return CompletableFuture(value)


class JobExecutionException(Exception):
    """The job ended FAILED (or CANCELED while a result was awaited); carries the cause."""

    def __init__(self, job_id: str, state: str, cause: str | None) -> None:
        head = f"Job {job_id} {'failed' if state == 'FAILED' else 'ended ' + state}"
        super().__init__(f"{head}: {cause}" if cause else head)
        self.job_id = job_id
        self.state = state
        self.cause = cause


class JobClient:
    """A submitted job, as PyFlink's ``pyflink.common.job_client.JobClient``.

    ``get_job_status()`` and ``get_job_execution_result()`` return the status and the result
    themselves; both also answer ``.result()``, so PyFlink's ``client.get_job_status().result()``
    reads the same. The other calls return a :class:`CompletableFuture`.
    """

    def __init__(self, gateway: Any, job_id: str, echo_output: TextIO | None = None) -> None:
        self._gateway = gateway
        self._job_id = job_id
        self._echo = echo_output
        self._offset = 0
        self._more = False
        self.final: Any = None  # the JobResult once the job has ended
        #: called with every poll's reply, before its output is written (the CLI's live status)
        self.on_poll: Callable[[Any], None] | None = None

    def get_job_id(self) -> JobID:
        return JobID.from_hex(self._job_id)

    def get_job_status(self) -> JobStatus:
        return self._gateway.request_job(self._job_id).details.state

    def cancel(self) -> CompletableFuture:
        self._gateway.cancel_job(self._job_id)
        return _future(None)

    def get_accumulators(self) -> CompletableFuture:
        """Flink's accumulators; PyFlink's Python functions cannot define any, so empty."""
        return _future({})

    def trigger_savepoint(self, savepoint_directory: str | None = None) -> CompletableFuture:
        """PyFlink's JobClient.trigger_savepoint: the future's result is the savepoint's path."""
        return _future(self._gateway.trigger_savepoint(self._job_id, savepoint_directory, timeout=3600.0))

    def stop_with_savepoint(self, advance_to_end_of_event_time: bool,
                            savepoint_directory: str | None = None) -> CompletableFuture:
        """PyFlink's JobClient.stop_with_savepoint (``advance_to_end_of_event_time``: drain)."""
        return _future(self._gateway.stop_with_savepoint(self._job_id, savepoint_directory,
                                                                 advance_to_end_of_event_time, timeout=3600.0))

    def poll(self, collect_offset: int = 0, wait: float = 1.0, ack: int | None = None) -> Any:
        reply = self._gateway.poll_job(self._job_id, self._offset, collect_offset, wait, ack,
                                       timeout=wait + 10.0)
        if self.on_poll is not None:
            self.on_poll(reply)
        if reply.output:
            out = self._echo or sys.stdout
            out.write(reply.output)
            out.flush()
        self._offset = reply.offset
        self._more = reply.more
        if reply.result is not None:
            self.final = reply.result
        return reply

    def wait(self) -> Any:
        # after the job ended, keep reading until every printed line has been relayed
        while self.final is None or self._more:
            self.poll(wait=0.0 if self._more else 1.0)
        return self.final

    def get_job_execution_result(self) -> JobExecutionResult:
        result = self.wait()
        if result.state is not JobStatus.FINISHED:
            raise JobExecutionException(self._job_id, result.state.name, result.failure)
        return JobExecutionResult(self.get_job_id(), result.duration)
