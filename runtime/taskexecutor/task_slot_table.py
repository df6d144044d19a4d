"""TaskSlotTable (Flink's): the TaskManager's slots, which allocation and job each holds, and
the tasks running in it. The TaskManager is the source of truth for its slot report."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.common.job import JobID
from runtime.deployment.task_deployment_descriptor import JobMasterAddress
from runtime.messages.ids import AllocationID, ExecutionAttemptID
from runtime.messages.taskmanager_messages import SlotReport, SlotStatus


@dataclass
class TaskSlot:
    index: int
    allocation_id: AllocationID | None = None
    job_id: JobID | None = None
    jobmaster: JobMasterAddress | None = None
    tasks: dict[ExecutionAttemptID, Any] = field(default_factory=dict)

    @property
    def free(self) -> bool:
        return self.allocation_id is None


class SlotAllocationError(Exception):
    pass


class TaskSlotTable:
    def __init__(self, num_slots: int) -> None:
        self.slots = [TaskSlot(i) for i in range(num_slots)]

    def allocate(self, index: int, job_id: JobID, allocation_id: AllocationID, jobmaster: JobMasterAddress) -> TaskSlot:
        if not 0 <= index < len(self.slots):
            raise SlotAllocationError(f"no slot {index}")
        slot = self.slots[index]
        if slot.allocation_id == allocation_id:
            return slot
        if not slot.free:
            raise SlotAllocationError(f"slot {index} is already allocated to {slot.allocation_id}")
        slot.allocation_id, slot.job_id, slot.jobmaster = allocation_id, job_id, jobmaster
        return slot

    def by_allocation(self, allocation_id: AllocationID) -> TaskSlot | None:
        for s in self.slots:
            if s.allocation_id == allocation_id:
                return s
        return None

    def free(self, allocation_id: AllocationID) -> TaskSlot | None:
        slot = self.by_allocation(allocation_id)
        if slot is not None:
            slot.allocation_id = slot.job_id = slot.jobmaster = None
            slot.tasks.clear()
        return slot

    def slots_of_job(self, job_id: JobID) -> list[TaskSlot]:
        return [s for s in self.slots if s.job_id == job_id]

    def report(self) -> SlotReport:
        return SlotReport([SlotStatus(s.index, s.allocation_id, s.job_id) for s in self.slots])

    def find_task(self, execution_id: ExecutionAttemptID) -> Any:
        for s in self.slots:
            if execution_id in s.tasks:
                return s.tasks[execution_id]
        return None

    def all_tasks(self) -> list[Any]:
        return [t for s in self.slots for t in s.tasks.values()]
