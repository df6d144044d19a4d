"""Unit tests of the checkpointing parts: barrier alignment, restart strategies, state
assignment on rescaling, the operator state store, the metadata codec."""
from __future__ import annotations

import json
import random

import pytest

from runtime.checkpoint.state_assignment import StateAssignmentError, assign_state
from runtime.common.job import JobID
from runtime.configuration.configuration import Configuration
from runtime.jobgraph.job_graph import JobGraph, JobVertex
from runtime.messages.checkpoint_messages import (
    CheckpointMetadata,
    CheckpointOptions,
    CheckpointType,
    KeyedStateHandle,
    NamedOperatorState,
    OperatorState,
    OperatorStateHandle,
    OperatorSubtaskState,
)
from runtime.messages.codec import from_wire, to_wire
from runtime.scheduler.restart_backoff_time_strategy import (
    ExponentialDelayRestartBackoffTimeStrategy,
    FailureRateRestartBackoffTimeStrategy,
    FixedDelayRestartBackoffTimeStrategy,
    NoRestartBackoffTimeStrategy,
    create_restart_strategy,
)
from runtime.state.key_groups import KEY_HASH_VERSION, key_group_range
from runtime.state.operator_state_store import OperatorStateStore
from runtime.streaming.io.checkpoint_barrier_handler import CheckpointBarrierHandler


def _options(cid: int, exactly_once: bool = True) -> CheckpointOptions:
    return CheckpointOptions(cid, 0, "/tmp/x", CheckpointType.CHECKPOINT, exactly_once=exactly_once)


# ------------------------------------------------------------------------------ barriers
def test_aligned_barriers_block_channels_until_every_open_channel_delivered():
    taken, aborted = [], []
    h = CheckpointBarrierHandler(3, lambda o: taken.append(o.checkpoint_id), lambda c, r: aborted.append(c))
    assert not h.on_barrier(0, _options(1))
    assert h.blocked == [True, False, False]
    assert not h.on_barrier(2, _options(1))
    assert h.blocked == [True, False, True] and taken == []
    assert h.on_end_of_partition(1)          # a finished channel counts as aligned
    assert taken == [1] and h.blocked == [False, False, False]
    assert not h.on_barrier(0, _options(1))  # a late duplicate is ignored
    assert taken == [1]


def test_newer_barrier_aborts_an_unfinished_alignment():
    taken, aborted = [], []
    h = CheckpointBarrierHandler(2, lambda o: taken.append(o.checkpoint_id), lambda c, r: aborted.append(c))
    h.on_barrier(0, _options(1))
    h.on_barrier(0, _options(2))
    assert aborted == [1] and h.pending_id == 2
    h.on_barrier(1, _options(1))             # the old one's barrier, too late
    assert taken == []
    h.on_barrier(1, _options(2))
    assert taken == [2]


def test_at_least_once_counts_barriers_without_blocking():
    taken = []
    h = CheckpointBarrierHandler(2, lambda o: taken.append(o.checkpoint_id), lambda c, r: None)
    h.on_barrier(0, _options(5, exactly_once=False))
    assert h.blocked == [False, False]
    h.on_barrier(1, _options(5, exactly_once=False))
    assert taken == [5]


# ------------------------------------------------------------------------------ restart strategies
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fixed_delay_allows_its_attempts_then_gives_up():
    s = FixedDelayRestartBackoffTimeStrategy(2, 500)
    for _ in range(2):
        s.notify_failure()
        assert s.can_restart() and s.backoff_ms() == 500
    s.notify_failure()
    assert not s.can_restart()


def test_exponential_delay_grows_caps_and_resets():
    clock = Clock()
    s = ExponentialDelayRestartBackoffTimeStrategy(100, 1000, 2.0, 10_000, 0.0, 100, clock)
    seen = []
    for _ in range(6):
        s.notify_failure()
        seen.append(s.backoff_ms())
        clock.now += 0.01
    assert seen == [100, 200, 400, 800, 1000, 1000]
    clock.now += 20.0                        # longer than the reset threshold without failures
    s.notify_failure()
    assert s.backoff_ms() == 100


def test_exponential_delay_jitter_stays_within_its_factor():
    s = ExponentialDelayRestartBackoffTimeStrategy(1000, 60_000, 1.5, 3_600_000, 0.1, 100, Clock(), random.Random(7))
    s.notify_failure()
    values = {s.backoff_ms() for _ in range(50)}
    assert min(values) >= 900 and max(values) <= 1100 and len(values) > 5


def test_failure_rate_counts_failures_in_the_interval():
    clock = Clock()
    s = FailureRateRestartBackoffTimeStrategy(2, 1000, 50, clock)
    s.notify_failure()
    clock.now += 0.4
    s.notify_failure()
    assert s.can_restart()
    clock.now += 0.4
    s.notify_failure()                       # three within 1 s
    assert not s.can_restart()
    clock.now += 5.0
    s.notify_failure()                       # the old ones fell out of the interval
    assert s.can_restart()


def test_default_strategy_depends_on_checkpointing_as_in_flink():
    conf = Configuration()
    assert isinstance(create_restart_strategy(conf), NoRestartBackoffTimeStrategy)
    conf.set_string("execution.checkpointing.interval", "1 s")
    assert isinstance(create_restart_strategy(conf), ExponentialDelayRestartBackoffTimeStrategy)
    conf.set_string("restart-strategy.type", "fixeddelay")
    conf.set_string("restart-strategy.fixed-delay.attempts", "4")
    s = create_restart_strategy(conf)
    assert isinstance(s, FixedDelayRestartBackoffTimeStrategy) and s.attempts == 4


