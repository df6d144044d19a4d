"""SubtaskCheckpointCoordinator (Flink's SubtaskCheckpointCoordinatorImpl): a task's part of a
checkpoint, and restoring a task from one.

Taking a checkpoint runs in the task thread, between two batches, when every operator of the
chain is between two records: operators get a last word before the barrier (a source hands
on what it holds, drain emits the final watermark), the barrier goes to every output
channel, and each operator's state is *copied* into bytes — keyed state grouped by key group
(so it can be split by key-group range on restore), timers likewise, operator state as a
list of entries per named state (so it can be redistributed). Writing the bytes to the
checkpoint storage and acknowledging happen off the task thread (the TaskExecutor's I/O
executor), so a task stalls only for the copy.

Restoring reads the files a TaskRestore names: keyed state and timers keep the key groups
this subtask owns now; operator state arrives already redistributed by the JobManager.
"""
from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.io.network.network_environment import dumps
from runtime.messages.checkpoint_messages import (
    CheckpointOptions,
    KeyedStateHandle,
    NamedOperatorState,
    OperatorRestore,
    OperatorSnapshotHandles,
    OperatorStateHandle,
    TaskRestore,
    TaskStateSnapshot,
)
from runtime.state.checkpoint_storage import CheckpointStorage, join
from runtime.state.key_groups import KEY_HASH_VERSION, assign_to_key_group


@dataclass
class OperatorSnapshot:
    """What one operator of the task produced for one checkpoint (bytes, not yet written)."""

    uid: str
    keyed: bytes | None = None
    #: named operator states: (name, mode, pickled entries)
    operator: list[tuple[str, str, list[bytes]]] = field(default_factory=list)


Responder = Callable[[CheckpointOptions, list[OperatorSnapshot]], None]


def snapshot_operator(op: Any, backend: Any, options: CheckpointOptions) -> OperatorSnapshot:
    uid = op.operator_id or op.name
    snap = OperatorSnapshot(uid)
    if op.keyed and backend is not None:
        # the live tables, pickled below in this thread: the pickle is the snapshot's
        # consistent copy; the task goes on mutating the tables
        keyed: dict[str, Any] = {"flat": backend.snapshot_namespace(uid)}
        timers = getattr(op, "timers", None)
        if timers is not None:
            keyed["timers"] = _timers_by_key_group(timers, getattr(op, "timer_state_key", _identity),
                                                   backend.max_parallelism)
        if keyed["flat"] or keyed.get("timers"):
            keyed["key_hash"] = KEY_HASH_VERSION
            snap.keyed = dumps(keyed)
    states = op.snapshot_state(options)
    if states:
        for name, (mode, entries) in states.items():
            snap.operator.append((name, mode, [dumps(e) for e in entries]))
    return snap


def _identity(key: Any) -> Any:
    return key


def _timers_by_key_group(timers: Any, state_key: Callable[[Any], Any], maxp: int) -> dict[str, dict[int, list]]:
    out: dict[str, dict[int, list]] = {}
    for domain, queue in (("event", timers.event), ("processing", timers.processing)):
        groups: dict[int, list] = {}
        for ts, key in queue.live:
            groups.setdefault(assign_to_key_group(state_key(key), maxp), []).append((ts, key))
        if groups:
            out[domain] = groups
    return out


