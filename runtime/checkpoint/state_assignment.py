"""StateAssignmentOperation (Flink's): which state every subtask of a (possibly rescaled) job
restores from a checkpoint or savepoint.

State is matched to operators by uid (a generated id when the program sets none). Keyed
state goes by key group: a new subtask gets every former keyed file whose key-group range
overlaps its own and keeps the groups it owns; a file whose key groups were assigned by an
older key hash goes to every subtask, and each keeps the keys that are its own now.
Operator list state is redistributed round-robin over the new subtasks, union state goes to
every subtask, broadcast state (the same on every former subtask) goes to every subtask once.
All of this uses the handles only; nothing is read or unpickled here.

Refused, with the operator named: state of an operator that is not in the job (unless
``allow_non_restored_state``) and a changed max parallelism (key groups would not line up).
An operator of which only some subtasks had finished runs again on every subtask when it is
rescaled: the finished subtasks had nothing left to do.
"""
from __future__ import annotations

from runtime.jobgraph.job_graph import JobGraph
from runtime.messages.checkpoint_messages import (
    CheckpointMetadata,
    OperatorRestore,
    OperatorState,
    OperatorStatePart,
    TaskRestore,
)
from runtime.state.key_groups import KEY_HASH_VERSION, key_group_range


class StateAssignmentError(Exception):
    pass


def assign_state(metadata: CheckpointMetadata, location: str, job_graph: JobGraph,
                 allow_non_restored_state: bool = False) -> dict[tuple[int, int], TaskRestore]:
    """(vertex id, subtask) -> the TaskRestore of that subtask."""
    by_uid = {op.uid: op for op in metadata.operators}
    used: set[str] = set()
    out: dict[tuple[int, int], TaskRestore] = {}
    for v in job_graph.vertices:
        uids = v.operator_uids or [str(i) for i in v.operator_ids]
        finished_flags: list[list[bool]] = []
        per_subtask: list[dict[str, OperatorRestore]] = [{} for _ in range(v.parallelism)]
        for uid, name in zip(uids, v.operators):
            state = by_uid.get(uid)
            if state is None:
                continue
            used.add(uid)
            if state.max_parallelism != v.max_parallelism and _has_keyed(state):
                raise StateAssignmentError(
                    f"operator '{name}' (uid {uid}) was checkpointed with max parallelism {state.max_parallelism}, "
                    f"the job now has {v.max_parallelism}: keyed state cannot be restored into other key groups")
            finished_flags.append(_finished(state, v.parallelism, name, uid))
            for i, restore in enumerate(_assign_operator(state, v.parallelism, v.max_parallelism)):
                if restore.keyed or restore.operator:
                    per_subtask[i][uid] = restore
        for i in range(v.parallelism):
            finished = bool(finished_flags) and all(flags[i] for flags in finished_flags)
            if per_subtask[i] or finished:
                out[(v.id, i)] = TaskRestore(metadata.checkpoint_id, location, per_subtask[i], finished)
    unused = [op for op in metadata.operators if op.uid not in used and (_has_state(op))]
    if unused and not allow_non_restored_state:
        names = ", ".join(f"'{op.name}' (uid {op.uid})" for op in unused)
        raise StateAssignmentError(
            f"the checkpoint has state of {names}, which the job does not have; set uids that match, or restore "
            "with --allowNonRestoredState (-n) to drop that state")
    return out


def _has_keyed(state: OperatorState) -> bool:
    return any(s.keyed is not None for s in state.subtasks)


def _has_state(state: OperatorState) -> bool:
    return any(s.keyed is not None or s.operator is not None for s in state.subtasks)


def _finished(state: OperatorState, parallelism: int, name: str, uid: str) -> list[bool]:
    flags = {s.subtask: s.finished for s in state.subtasks}
    if state.fully_finished:
        return [True] * parallelism
    if any(flags.values()) and state.parallelism == parallelism:
        return [flags.get(i, False) for i in range(parallelism)]
    # partly finished and rescaled: a finished subtask had nothing left to do (its remaining
    # work, e.g. a source's splits, would be in its redistributable state), so every new
    # subtask runs with the redistributed state of the unfinished ones
    return [False] * parallelism


def _assign_operator(state: OperatorState, parallelism: int, max_parallelism: int) -> list[OperatorRestore]:
    out = [OperatorRestore() for _ in range(parallelism)]
    # keyed state: by key-group range overlap
    ranges = [key_group_range(max_parallelism, parallelism, i) for i in range(parallelism)]
    for sub in state.subtasks:
        h = sub.keyed
        if h is None:
            continue
        for i, r in enumerate(ranges):
            if h.key_hash != KEY_HASH_VERSION or (h.key_group_start < r.stop and h.key_group_end >= r.start):
                out[i].keyed.append(h)
    # operator state: per named state, by its mode
    names: dict[str, str] = {}
    entries: dict[str, list[tuple[str, int, int]]] = {}
    for sub in sorted(state.subtasks, key=lambda s: s.subtask):
        if sub.operator is None:
            continue
        for named in sub.operator.states:
            names.setdefault(named.name, named.mode)
            bounds = named.offsets + [named.end]
            items = [(sub.operator.path, bounds[j], bounds[j + 1]) for j in range(len(named.offsets))]
            if named.mode == "BROADCAST" and named.name in entries:
                continue  # every former subtask held the same: one copy is enough
            entries.setdefault(named.name, []).extend(items)
    for name, mode in names.items():
        items = entries.get(name, [])
        for i in range(parallelism):
            mine = items[i::parallelism] if mode == "SPLIT" else items
            by_path: dict[str, list[tuple[int, int]]] = {}
            for path, start, end in mine:
                by_path.setdefault(path, []).append((start, end))
            if not by_path:
                out[i].operator.append(OperatorStatePart("", name, mode, []))
            for path, spans in by_path.items():
                out[i].operator.append(OperatorStatePart(path, name, mode, spans))
    return out
