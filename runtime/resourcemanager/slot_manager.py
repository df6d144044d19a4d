"""SlotManager (Flink's FineGrainedSlotManager, simplified): every TaskManager slot is free →
pending → allocated.

A JobMaster declares how many slots it needs; the SlotManager picks free slots, marks them
pending under a fresh allocation id and asks their TaskManager to offer them to that
JobMaster. A slot becomes allocated when the TaskManager confirms, and free again when the
TaskManager reports it released (or the TaskManager is gone).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from runtime.common.job import JobID
from runtime.deployment.task_deployment_descriptor import JobMasterAddress
from runtime.messages.ids import AllocationID, ResourceID
from runtime.messages.taskmanager_messages import SlotReport, SlotStatus as SlotReportEntry


class SlotState(enum.Enum):
    FREE = "FREE"
    PENDING = "PENDING"
    ALLOCATED = "ALLOCATED"


@dataclass
class SlotStatus:
    resource_id: ResourceID
    index: int
    state: SlotState = SlotState.FREE
    allocation_id: AllocationID | None = None
    job_id: JobID | None = None

    def release(self) -> None:
        self.state, self.allocation_id, self.job_id = SlotState.FREE, None, None


@dataclass
class JobRequirement:
    job_id: JobID
    jobmaster: JobMasterAddress
    slots: int


@dataclass
class SlotManager:
    slots: dict[tuple[ResourceID, int], SlotStatus] = field(default_factory=dict)
    requirements: dict[JobID, JobRequirement] = field(default_factory=dict)

    def register_task_manager(self, resource_id: ResourceID, num_slots: int) -> None:
        for i in range(num_slots):
            self.slots[(resource_id, i)] = SlotStatus(resource_id, i)

    def unregister_task_manager(self, resource_id: ResourceID) -> list[SlotStatus]:
        gone = [s for key, s in self.slots.items() if key[0] == resource_id]
        for s in gone:
            del self.slots[(resource_id, s.index)]
        return gone

    def apply_slot_report(self, resource_id: ResourceID, report: SlotReport) -> None:
        """The TaskManager is the source of truth for which of its slots hold allocations."""
        for entry in report.slots:
            s = self.slots.get((resource_id, entry.index))
            if s is None:
                continue
            if entry.allocation_id is not None:
                s.state, s.allocation_id, s.job_id = SlotState.ALLOCATED, entry.allocation_id, entry.job_id
            elif s.state is SlotState.ALLOCATED:
                s.release()

    def allocated_for(self, job_id: JobID) -> int:
        return sum(1 for s in self.slots.values()
                   if s.job_id == job_id and s.state in (SlotState.PENDING, SlotState.ALLOCATED))

    def plan_allocations(self) -> list[tuple[SlotStatus, JobRequirement]]:
        """Match missing slots of every requirement to free slots; marks them pending."""
        out = []
        for req in self.requirements.values():
            missing = req.slots - self.allocated_for(req.job_id)
            if missing <= 0:
                continue
            for s in sorted(self.slots.values(), key=lambda s: (s.resource_id.value, s.index)):
                if missing <= 0:
                    break
                if s.state is SlotState.FREE:
                    s.state, s.allocation_id, s.job_id = SlotState.PENDING, AllocationID.generate(), req.job_id
                    out.append((s, req))
                    missing -= 1
        return out

    def free(self, resource_id: ResourceID, index: int, allocation_id: AllocationID | None = None) -> None:
        s = self.slots.get((resource_id, index))
        if s is not None and (allocation_id is None or s.allocation_id == allocation_id):
            s.release()

    def confirm(self, resource_id: ResourceID, index: int, allocation_id: AllocationID) -> None:
        s = self.slots.get((resource_id, index))
        if s is not None and s.allocation_id == allocation_id:
            s.state = SlotState.ALLOCATED

    def total(self) -> int:
        return len(self.slots)

    def available(self) -> int:
        return sum(1 for s in self.slots.values() if s.state is SlotState.FREE)

    def allocated_of(self, resource_id: ResourceID) -> list[SlotReportEntry]:
        """The TaskManager's allocated or pending slots, by slot index."""
        return [SlotReportEntry(s.index, s.allocation_id, s.job_id)
                for (rid, _), s in sorted(self.slots.items(), key=lambda kv: kv[0][1])
                if rid == resource_id and s.state is not SlotState.FREE and s.job_id is not None]

    def free_slots_of(self, resource_id: ResourceID) -> int:
        return sum(1 for (rid, _), s in self.slots.items() if rid == resource_id and s.state is SlotState.FREE)