class TaskStateRestorer:
    """Reads a TaskRestore's files for the operators of one chain (task thread, INITIALIZING)."""

    def __init__(self, restore: TaskRestore) -> None:
        self.restore = restore
        #: operator uid -> (timers grouped by key group, grouped by an older key hash)
        self._timers: dict[str, list[tuple[dict, bool]]] = {}

    def _ops(self, uid: str) -> OperatorRestore | None:
        return self.restore.operators.get(uid)

    def restore_keyed(self, op: Any, backend: Any) -> None:
        """Before the operator opens: its keyed state tables (timers are kept for later)."""
        uid = op.operator_id or op.name
        state = self._ops(uid)
        if state is None or not state.keyed or backend is None:
            return
        for handle in state.keyed:
            data = pickle.loads(CheckpointStorage.read(join(self.restore.location, handle.path)))
            # written under another key hash: its key groups say nothing; keep our keys by key
            rehash = data.get("key_hash", 1) != KEY_HASH_VERSION
            owned = None if rehash else range(handle.key_group_start, handle.key_group_end + 1)
            for name, (kind, entries) in data.get("flat", {}).items():
                backend.restore_table(uid, name, kind, entries, owned)
            if "tables" in data:  # written before the flat layout (savepoints of older versions)
                backend.restore_namespace(uid, data["tables"], rehash)
            if data.get("timers"):
                self._timers.setdefault(uid, []).append((data["timers"], rehash))

    def operator_states(self, op: Any) -> dict[str, list] | None:
        """The operator's redistributed operator state: name -> entries (None: nothing restored)."""
        state = self._ops(op.operator_id or op.name)
        if state is None or not state.operator:
            return None
        out: dict[str, list] = {}
        for part in state.operator:
            entries = out.setdefault(part.name, [])
            url = join(self.restore.location, part.path)
            if not part.ranges:
                continue
            blob = CheckpointStorage.read(url)
            for start, end in part.ranges:
                entries.append(pickle.loads(blob[start:end]))
        return out

    def restore_timers(self, op: Any, backend: Any) -> None:
        """After the operator opened (its timer service exists): timers of our key groups."""
        uid = op.operator_id or op.name
        timers = getattr(op, "timers", None)
        if timers is None or uid not in self._timers:
            return
        mine = backend.key_groups
        state_key = getattr(op, "timer_state_key", _identity)
        maxp = backend.max_parallelism
        for groups_by_domain, rehash in self._timers.pop(uid):
            for domain, groups in groups_by_domain.items():
                queue = timers.event if domain == "event" else timers.processing
                for kg, entries in groups.items():
                    if not rehash and kg not in mine:
                        continue
                    for ts, key in entries:  # grouped by an older key hash: by each timer's key
                        if not rehash or assign_to_key_group(state_key(key), maxp) in mine:
                            queue.add(ts, key)


def _file_stem(uid: str) -> str:
    """A file name for an operator uid (uids are free text)."""
    import hashlib
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in uid)[:40]
    return f"{safe}-{hashlib.sha1(uid.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


def write_task_snapshot(options: CheckpointOptions, subtask: int, attempt: int, parallelism: int,
                        max_parallelism: int, snapshots: list[OperatorSnapshot]) -> TaskStateSnapshot:
    """Write one task's snapshot files into the checkpoint directory (I/O thread) and return
    the handles the JobMaster keeps: paths relative to the checkpoint directory, the key-group
    range of keyed files, the entry offsets of operator state files."""
    from runtime.state.key_groups import key_group_range
    location = options.location
    out = TaskStateSnapshot()
    kg = key_group_range(max_parallelism, parallelism, subtask)
    for snap in snapshots:
        handles = OperatorSnapshotHandles(snap.uid)
        stem = f"{_file_stem(snap.uid)}-{subtask}-{attempt}"
        if snap.keyed is not None:
            name = f"{stem}-keyed"
            CheckpointStorage.write(location, name, snap.keyed)
            handles.keyed = KeyedStateHandle(name, len(snap.keyed), kg.start, kg.stop - 1, KEY_HASH_VERSION)
            out.size += len(snap.keyed)
        if snap.operator:
            name = f"{stem}-op"
            blob = bytearray()
            states = []
            for state_name, mode, entries in snap.operator:
                offsets = []
                for e in entries:
                    offsets.append(len(blob))
                    blob += e
                states.append(NamedOperatorState(state_name, mode, offsets, len(blob)))
            CheckpointStorage.write(location, name, bytes(blob))
            handles.operator = OperatorStateHandle(name, len(blob), states)
            out.size += len(blob)
        if handles.keyed is not None or handles.operator is not None:
            out.operators.append(handles)
    return out
