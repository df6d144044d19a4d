"""What TaskManagers and the ResourceManager tell each other, and what the cluster reports
about them (Flink's TaskExecutorRegistration, SlotReport, SlotOffer, TaskExecutionState,
TaskManagerInfo, ResourceOverview, ClusterOverview)."""
from __future__ import annotations

from dataclasses import dataclass, field

from runtime.common.job import ExecutionState, JobID
from runtime.messages.ids import AllocationID, ExecutionAttemptID, ResourceID
from runtime.metrics.io_metrics import IOMetrics

__all__ = ["ClusterOverview", "HardwareDescription", "RegistrationResponse", "ResourceOverview", "SlotOffer",
           "SlotReport", "SlotStatus", "TaskExecutionState", "TaskExecutorRegistration", "TaskManagerInfo"]

#: most slots one TaskManager may announce (a higher count is refused at registration)
MAX_SLOTS_PER_TASK_MANAGER = 1024
_configured_max_slots = MAX_SLOTS_PER_TASK_MANAGER


def set_max_slots_per_task_manager(limit: int) -> None:
    """The JobManager's security.limits.max-slots-per-taskmanager, set at its start."""
    global _configured_max_slots
    _configured_max_slots = max(1, int(limit))


@dataclass
class HardwareDescription:
    """Flink's HardwareDescription. ``free_memory`` is the memory available on the host when
    the TaskManager registered (Flink reports its JVM's heap size; a Python process has no
    heap limit); there is no managed memory."""

    cpu_cores: int
    physical_memory: int
    free_memory: int = 0
    managed_memory: int = 0


@dataclass
class TaskExecutorRegistration:
    resource_id: ResourceID
    pid: int
    host: str
    data_address: str
    num_slots: int
    hardware: HardwareDescription
    #: pid of the JobManager that forked this TaskManager (None: started by hand)
    forked_by: int | None = None

    def validate(self) -> None:
        if not 1 <= self.num_slots <= _configured_max_slots:
            raise ValueError(f"num_slots: {self.num_slots} is not in 1..{_configured_max_slots} "
                             "(security.limits.max-slots-per-taskmanager)")
        if len(self.host) > 255 or len(self.data_address) > 512:
            raise ValueError("host/data_address: too long")
        if not self.data_address.startswith(("tcp://", "inproc://")):
            raise ValueError(f"data_address: {self.data_address!r:.60} is not a tcp:// or inproc:// address")

    @property
    def data_port(self) -> int:
        tail = self.data_address.rsplit(":", 1)[-1]
        return int(tail) if self.data_address.startswith("tcp://") and tail.isdigit() else 0


@dataclass
class RegistrationResponse:
    registration_id: str
    resource_manager_id: str


@dataclass
class SlotStatus:
    index: int
    allocation_id: AllocationID | None = None
    job_id: JobID | None = None


@dataclass
class SlotReport:
    slots: list[SlotStatus] = field(default_factory=list)

    def validate(self) -> None:
        if len(self.slots) > max(_configured_max_slots, MAX_SLOTS_PER_TASK_MANAGER):
            raise ValueError("slots: too many")


@dataclass
class SlotOffer:
    allocation_id: AllocationID
    index: int


@dataclass
class TaskExecutionState:
    execution_id: ExecutionAttemptID
    state: ExecutionState
    error: str | None = None
    #: the attempt's figures, sent with its final state (FINISHED, CANCELED, FAILED)
    io_metrics: IOMetrics | None = None


@dataclass
class TaskManagerInfo:
    """``/taskmanagers`` and ``pyflink cluster status``."""

    id: ResourceID
    path: str
    data_port: int
    pid: int
    host: str
    slots_number: int
    free_slots: int
    hardware: HardwareDescription
    time_since_last_heartbeat: int | None = None
    forked: bool = False
    #: when its last heartbeat arrived, in ms since the epoch (Flink's ``timeSinceLastHeartbeat``
    #: is this timestamp, despite its name); 0 before the first one
    last_heartbeat: int = 0
    #: its slots that are allocated (or pending) to a job
    allocated_slots: list[SlotStatus] = field(default_factory=list)


@dataclass
class ResourceOverview:
    taskmanagers: int
    slots_total: int
    slots_available: int


@dataclass
class ClusterOverview:
    taskmanagers: int
    slots_total: int
    slots_available: int
    jobs_running: int
    jobs_finished: int
    jobs_cancelled: int
    jobs_failed: int
    flink_version: str = "pyflink-0.1"
