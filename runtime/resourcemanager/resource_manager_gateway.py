"""ResourceManagerGateway (Flink's): what TaskExecutors, JobMasters and the Dispatcher ask
of the ResourceManager."""
from __future__ import annotations

from typing import Protocol

from runtime.common.job import JobID
from runtime.deployment.task_deployment_descriptor import JobMasterAddress
from runtime.messages.ids import AllocationID, ResourceID
from runtime.messages.log_messages import JobOutputChunk, LogFileChunk, LogFileType, LogInfo
from runtime.messages.taskmanager_messages import (
    RegistrationResponse,
    ResourceOverview,
    SlotReport,
    TaskExecutorRegistration,
    TaskManagerInfo,
)

NAME = "resourcemanager"


class ResourceManagerGateway(Protocol):
    async def register_task_executor(self, registration: TaskExecutorRegistration) -> RegistrationResponse: ...

    async def send_slot_report(self, resource_id: ResourceID, registration_id: str, report: SlotReport) -> bool: ...

    async def disconnect_task_manager(self, resource_id: ResourceID, cause: str) -> None: ...

    async def declare_resource_requirements(self, job_id: JobID, jobmaster: JobMasterAddress, slots: int) -> None:
        """The job needs ``slots`` slots (0: none any more)."""

    async def notify_slot_available(self, resource_id: ResourceID, index: int, allocation_id: AllocationID) -> None: ...

    async def terminate_task_manager(self, resource_id: ResourceID, cause: str) -> bool:
        """Give up on a TaskManager whose task would not stop: killed and replaced if forked
        by this JobManager (True), otherwise dropped until it registers again."""

    async def request_resource_overview(self) -> ResourceOverview: ...

    async def request_task_manager_info(self) -> list[TaskManagerInfo]: ...

    async def request_task_manager_job_output(self, resource_id: ResourceID, job_id: JobID, offset: int,
                                              max_bytes: int) -> JobOutputChunk:
        """What the job printed on that TaskManager, from a byte offset (LookupError: unknown TaskManager)."""

    async def request_task_manager_log_list(self, resource_id: ResourceID) -> list[LogInfo]: ...

    async def request_task_manager_log_file(self, resource_id: ResourceID, file_type: LogFileType, name: str,
                                            offset: int, max_bytes: int) -> LogFileChunk: ...
