"""TaskSlotTable: the TaskManager's slots, which allocation and job each holds, and the
tasks running in it. The TaskManager is the source of truth for its slot report."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TaskSlot:
    index: int
    allocation_id: str | None = None
    job_id: str | None = None
    jobmaster: dict[str, str] | None = None
    tasks: dict[str, Any] = field(default_factory=dict)

    @property
    def free(self) -> bool:
        return self.allocation_id is None


class SlotAllocationError(Exception):
    pass


class TaskSlotTable:
    def __init__(self, num_slots: int) -> None:
        self.slots = [TaskSlot(i) for i in range(num_slots)]

    def allocate(self, index: int, job_id: str, allocation_id: str, jobmaster: dict[str, str]) -> TaskSlot:
        if not 0 <= index < len(self.slots):
            raise SlotAllocationError(f"no slot {index}")
        slot = self.slots[index]
        if slot.allocation_id == allocation_id:
            return slot
        if not slot.free:
            raise SlotAllocationError(f"slot {index} is already allocated to {slot.allocation_id}")
        slot.allocation_id, slot.job_id, slot.jobmaster = allocation_id, job_id, jobmaster
        return slot

    def by_allocation(self, allocation_id: str) -> TaskSlot | None:
        for s in self.slots:
            if s.allocation_id == allocation_id:
                return s
        return None

    def free(self, allocation_id: str) -> TaskSlot | None:
        slot = self.by_allocation(allocation_id)
        if slot is not None:
            slot.allocation_id = slot.job_id = slot.jobmaster = None
            slot.tasks.clear()
        return slot

    def slots_of_job(self, job_id: str) -> list[TaskSlot]:
        return [s for s in self.slots if s.job_id == job_id]

    def report(self) -> list[dict[str, Any]]:
        return [{"index": s.index, "allocation_id": s.allocation_id, "job_id": s.job_id} for s in self.slots]

    def find_task(self, execution_id: str) -> Any:
        for s in self.slots:
            if execution_id in s.tasks:
                return s.tasks[execution_id]
        return None
