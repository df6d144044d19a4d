"""JobClient (PyFlink's ``pyflink.common.job_client.JobClient``) over a DispatcherGateway.

``get_job_execution_result`` waits for the job with a long poll and, for an attached run,
writes what the job printed on the TaskManagers to this process's stdout as it arrives.
"""
from __future__ import annotations

import sys
from typing import Any, TextIO

from runtime.common.completable_future import CompletableFuture
from runtime.common.job import JobExecutionResult, JobID, JobStatus
from runtime.compat.unsupported import raise_not_supported


class JobExecutionException(Exception):
    """The job ended FAILED (or CANCELED while a result was awaited); carries the cause."""

    def __init__(self, job_id: str, state: str, cause: str | None) -> None:
        head = f"Job {job_id} {'failed' if state == 'FAILED' else 'ended ' + state}"
        super().__init__(f"{head}: {cause}" if cause else head)
        self.job_id = job_id
        self.state = state
        self.cause = cause


#: earlier name of the future ``cancel()`` returns
CompletedFuture = CompletableFuture


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
        self.final: dict[str, Any] | None = None

    def get_job_id(self) -> JobID:
        return JobID.from_hex(self._job_id)

    def get_job_status(self) -> JobStatus:
        return JobStatus[self._gateway.request_job(self._job_id)["state"]]

    def cancel(self) -> CompletableFuture:
        self._gateway.cancel_job(self._job_id)
        return CompletableFuture(None)

    def stop_with_savepoint(self, advance_to_end_of_event_time: bool,
                            savepoint_directory: str | None = None) -> CompletableFuture:
        """Savepoints need checkpointing, which this engine does not have yet."""
        raise_not_supported("pyflink.common.job_client.JobClient.stop_with_savepoint")

    def trigger_savepoint(self, savepoint_directory: str | None = None) -> CompletableFuture:
        """Savepoints need checkpointing, which this engine does not have yet."""
        raise_not_supported("pyflink.common.job_client.JobClient.trigger_savepoint")

    def get_accumulators(self) -> CompletableFuture:
        """Flink's accumulators; PyFlink's Python functions cannot define any, so empty."""
        return CompletableFuture({})

    def poll(self, collect_offset: int = 0, wait: float = 1.0, ack: int | None = None) -> dict[str, Any]:
        reply = self._gateway.poll_job(self._job_id, self._offset, collect_offset, wait, ack)
        text = reply.get("output") or ""
        if text:
            out = self._echo or sys.stdout
            out.write(text)
            out.flush()
        self._offset = reply.get("offset", self._offset)
        self._more = bool(reply.get("more"))
        if reply.get("result"):
            self.final = reply["result"]
        return reply

    def wait(self) -> dict[str, Any]:
        # after the job ended, keep reading until every printed line has been relayed
        while self.final is None or self._more:
            self.poll(wait=0.0 if self._more else 1.0)
        return self.final

    def get_job_execution_result(self) -> JobExecutionResult:
        result = self.wait()
        if result["state"] != JobStatus.FINISHED.name:
            raise JobExecutionException(self._job_id, result["state"], result.get("failure"))
        return JobExecutionResult(self.get_job_id(), int(result.get("duration") or 0))
