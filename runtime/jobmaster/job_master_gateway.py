"""JobMasterGateway (Flink's): what TaskExecutors and the Dispatcher ask of one job's
JobMaster. Calls are fenced with the JobMaster's id."""
from __future__ import annotations

from typing import Protocol

from runtime.common.job import JobStatus
from runtime.messages.archived_execution_graph import ExecutionGraphInfo
from runtime.messages.checkpoint_messages import CheckpointAck
from runtime.messages.checkpoint_stats import CheckpointStatistics
from runtime.messages.ids import AllocationID, ExecutionAttemptID, ResourceID
from runtime.messages.job_messages import JobDetailsInfo, JobPollResult, JobResult
from runtime.messages.taskmanager_messages import SlotOffer, TaskExecutionState


def jobmaster_name(job_id: object) -> str:
    return f"jobmaster-{job_id}"


class JobMasterGateway(Protocol):
    async def offer_slots(self, resource_id: ResourceID, data_address: str,
                          offers: list[SlotOffer]) -> list[AllocationID]:
        """Slots a TaskManager offers for this job; returns the accepted ones."""

    async def update_task_execution_state(self, state: TaskExecutionState) -> bool: ...

    async def job_output(self, text: str) -> None:
        """What the job's tasks printed (a tell, in order per TaskManager)."""

    async def collect_batch(self, payload: bytes) -> bool:
        """A collect sink's batch; answered once the JobMaster has room (flow control)."""

    async def acknowledge_checkpoint(self, ack: CheckpointAck) -> None: ...

    async def decline_checkpoint(self, execution_id: ExecutionAttemptID, checkpoint_id: int, reason: str) -> None: ...

    async def trigger_savepoint(self, target_directory: str | None, terminate: bool, drain: bool) -> str:
        """Take a savepoint (and with ``terminate`` stop the job with it); returns its path."""

    async def request_checkpoint_stats(self) -> CheckpointStatistics: ...

    async def disconnect_task_manager(self, resource_id: ResourceID, cause: str) -> None: ...

    async def cancel(self) -> None: ...

    async def suspend(self) -> None:
        """The JobManager goes away without the job ending: stop tasks, record nothing."""

    async def request_job_status(self) -> JobStatus: ...

    async def request_job_details(self) -> JobDetailsInfo: ...

    async def request_job_result(self) -> JobResult | None:
        """The terminal result, or None while the job runs."""

    async def request_execution_graph_info(self) -> ExecutionGraphInfo:
        """The job's vertices, subtasks, plan edges, configuration, checkpoints and failures."""

    async def poll(self, offset: int, collect_offset: int, timeout: float, ack: int | None) -> JobPollResult: ...
