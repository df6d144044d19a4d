"""SlotPool (Flink's): the slots a JobMaster holds, offered by TaskManagers after the
ResourceManager matched the JobMaster's declared requirement."""
from __future__ import annotations

from dataclasses import dataclass

from runtime.messages.ids import AllocationID, ResourceID


@dataclass
class AllocatedSlot:
    allocation_id: AllocationID
    resource_id: ResourceID
    index: int
    #: the TaskManager's connection (routing id at the JobManager's RPC socket)
    peer: bytes | None
    data_address: str


class SlotPool:
    def __init__(self, needed: int) -> None:
        self.needed = needed
        self.slots: dict[AllocationID, AllocatedSlot] = {}

    def offer(self, slot: AllocatedSlot) -> bool:
        if slot.allocation_id in self.slots:
            return True
        if len(self.slots) >= self.needed:
            return False
        self.slots[slot.allocation_id] = slot
        return True

    def complete(self) -> bool:
        return len(self.slots) >= self.needed

    def remove_task_manager(self, resource_id: ResourceID) -> list[AllocatedSlot]:
        gone = [s for s in self.slots.values() if s.resource_id == resource_id]
        for s in gone:
            del self.slots[s.allocation_id]
        return gone
