"""PyFlink's ``pyflink.datastream.slot_sharing_group``: ``SlotSharingGroup`` and ``MemorySize``.

A slot sharing group's name decides which operators may share a slot (used by the job
graph); the resource figures (CPU cores, memory) are kept for display. Slots here are
whole TaskManager slots, not resource profiles.
"""
from __future__ import annotations

from typing import Any

from runtime.compat.unsupported import java_only

__all__ = ["MemorySize", "SlotSharingGroup"]

_KIB = 1024


class MemorySize:
    """An amount of memory in bytes (Flink's ``MemorySize``)."""

    def __init__(self, j_memory_size: Any = None, bytes_size: int | None = None) -> None:
        if j_memory_size is not None and not isinstance(j_memory_size, int):
            java_only("MemorySize(j_memory_size=...)")
        size = bytes_size if bytes_size is not None else j_memory_size
        if size is None or size < 0:
            raise ValueError(f"a memory size must be a non-negative number of bytes, got {size!r}")
        self._bytes = int(size)

    @staticmethod
    def of_mebi_bytes(mebi_bytes: int) -> MemorySize:
        return MemorySize(bytes_size=int(mebi_bytes) * _KIB * _KIB)

    def get_bytes(self) -> int:
        return self._bytes

    def get_kibi_bytes(self) -> int:
        return self._bytes // _KIB

    def get_mebi_bytes(self) -> int:
        return self._bytes // _KIB ** 2

    def get_gibi_bytes(self) -> int:
        return self._bytes // _KIB ** 3

    def get_tebi_bytes(self) -> int:
        return self._bytes // _KIB ** 4

    def get_java_memory_size(self) -> Any:
        java_only("MemorySize.get_java_memory_size()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MemorySize) and other._bytes == self._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __repr__(self) -> str:
        return f"MemorySize({self._bytes} bytes)"


class SlotSharingGroup:
    """A named slot sharing group with an optional resource profile."""

    def __init__(self, j_slot_sharing_group: Any) -> None:
        spec = dict(j_slot_sharing_group) if isinstance(j_slot_sharing_group, dict) else {"name": j_slot_sharing_group}
        self._name = str(spec["name"])
        self._cpu_cores: float | None = spec.get("cpu_cores")
        self._task_heap: MemorySize | None = spec.get("task_heap")
        self._task_off_heap: MemorySize | None = spec.get("task_off_heap")
        self._managed: MemorySize | None = spec.get("managed")
        self._external: dict[str, float] = dict(spec.get("external") or {})

    @staticmethod
    def builder(name: str) -> SlotSharingGroup.Builder:
        return SlotSharingGroup.Builder(name)

    def get_name(self) -> str:
        return self._name

    def get_cpu_cores(self) -> float | None:
        return self._cpu_cores

    def get_task_heap_memory(self) -> MemorySize | None:
        return self._task_heap

    def get_task_off_heap_memory(self) -> MemorySize | None:
        return self._task_off_heap

    def get_managed_memory(self) -> MemorySize | None:
        return self._managed

    def get_external_resources(self) -> dict[str, float]:
        return dict(self._external)

    def get_java_slot_sharing_group(self) -> Any:
        java_only("SlotSharingGroup.get_java_slot_sharing_group()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlotSharingGroup) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f"SlotSharingGroup({self._name!r})"

    class Builder:
        def __init__(self, j_builder: Any) -> None:
            self._spec: dict[str, Any] = {"name": str(j_builder), "external": {}}

        def set_cpu_cores(self, cpu_cores: float) -> SlotSharingGroup.Builder:
            if cpu_cores <= 0:
                raise ValueError("cpu cores must be positive")
            self._spec["cpu_cores"] = float(cpu_cores)
            return self

        def set_task_heap_memory(self, task_heap_memory: MemorySize) -> SlotSharingGroup.Builder:
            self._spec["task_heap"] = task_heap_memory
            return self

        def set_task_heap_memory_mb(self, task_heap_memory_mb: int) -> SlotSharingGroup.Builder:
            return self.set_task_heap_memory(MemorySize.of_mebi_bytes(task_heap_memory_mb))

        def set_task_off_heap_memory(self, task_off_heap_memory: MemorySize) -> SlotSharingGroup.Builder:
            self._spec["task_off_heap"] = task_off_heap_memory
            return self

        def set_task_off_heap_memory_mb(self, task_off_heap_memory_mb: int) -> SlotSharingGroup.Builder:
            return self.set_task_off_heap_memory(MemorySize.of_mebi_bytes(task_off_heap_memory_mb))

        def set_managed_memory(self, managed_memory: MemorySize) -> SlotSharingGroup.Builder:
            self._spec["managed"] = managed_memory
            return self

        def set_managed_memory_mb(self, managed_memory_mb: int) -> SlotSharingGroup.Builder:
            return self.set_managed_memory(MemorySize.of_mebi_bytes(managed_memory_mb))

        def set_external_resource(self, name: str, value: float) -> SlotSharingGroup.Builder:
            self._spec["external"][str(name)] = float(value)
            return self

        def build(self) -> SlotSharingGroup:
            return SlotSharingGroup(dict(self._spec, external=dict(self._spec["external"])))
