"""OperatorStateStore (Flink's DefaultOperatorStateBackend): non-keyed state of one operator
subtask, as named lists.

* list state (``get_list_state``): on rescaling the entries of all former subtasks are
  redistributed round-robin (Flink's SPLIT_DISTRIBUTE);
* union list state (``get_union_list_state``): every subtask gets every entry (UNION);
* broadcast state (``get_broadcast_state``): a map every subtask holds identically; each
  subtask gets one copy (BROADCAST).

This is what user functions that implement Flink's ``CheckpointedFunction`` (``initialize_state``
/ ``snapshot_state``) use, and what sources keep their read position in.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

SPLIT = "SPLIT"
UNION = "UNION"
BROADCAST = "BROADCAST"


class OperatorListState:
    def __init__(self, entries: list | None = None) -> None:
        self.entries: list = list(entries or [])

    def get(self) -> list:
        return list(self.entries)

    def add(self, value: Any) -> None:
        if value is None:
            raise ValueError("list state does not take None")
        self.entries.append(value)

    def add_all(self, values: Iterable[Any]) -> None:
        for v in values:
            self.add(v)

    def update(self, values: Iterable[Any]) -> None:
        self.entries = []
        self.add_all(values)

    def clear(self) -> None:
        self.entries = []

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self.entries))


class OperatorBroadcastState:
    def __init__(self, table: dict | None = None) -> None:
        self.table: dict = dict(table or {})

    def get(self, key: Any) -> Any:
        return self.table.get(key)

    def put(self, key: Any, value: Any) -> None:
        self.table[key] = value

    def put_all(self, values: dict) -> None:
        self.table.update(values)

    def remove(self, key: Any) -> None:
        self.table.pop(key, None)

    def contains(self, key: Any) -> bool:
        return key in self.table

    def items(self) -> Iterable[tuple[Any, Any]]:
        return list(self.table.items())

    def keys(self) -> Iterable[Any]:
        return list(self.table)

    def values(self) -> Iterable[Any]:
        return list(self.table.values())

    def is_empty(self) -> bool:
        return not self.table

    def clear(self) -> None:
        self.table.clear()


class OperatorStateStore:
    def __init__(self, restored: dict[str, list] | None = None) -> None:
        #: name -> entries restored from a checkpoint (already redistributed)
        self.restored = restored or {}
        self.states: dict[str, tuple[str, Any]] = {}

    def is_restored(self) -> bool:
        return bool(self.restored)

    def _list(self, descriptor: Any, mode: str) -> OperatorListState:
        name = getattr(descriptor, "name", None) or descriptor.get_name()
        existing = self.states.get(name)
        if existing is not None:
            if existing[0] != mode:
                raise ValueError(f"operator state '{name}' is already registered as {existing[0]} state")
            return existing[1]
        state = OperatorListState(self.restored.get(name))
        self.states[name] = (mode, state)
        return state

    def get_list_state(self, descriptor: Any) -> OperatorListState:
        return self._list(descriptor, SPLIT)

    def get_union_list_state(self, descriptor: Any) -> OperatorListState:
        return self._list(descriptor, UNION)

    def get_broadcast_state(self, descriptor: Any) -> OperatorBroadcastState:
        name = getattr(descriptor, "name", None) or descriptor.get_name()
        existing = self.states.get(name)
        if existing is not None:
            return existing[1]
        entries = self.restored.get(name) or []
        state = OperatorBroadcastState(entries[0] if entries else None)
        self.states[name] = (BROADCAST, state)
        return state

    def snapshot(self) -> dict[str, tuple[str, list]]:
        out: dict[str, tuple[str, list]] = {}
        for name, (mode, state) in self.states.items():
            if mode == BROADCAST:
                out[name] = (mode, [dict(state.table)])
            else:
                out[name] = (mode, list(state.entries))
        return out


class FunctionInitializationContext:
    """What ``CheckpointedFunction.initialize_state`` receives."""

    def __init__(self, store: OperatorStateStore, keyed_state: Any = None) -> None:
        self._store = store
        self._keyed = keyed_state

    def is_restored(self) -> bool:
        return self._store.is_restored()

    def get_operator_state_store(self) -> OperatorStateStore:
        return self._store

    def get_keyed_state_store(self) -> Any:
        return self._keyed


class FunctionSnapshotContext:
    """What ``CheckpointedFunction.snapshot_state`` receives."""

    def __init__(self, checkpoint_id: int, timestamp: int) -> None:
        self._id = checkpoint_id
        self._ts = timestamp

    def get_checkpoint_id(self) -> int:
        return self._id

    def get_checkpoint_timestamp(self) -> int:
        return self._ts
