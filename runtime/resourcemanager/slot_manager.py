"""SlotManager: tracks every TaskManager slot as free → pending → allocated.

A JobMaster declares how many slots it needs; the SlotManager picks free slots, marks them
pending under a fresh allocation id and asks their TaskManager to offer them to that
JobMaster. A slot becomes allocated when the TaskManager confirms, and free again when the
TaskManager reports it released (or the TaskManager is gone).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

FREE = "FREE"
PENDING = "PENDING"
ALLOCATED = "ALLOCATED"


@dataclass
class SlotStatus:
    resource_id: str
    index: int
    state: str = FREE
    allocation_id: str | None = None
    job_id: str | None = None


@dataclass
class JobRequirement:
    job_id: str
    jobmaster_target: str
    jobmaster_token: str
    slots: int


@dataclass
class SlotManager:
    slots: dict[tuple[str, int], SlotStatus] = field(default_factory=dict)
    requirements: dict[str, JobRequirement] = field(default_factory=dict)

    def register_task_manager(self, resource_id: str, num_slots: int) -> None:
        for i in range(num_slots):
            self.slots[(resource_id, i)] = SlotStatus(resource_id, i)

    def unregister_task_manager(self, resource_id: str) -> list[SlotStatus]:
        gone = [s for key, s in self.slots.items() if key[0] == resource_id]
        for s in gone:
            del self.slots[(resource_id, s.index)]
        return gone

    def apply_slot_report(self, resource_id: str, report: list[dict]) -> None:
        """The TaskManager is the source of truth for which of its slots hold allocations."""
        for entry in report:
            s = self.slots.get((resource_id, entry["index"]))
            if s is None:
                continue
            if entry.get("allocation_id"):
                s.state, s.allocation_id, s.job_id = ALLOCATED, entry["allocation_id"], entry.get("job_id")
            elif s.state == ALLOCATED:
                s.state, s.allocation_id, s.job_id = FREE, None, None

    def allocated_for(self, job_id: str) -> int:
        return sum(1 for s in self.slots.values() if s.job_id == job_id and s.state in (PENDING, ALLOCATED))

    def plan_allocations(self) -> list[tuple[SlotStatus, JobRequirement]]:
        """Match missing slots of every requirement to free slots; marks them pending."""
        out = []
        for req in self.requirements.values():
            missing = req.slots - self.allocated_for(req.job_id)
            if missing <= 0:
                continue
            for s in sorted(self.slots.values(), key=lambda s: (s.resource_id, s.index)):
                if missing <= 0:
                    break
                if s.state == FREE:
                    s.state, s.allocation_id, s.job_id = PENDING, uuid.uuid4().hex, req.job_id
                    out.append((s, req))
                    missing -= 1
        return out

    def free(self, resource_id: str, index: int, allocation_id: str | None = None) -> None:
        s = self.slots.get((resource_id, index))
        if s is not None and (allocation_id is None or s.allocation_id == allocation_id):
            s.state, s.allocation_id, s.job_id = FREE, None, None

    def confirm(self, resource_id: str, index: int, allocation_id: str) -> None:
        s = self.slots.get((resource_id, index))
        if s is not None and s.allocation_id == allocation_id:
            s.state = ALLOCATED

    def total(self) -> int:
        return len(self.slots)

    def available(self) -> int:
        return sum(1 for s in self.slots.values() if s.state == FREE)

    def free_slots_of(self, resource_id: str) -> int:
        return sum(1 for (rid, _), s in self.slots.items() if rid == resource_id and s.state == FREE)