# ------------------------------------------------------------------------------ state assignment
def _graph(parallelism: int, uids: list[str], max_parallelism: int = 128) -> JobGraph:
    v = JobVertex(1, " -> ".join(uids), uids, list(range(len(uids))), parallelism, max_parallelism, chain=b"x",
                  operator_uids=uids)
    return JobGraph(JobID.generate(), "j", [v], [])


def _metadata(old_p: int, max_p: int = 128, key_hash: int = KEY_HASH_VERSION) -> CheckpointMetadata:
    subtasks = []
    for i in range(old_p):
        r = key_group_range(max_p, old_p, i)
        keyed = KeyedStateHandle(f"k{i}", 10, r.start, r.stop - 1, key_hash)
        op = OperatorStateHandle(f"o{i}", 30, [NamedOperatorState("split", "SPLIT", [0, 10], 20),
                                               NamedOperatorState("union", "UNION", [20], 25),
                                               NamedOperatorState("bc", "BROADCAST", [25], 30)])
        subtasks.append(OperatorSubtaskState(i, keyed, op))
    return CheckpointMetadata(1, JobID.generate(), 7, 0, CheckpointType.CHECKPOINT,
                              [OperatorState("a", "A", old_p, max_p, subtasks)])


@pytest.mark.parametrize("old_p,new_p", [(2, 4), (4, 1), (3, 3), (2, 3)])
def test_rescaling_assigns_keyed_state_by_key_group_and_redistributes_operator_state(old_p, new_p):
    restores = assign_state(_metadata(old_p), "/chk", _graph(new_p, ["a"]))
    assert sorted(restores) == [(1, i) for i in range(new_p)]
    split_entries = []
    for i in range(new_p):
        r = restores[(1, i)].operators["a"]
        mine = key_group_range(128, new_p, i)
        for h in r.keyed:          # every keyed file given overlaps this subtask's key groups
            assert h.key_group_start < mine.stop and h.key_group_end >= mine.start
        covered = {kg for h in r.keyed for kg in range(h.key_group_start, h.key_group_end + 1)}
        assert set(mine) <= covered
        parts = {p.name: p for p in r.operator}
        split_entries += [(p.path, s) for p in r.operator if p.name == "split" for s in p.ranges]
        union = [(p.path, s) for p in r.operator if p.name == "union" for s in p.ranges]
        assert sorted(union) == sorted((f"o{j}", (20, 25)) for j in range(old_p))
        bc = [(p.path, s) for p in r.operator if p.name == "bc" for s in p.ranges]
        assert bc == [("o0", (25, 30))]
        assert "split" in parts
    # list state: every former entry goes to exactly one new subtask
    assert sorted(split_entries) == sorted((f"o{j}", s) for j in range(old_p) for s in ((0, 10), (10, 20)))


@pytest.mark.parametrize("old_p,new_p", [(2, 2), (2, 3)])
def test_keyed_state_of_an_older_key_hash_goes_to_every_subtask(old_p, new_p):
    """Its key groups were assigned by another function: any subtask may own any of its keys
    now (each keeps its own on restore)."""
    restores = assign_state(_metadata(old_p, key_hash=1), "/chk", _graph(new_p, ["a"]))
    for i in range(new_p):
        assert sorted(h.path for h in restores[(1, i)].operators["a"].keyed) == [f"k{j}" for j in range(old_p)]


def test_unknown_operator_state_is_refused_unless_allowed_and_max_parallelism_must_match():
    with pytest.raises(StateAssignmentError, match="uid a.*allowNonRestoredState"):
        assign_state(_metadata(2), "/chk", _graph(2, ["b"]))
    assert assign_state(_metadata(2), "/chk", _graph(2, ["b"]), allow_non_restored_state=True) == {}
    with pytest.raises(StateAssignmentError, match="max parallelism 128"):
        assign_state(_metadata(2), "/chk", _graph(2, ["a"], max_parallelism=64))


def test_metadata_round_trips_through_json_and_refuses_a_newer_version():
    md = _metadata(2)
    back = from_wire(CheckpointMetadata, json.loads(json.dumps(to_wire(md))))
    assert back == md
    wire = to_wire(md)
    wire["version"] = 99
    with pytest.raises(ValueError, match="newer than this pyflink"):
        from_wire(CheckpointMetadata, wire)


def test_operator_state_store_modes():
    store = OperatorStateStore({"l": [1, 2], "b": [{"k": 1}]})
    assert store.is_restored()

    class D:
        def __init__(self, name):
            self.name = name
    lst = store.get_list_state(D("l"))
    lst.add(3)
    union = store.get_union_list_state(D("u"))
    union.update([9])
    bc = store.get_broadcast_state(D("b"))
    bc.put("z", 2)
    snap = store.snapshot()
    assert snap == {"l": ("SPLIT", [1, 2, 3]), "u": ("UNION", [9]), "b": ("BROADCAST", [{"k": 1, "z": 2}])}
    with pytest.raises(ValueError, match="already registered"):
        store.get_union_list_state(D("l"))
