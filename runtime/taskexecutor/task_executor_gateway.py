"""TaskExecutorGateway (Flink's): what the ResourceManager and JobMasters ask of a TaskManager."""
from __future__ import annotations

from typing import Protocol

from runtime.common.job import JobID
from runtime.deployment.task_deployment_descriptor import JobMasterAddress, TaskDeploymentDescriptor
from runtime.messages.checkpoint_messages import CheckpointOptions
from runtime.messages.ids import AllocationID, ExecutionAttemptID
from runtime.messages.log_messages import JobOutputChunk, LogFileChunk, LogFileType, LogInfo
from runtime.messages.taskmanager_messages import SlotReport
from runtime.metrics.metric_dump import MetricDumps

NAME = "taskexecutor"


class TaskExecutorGateway(Protocol):
    async def heartbeat_from_resource_manager(self) -> SlotReport: ...

    async def heartbeat_from_job_manager(self, job_id: JobID) -> list[AllocationID]:
        """The slots this TaskManager holds for the job."""

    async def request_slot(self, index: int, job_id: JobID, allocation_id: AllocationID,
                           jobmaster: JobMasterAddress) -> bool:
        """Allocate the slot to the job and offer it to its JobMaster."""

    async def free_slot(self, allocation_id: AllocationID) -> bool: ...

    async def submit_task(self, tdd: TaskDeploymentDescriptor) -> bool: ...

    async def trigger_checkpoint(self, execution_id: ExecutionAttemptID, options: CheckpointOptions) -> bool:
        """Take a checkpoint at this task (a source, or a task whose inputs all ended)."""

    async def notify_checkpoint_complete(self, execution_id: ExecutionAttemptID, checkpoint_id: int) -> bool: ...

    async def notify_checkpoint_aborted(self, execution_id: ExecutionAttemptID, checkpoint_id: int) -> bool: ...

    async def cancel_task(self, execution_id: ExecutionAttemptID) -> bool:
        """Start cancelling the task (mailbox, then interrupts, then the watchdog)."""

    async def request_job_output(self, job_id: JobID, offset: int, max_bytes: int) -> JobOutputChunk:
        """What the job printed on this TaskManager, from a byte offset (``pyflink logs``)."""

    async def request_log_list(self) -> list[LogInfo]:
        """The TaskManager's .log and .out files (Flink's requestLogList)."""

    async def request_log_file(self, file_type: LogFileType, name: str, offset: int, max_bytes: int) -> LogFileChunk:
        """A chunk of the log, the stdout or a listed file by name (Flink's requestFileUpload)."""

    async def request_metric_dump(self) -> MetricDumps:
        """Every metric of the TaskManager and its running tasks (Flink's MetricQueryService)."""

    async def shutdown(self) -> bool: ...
