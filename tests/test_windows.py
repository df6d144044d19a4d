"""Windows (issue 5, items 1 and 2): assigners, window functions, allowed lateness, the late
side output, session merging, window_all, count windows, global windows, processing-time
windows.

The event-time matrix (``window_jobs.MATRIX_JOB``) runs one job with a pipeline per
scenario over a script of out-of-order elements and explicit watermarks, at parallelism 1
and 2, on the embedded cluster (``python job.py``) and on a real 2-TaskManager cluster
(``pyflink run -p N``). Its expected output comes from the plain-Python model in
``window_reference`` run over the same script. Processing-time windows are checked by
invariants (every element counted exactly once, window bounds aligned), with the job kept
open until its sink has seen every element, never by sleeping in the test.
"""
from __future__ import annotations

import ast
import json
import os
import pickle
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict

import pytest
from conftest import REPO, ClusterEnv
from window_jobs import MATRIX_JOB, check_matrix, check_order, expected_matrix, ids_of, run_script
from window_reference import WindowModel, make_script, session, sliding, tumbling

from runtime.common import Duration, Time, WatermarkStrategy
from runtime.datastream import (
    AggregateFunction,
    ProcessFunction,
    SinkFunction,
    SourceFunction,
    StreamExecutionEnvironment,
    window as win,
)
from runtime.datastream.window import (
    AllWindowFunction,
    CountTrigger,
    CountWindow,
    EventTimeSessionWindows,
    EventTimeTrigger,
    GlobalWindow,
    GlobalWindows,
    ProcessingTimeSessionWindows,
    ProcessingTimeTrigger,
    ProcessWindowFunction,
    PurgingTrigger,
    SlidingEventTimeWindows,
    SlidingProcessingTimeWindows,
    TimeWindow,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
    WindowFunction,
)

PARALLELISMS = (1, 2)
SEED = 1


# ============================================================ Time, TimeWindow, assigners


def test_time_factories_in_milliseconds():
    assert Time.milliseconds(250).to_milliseconds() == 250
    assert Time.seconds(3).to_milliseconds() == 3_000
    assert Time.minutes(2).to_milliseconds() == 120_000
    assert Time.hours(1).to_milliseconds() == 3_600_000
    assert Time.days(2).to_milliseconds() == 2 * 86_400_000


def test_time_window_bounds_and_identity():
    w = TimeWindow(10_000, 20_000)
    assert (w.start, w.end, w.max_timestamp()) == (10_000, 20_000, 19_999)
    assert w == TimeWindow(10_000, 20_000) and hash(w) == hash(TimeWindow(10_000, 20_000))
    assert w != TimeWindow(10_000, 20_001)
    assert pickle.loads(pickle.dumps(w)) == w


class _Clock:
    """Assigner context with a fixed processing time."""

    def __init__(self, now: int) -> None:
        self.now = now

    def get_current_processing_time(self) -> int:
        return self.now


TIMESTAMPS = [-25_001, -10_000, -1, 0, 1, 999, 2_499, 2_500, 9_999, 10_000, 12_345, 99_999, 1_700_000_000_123]


def _bounds(windows):
    return sorted((w.start, w.end) for w in windows)


@pytest.mark.parametrize("size,offset", [(10_000, 0), (10_000, 2_500), (10_000, -2_500), (1, 0), (3_600_000, 0)])
def test_tumbling_assigners_match_model(size, offset):
    model = tumbling(size, offset)
    ev = TumblingEventTimeWindows.of(Time.milliseconds(size), Time.milliseconds(offset) if offset else None)
    pt = TumblingProcessingTimeWindows.of(Time.milliseconds(size), Time.milliseconds(offset) if offset else None)
    for ts in TIMESTAMPS:
        assert _bounds(ev.assign_windows("x", ts, None)) == model(None, ts, None), ts
        assert _bounds(pt.assign_windows("x", None, _Clock(ts))) == model(None, ts, None), ts
    assert ev.is_event_time() and not pt.is_event_time()
    assert isinstance(ev.get_default_trigger(None), EventTimeTrigger)
    assert isinstance(pt.get_default_trigger(None), ProcessingTimeTrigger)


@pytest.mark.parametrize("size,slide,offset", [(10_000, 5_000, 0), (9_000, 3_000, 1_000), (10_000, 3_000, 0),
                                               (5_000, 5_000, 0), (2_000, 5_000, 0), (60_000, 1_000, -500)])
def test_sliding_assigners_match_model(size, slide, offset):
    model = sliding(size, slide, offset)
    ev = SlidingEventTimeWindows.of(Time.milliseconds(size), Time.milliseconds(slide),
                                    Time.milliseconds(offset) if offset else None)
    pt = SlidingProcessingTimeWindows.of(Time.milliseconds(size), Time.milliseconds(slide),
                                         Time.milliseconds(offset) if offset else None)
    for ts in TIMESTAMPS:
        want = model(None, ts, None)
        assert _bounds(ev.assign_windows("x", ts, None)) == want, ts
        assert _bounds(pt.assign_windows("x", None, _Clock(ts))) == want, ts
        assert all(s <= ts < e for s, e in want)
    assert isinstance(ev.get_default_trigger(None), EventTimeTrigger)
    assert isinstance(pt.get_default_trigger(None), ProcessingTimeTrigger)


def test_session_assigners_static_and_dynamic_gap():
    ev = EventTimeSessionWindows.with_gap(Time.seconds(3))
    assert _bounds(ev.assign_windows("x", 1_000, None)) == [(1_000, 4_000)]
    pt = ProcessingTimeSessionWindows.with_gap(Time.milliseconds(500))
    assert _bounds(pt.assign_windows("x", None, _Clock(7_000))) == [(7_000, 7_500)]

    class ByLength(win.SessionWindowTimeGapExtractor):
        def extract(self, element):
            return len(element) * 100

    dyn = EventTimeSessionWindows.with_dynamic_gap(ByLength())
    assert _bounds(dyn.assign_windows("abc", 50, None)) == [(50, 350)]
    pdyn = ProcessingTimeSessionWindows.with_dynamic_gap(ByLength())
    assert _bounds(pdyn.assign_windows("ab", None, _Clock(1_000))) == [(1_000, 1_200)]
    assert isinstance(ev, win.MergingWindowAssigner) and isinstance(pt, win.MergingWindowAssigner)
    assert ev.is_event_time() and not pt.is_event_time()


def test_session_merge_rule_touching_windows_merge():
    """Flink's TimeWindow.intersects: [a, b) and [b, c) touch and merge; a gap of 1 ms does not."""
    assigner = EventTimeSessionWindows.with_gap(Time.seconds(1))
    merges = []

    class Collect(win.MergingWindowAssigner.MergeCallback):  # PyFlink's merge_windows(windows, callback)
        def merge(self, to_be_merged, merge_result):
            merges.append((sorted((w.start, w.end) for w in to_be_merged), (merge_result.start, merge_result.end)))

    assigner.merge_windows([TimeWindow(0, 1_000), TimeWindow(1_000, 2_000), TimeWindow(2_001, 3_001)], Collect())
    assert merges == [([(0, 1_000), (1_000, 2_000)], (0, 2_000))]  # the lone window is not a merge


def test_global_windows_and_count_window_types():
    g = GlobalWindows.create()
    assert g.assign_windows("x", 5, None) == [GlobalWindow.get()]
    assert GlobalWindow.get().max_timestamp() == 2**63 - 1
    assert not g.is_event_time()
    assert CountWindow(3).max_timestamp() == 2**63 - 1 and CountWindow(3) == CountWindow(3)


@pytest.mark.parametrize("bad", [
    lambda: TumblingEventTimeWindows.of(Time.milliseconds(0)),
    lambda: TumblingEventTimeWindows.of(Time.seconds(1), Time.seconds(1)),
    lambda: SlidingEventTimeWindows.of(Time.seconds(1), Time.milliseconds(0)),
    lambda: EventTimeSessionWindows.with_gap(Time.milliseconds(0)),
    lambda: ProcessingTimeSessionWindows.with_gap(Time.milliseconds(-5)),
])
def test_assigner_arguments_are_checked(bad):
    with pytest.raises(ValueError):
        bad()


# ============================================================ the event-time matrix


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """The matrix job file, its script and the expected output of every scenario."""
    root = tmp_path_factory.mktemp("matrix")
    script = make_script(SEED)
    (root / "script.json").write_text(json.dumps(script))
    (root / "window_matrix.py").write_text(MATRIX_JOB)
    expected = expected_matrix(script)
    # the script exercises what it claims to: late firings, late side output, merges
    late = WindowModel(tumbling(10_000), lateness=3_500).run(script)
    assert any(f.late for f in late.firings) and late.late
    assert any(f.nth >= 3 for f in late.firings), "no window fires more than twice"
    sess = WindowModel(session(3_000), merging=True, lateness=2_000).run(script)
    assert any(f.late for f in sess.firings) and sess.late
    assert sum(expected["LATE_REDUCE_WF_SIDE"].values()) > 0
    assert any(len(ids) > 3 for (_, _, _, ids, _) in expected["SESSION_PROCESS"])
    dropped = WindowModel(tumbling(10_000)).run(script).dropped
    assert dropped, "no late element is dropped by the lateness-0 scenarios"
    return root, script, expected


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_event_time_matrix_embedded(matrix, parallelism):
    root, _script, expected = matrix
    proc = subprocess.run([sys.executable, str(root / "window_matrix.py"), str(root / "script.json"), str(parallelism)],
                          capture_output=True, text=True, timeout=90, cwd=root,
                          env=dict(os.environ, PYTHONPATH=str(REPO), PYTHONHASHSEED="0"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_matrix(proc.stdout, parallelism, expected)
    check_order(proc.stdout, parallelism)


@pytest.fixture
def cluster_env(cluster_env: ClusterEnv) -> ClusterEnv:
    cluster_env.write_conf(taskmanager__numberOfTaskSlots=2)
    return cluster_env


def test_event_time_matrix_on_cluster(running_cluster: ClusterEnv, matrix):
    root, _script, expected = matrix
    for p in PARALLELISMS:
        proc = running_cluster.pyflink("run", "-p", str(p), str(root / "window_matrix.py"), str(root / "script.json"),
                                       timeout=90)
        assert proc.returncode == 0, f"p={p}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        assert "has finished with state FINISHED" in proc.stdout
        check_matrix(proc.stdout, p, expected)
        check_order(proc.stdout, p)


# ============================================================ session merging details


def _session_ids(keyed, _src):
    return keyed.window(EventTimeSessionWindows.with_gap(Time.seconds(3))) \
        .reduce(lambda a, b: (a[0], max(a[1], b[1]), tuple(sorted(a[2] + b[2]))),
                window_function=_WithBounds())


class _WithBounds(WindowFunction):
    def apply(self, key, window, inputs):
        for v in inputs:
            yield (key, window.start, window.end, v[2])


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_session_merge_bridging_element_reduce_aggregate_process(parallelism):
    """Two sessions [0, 3000) and [5000, 8000) are bridged by a late-arriving element at
    2500 -> one session [0, 8000) with all contents, for reduce, aggregate (merge) and
    process alike; b's sessions stay apart."""
    script = [("e", "a", 0, 1), ("e", "a", 5_000, 2), ("e", "b", 0, 3), ("e", "b", 6_000, 4),
              ("w", 1_000), ("e", "a", 2_500, 5), ("e", "a", 1_000, 6), ("w", 20_000)]
    want = {("a", 0, 8_000, (1, 2, 5, 6)), ("b", 0, 3_000, (3,)), ("b", 6_000, 9_000, (4,))}

    class Agg(AggregateFunction):
        def create_accumulator(self):
            return ()

        def add(self, value, acc):
            return acc + value[2]

        def get_result(self, acc):
            return tuple(sorted(acc))

        def merge(self, a, b):
            return a + b

    class AggWindow(WindowFunction):
        def apply(self, key, window, inputs):
            for v in inputs:
                yield (key, window.start, window.end, v)

    class Proc(ProcessWindowFunction):
        def process(self, key, context, elements):
            w = context.window()
            yield (key, w.start, w.end, ids_of(elements))

    sess = lambda k: k.window(EventTimeSessionWindows.with_gap(Time.seconds(3)))  # noqa: E731
    assert set(run_script(script, _session_ids, parallelism)) == want
    assert set(run_script(script, lambda k, s: sess(k).aggregate(Agg(), window_function=AggWindow()),
                          parallelism)) == want
    assert set(run_script(script, lambda k, s: sess(k).process(Proc()), parallelism)) == want


def test_session_elements_with_equal_timestamps_merge():
    """Two elements of a key with the same timestamp give the same proto-session; they
    belong to one session (Flink merges them), the job must not fail."""
    script = [("e", "a", 1_000, 1), ("e", "a", 1_000, 2), ("e", "a", 2_000, 3), ("w", 10_000)]
    assert run_script(script, _session_ids) == [("a", 1_000, 5_000, (1, 2, 3))]


# ============================================================ count windows


def _count_elements(n_keys: int = 3, per_key: int = 11):
    out = []
    for i in range(per_key):
        for k in range(n_keys):
            out.append((f"k{k}", len(out) + 1))
    return out


class _CountIds(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, window.id, tuple(v[1] for v in inputs))


class _CountIdsProcess(ProcessWindowFunction):
    def process(self, key, context, elements):
        yield (key, context.window().id, tuple(v[1] for v in elements))


def _expected_count_windows(elements, size, slide=None):
    """Per key: window k holds the key's elements k*slide .. k*slide+size-1 and fires once
    it is full (tumbling: slide = size); a partial window never fires."""
    slide = slide or size
    per_key = defaultdict(list)
    for k, i in elements:
        per_key[k].append(i)
    out = []
    for k, ids in per_key.items():
        w = 0
        while w * slide + size <= len(ids):
            out.append((k, w, tuple(ids[w * slide: w * slide + size])))
            w += 1
    return out


def _per_key_in_order(records):
    out = defaultdict(list)
    for r in records:
        out[r[0]].append(r)
    return dict(out)


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_count_windows_tumbling_and_sliding(parallelism):
    elements = _count_elements()
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    keyed = env.from_collection(elements).key_by(lambda e: e[0])
    tumbling_out = list(keyed.count_window(3).apply(_CountIds()).execute_and_collect())
    assert _per_key_in_order(tumbling_out) == _per_key_in_order(_expected_count_windows(elements, 3))

    keyed = env.from_collection(elements).key_by(lambda e: e[0])
    sliding_out = list(keyed.count_window(4, 2).process(_CountIdsProcess()).execute_and_collect())
    want = _expected_count_windows(elements, 4, 2)
    assert _per_key_in_order(sliding_out) == _per_key_in_order(want)
    assert all(len(ids) == 4 for _, _, ids in sliding_out), "a sliding count window fired before it was full"

    # reduce and aggregate on count windows: sums of the same groups
    keyed = env.from_collection(elements).key_by(lambda e: e[0])
    sums = list(keyed.count_window(5, 3).reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())
    assert sorted(sums) == sorted((k, sum(ids)) for k, _, ids in _expected_count_windows(elements, 5, 3))


@pytest.mark.parametrize("size,slide", [(4, 0), (5, 2)])
def test_count_window_all(size, slide):
    elements = _count_elements(2, 9)

    class AllIds(AllWindowFunction):
        def apply(self, window, inputs):
            yield (window.id, tuple(v[1] for v in inputs))

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    got = list(env.from_collection(elements).count_window_all(size, slide).apply(AllIds()).execute_and_collect())
    want = [(w, ids) for _, w, ids in _expected_count_windows([("all", i) for _, i in elements], size, slide or None)]
    assert sorted(got) == sorted(want)


# ============================================================ global windows


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_global_windows_with_count_triggers(parallelism):
    elements = _count_elements(2, 8)
    per_key = defaultdict(list)
    for k, i in elements:
        per_key[k].append(i)

    class Ids(WindowFunction):
        def apply(self, key, window, inputs):
            assert window == GlobalWindow.get()
            yield (key, tuple(v[1] for v in inputs))

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    keyed = env.from_collection(elements).key_by(lambda e: e[0])
    got = list(keyed.window(GlobalWindows.create()).trigger(CountTrigger.of(3)).apply(Ids()).execute_and_collect())
    # CountTrigger fires without purging: every 3rd element, everything so far
    want = [(k, tuple(ids[:n])) for k, ids in per_key.items() for n in range(3, len(ids) + 1, 3)]
    assert _per_key_in_order(got) == _per_key_in_order(want)

    keyed = env.from_collection(elements).key_by(lambda e: e[0])
    got = list(keyed.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(3))).apply(Ids())
               .execute_and_collect())
    want = [(k, tuple(ids[n - 3:n])) for k, ids in per_key.items() for n in range(3, len(ids) + 1, 3)]
    assert _per_key_in_order(got) == _per_key_in_order(want)

    # the default trigger of GlobalWindows never fires; the job still finishes
    keyed = env.from_collection(elements).key_by(lambda e: e[0])
    assert list(keyed.window(GlobalWindows.create()).apply(Ids()).execute_and_collect()) == []


# ============================================================ results, timestamps, cascades


class _StampOf(ProcessFunction):
    def process_element(self, value, ctx):
        yield (value, ctx.timestamp())


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_window_results_carry_max_timestamp_and_cascade(parallelism):
    """A window's results carry window.max_timestamp(), and watermarks flow on: per-key
    1-second sums feed a 5-second window_all whose totals are per-5-second totals."""
    script = make_script(3, n=120, late_share=0.0, bound=5_000)
    stamped = run_script(script, lambda k, s: k.window(TumblingEventTimeWindows.of(Time.seconds(1)))
                         .reduce(lambda a, b: (a[0], max(a[1], b[1]), a[2] + b[2])).process(_StampOf()),
                         parallelism)
    for (key, max_ts, ids), ts in stamped:
        assert ts == (max_ts // 1000) * 1000 + 999, (key, max_ts, ts)

    def cascade(keyed, _src):
        per_key = keyed.window(TumblingEventTimeWindows.of(Time.seconds(1))) \
            .reduce(lambda a, b: (a[0], max(a[1], b[1]), a[2] + b[2]))
        return per_key.window_all(TumblingEventTimeWindows.of(Time.seconds(5))) \
            .reduce(lambda a, b: ("*", max(a[1], b[1]), a[2] + b[2]),
                    window_function=_AllBounds())

    got = run_script(script, cascade, parallelism)
    want: dict = defaultdict(list)
    for item in script:
        if item[0] == "e":
            want[(item[2] // 5000) * 5000].append(item[3])
    assert sorted(got) == sorted((start, start + 5000, tuple(sorted(ids))) for start, ids in want.items())


class _AllBounds(AllWindowFunction):
    def apply(self, window, inputs):
        for v in inputs:
            yield (window.start, window.end, tuple(sorted(v[2])))


# ============================================================ window contents are keyed state


def test_window_contents_are_keyed_state_in_the_task_backend():
    """The window operator keeps its contents in the task's keyed state backend: a snapshot
    groups them by the key's key group, and a restore into a subtask owning half of the key
    groups keeps exactly the contents of its keys."""
    from runtime.state.heap_keyed_state_backend import HeapKeyedStateBackend
    from runtime.state.key_groups import assign_to_key_group, key_group_range
    from runtime.streaming.tasks.runtime_context import StreamingRuntimeContext
    from runtime.streaming.tasks.task_context import TaskContext
    from runtime.streaming.window_contents import LIST
    from runtime.streaming.window_operator import WindowOperator

    class Out:
        def __init__(self):
            self.records = []

        def emit(self, values, timestamps=None, keys=None):
            self.records.extend(values)

        def emit_watermark(self, wm):
            pass

    keys = [f"user-{i}" for i in range(40)]
    backend = HeapKeyedStateBackend(128)
    rc = StreamingRuntimeContext("window", 0, 1)
    rc._state_backend = backend.for_namespace("window")
    ctx = TaskContext("job", "window", 0, 1, 128, 0, rc, {}, keyed_state_backend=backend)
    op = WindowOperator("window", TumblingEventTimeWindows.of(Time.seconds(10)), EventTimeTrigger.create(), LIST,
                        aligned=True)
    op.runtime_context = rc
    out = Out()
    op.setup(ctx, out, {})
    op.open()
    op.process_batch([(k, i) for i, k in enumerate(keys)], [1_000 + i for i in range(len(keys))], keys)
    assert out.records == []

    snap = pickle.loads(backend.snapshot())
    holding = {name: groups for name, (_kind, groups) in snap.items()
               if {k for g in groups.values() for k in g} == set(keys)}
    assert holding, "no keyed state table holds the window contents of every key"
    for groups in holding.values():
        for kg, entries in groups.items():
            assert all(assign_to_key_group(k, 128) == kg for k in entries)

    half = key_group_range(128, 2, 0)
    restored = HeapKeyedStateBackend(128, half)
    restored.restore([backend.snapshot()])
    mine = {k for k in keys if assign_to_key_group(k, 128) in half}
    assert 0 < len(mine) < len(keys)
    for name in holding:
        assert set(restored.tables[name]) == mine


# ============================================================ processing-time windows

SEEN: dict[str, list] = defaultdict(list)
TICK = ("tick", 0)


class _SeenSink(SinkFunction):
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def invoke(self, value, context):
        SEEN[self.run_id].append(value)


class _PacedSource(SourceFunction):
    """Emits (key, id) elements a few at a time over ~0.4 s of processing time, then keeps
    the job open until the sink has seen every id ``copies`` times (or 20 s passed), so
    every processing-time window gets to fire before the input ends."""

    def __init__(self, run_id: str, elements: list, copies: int) -> None:
        self.run_id = run_id
        self.elements = elements
        self.copies = copies
        self.running = True

    def _done(self) -> bool:
        counts = Counter(i for rec in list(SEEN[self.run_id]) for i in rec[-1])
        return all(counts[i] >= self.copies for _, i in self.elements)

    def run(self, ctx):
        for n, e in enumerate(self.elements):
            ctx.collect(e)
            if n % 8 == 7:
                time.sleep(0.025)   # pacing: spreads the elements over several windows
        deadline = time.monotonic() + 10
        while self.running and not self._done() and time.monotonic() < deadline:
            time.sleep(0.01)
            # a filtered-out tick now and then, so the test does not depend on how a
            # SourceFunction's records are batched (see test_source_function_records_flow_...)
            ctx.collect(TICK)

    def cancel(self):
        self.running = False


class _PTBounds(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        now = context.current_processing_time()
        assert now >= w.max_timestamp(), "a processing-time window fired before its end"
        yield (key, w.start, w.end, tuple(sorted(e[1] for e in elements)))


def _run_paced(run_id: str, assigner, copies: int, parallelism: int, trigger=None):
    SEEN.pop(run_id, None)
    elements = [(f"k{i % 3}", i) for i in range(1, 121)]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    windowed = env.add_source(_PacedSource(run_id, elements, copies)).filter(lambda e: e[0] != "tick") \
        .key_by(lambda e: e[0]).window(assigner)
    if trigger is not None:
        windowed = windowed.trigger(trigger)
    windowed.process(_PTBounds()).add_sink(_SeenSink(run_id))
    started = time.time() * 1000
    env.execute(run_id)
    finished = time.time() * 1000
    return elements, list(SEEN.pop(run_id)), started, finished


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_tumbling_processing_time_windows_count_every_element_once(parallelism):
    elements, fired, started, finished = _run_paced(f"pt-tumble-{parallelism}", TumblingProcessingTimeWindows.of(
        Time.milliseconds(100)), 1, parallelism)
    ids = Counter(i for *_, got in fired for i in got)
    assert ids == Counter(i for _, i in elements), "an element was lost or counted twice"
    key_of = dict((i, k) for k, i in elements)
    for key, start, end, got in fired:
        assert end - start == 100 and start % 100 == 0, (start, end)
        assert started - 100 <= start and end <= finished + 100
        assert all(key_of[i] == key for i in got)
    assert len({(k, s) for k, s, _, _ in fired}) == len(fired), "a window fired twice"
    assert len({s for _, s, _, _ in fired}) > 1, "all elements landed in one window: pacing too fast to test"


def test_sliding_processing_time_windows_hold_each_element_size_over_slide_times():
    elements, fired, _, _ = _run_paced("pt-slide", SlidingProcessingTimeWindows.of(
        Time.milliseconds(150), Time.milliseconds(50)), 3, 2, trigger=ProcessingTimeTrigger.create())
    windows_of = defaultdict(list)
    for key, start, end, got in fired:
        assert end - start == 150 and start % 50 == 0
        for i in got:
            windows_of[i].append(start)
    assert set(windows_of) == {i for _, i in elements}
    for i, starts in windows_of.items():
        starts.sort()
        assert len(starts) == 3 and starts[2] - starts[0] == 100, f"{i} not in 3 consecutive windows: {starts}"


def test_processing_time_session_windows_merge_and_count_once():
    elements, fired, _, _ = _run_paced("pt-session", ProcessingTimeSessionWindows.with_gap(Time.milliseconds(60)),
                                       1, 1)
    assert Counter(i for *_, got in fired for i in got) == Counter(i for _, i in elements)
    per_key = defaultdict(list)
    for key, start, end, _ in fired:
        assert end - start >= 60
        per_key[key].append((start, end))
    for sessions in per_key.values():
        sessions.sort()
        for (s1, e1), (s2, e2) in zip(sessions, sessions[1:]):
            assert e1 < s2, f"sessions {(s1, e1)} and {(s2, e2)} overlap or touch but were not merged"
    assert any(len(got) > 1 for *_, got in fired), "no session merged several elements"


# ============================================================ API checks


def test_windowed_stream_argument_checks():
    env = StreamExecutionEnvironment.get_execution_environment()
    keyed = env.from_collection([("a", 1)]).key_by(lambda e: e[0])
    with pytest.raises(ValueError):
        keyed.window(TumblingEventTimeWindows.of(Time.seconds(1))).allowed_lateness(-1)
    with pytest.raises(ValueError):
        keyed.window(TumblingProcessingTimeWindows.of(Time.seconds(1))).allowed_lateness(1_000)
    with pytest.raises(TypeError):
        keyed.window(TumblingEventTimeWindows.of(Time.seconds(1))).aggregate(lambda a, b: a)
    with pytest.raises(TypeError):
        keyed.window(TumblingEventTimeWindows.of(Time.seconds(1))).process(lambda *a: a)

    class NoMerge(win.Trigger):
        def on_element(self, element, timestamp, window, ctx):
            return win.TriggerResult.CONTINUE

        def on_processing_time(self, time, window, ctx):
            return win.TriggerResult.CONTINUE

        def on_event_time(self, time, window, ctx):
            return win.TriggerResult.CONTINUE

        def clear(self, window, ctx):
            pass

    with pytest.raises(ValueError):
        keyed.window(EventTimeSessionWindows.with_gap(Time.seconds(1))).trigger(NoMerge())


def test_event_time_window_without_timestamps_fails_naming_the_fix():
    env = StreamExecutionEnvironment.get_execution_environment()
    stream = env.from_collection([("a", 1), ("a", 2)]).key_by(lambda e: e[0]) \
        .window(TumblingEventTimeWindows.of(Time.seconds(1))).reduce(lambda a, b: a)
    with pytest.raises(Exception) as info:
        list(stream.execute_and_collect())
    assert "assign_timestamps_and_watermarks" in str(info.value)


def test_watermark_strategy_windows_in_order_data():
    """assign_timestamps_and_watermarks with bounded out-of-orderness: disorder within the
    bound never makes an element late, whenever the periodic watermark comes."""
    import random
    rng = random.Random(5)
    data, base = [], 0
    for i in range(1, 151):
        base += rng.choice((0, 50, 120, 300))
        data.append((rng.choice("abcd"), base + rng.randrange(0, 1_500), i))
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(2_000)) \
        .with_timestamp_assigner(lambda e, _: e[1])
    got = list(env.from_collection(data).assign_timestamps_and_watermarks(strategy).key_by(lambda e: e[0])
               .window(SlidingEventTimeWindows.of(Time.seconds(4), Time.seconds(2)))
               .apply(_IdsWF()).execute_and_collect())
    # every element is within 2 s of the max before it, so none is late
    top = 0
    for _, ts, _ in data:
        assert ts > top - 2_000
        top = max(top, ts)
    want = WindowModel(sliding(4_000, 2_000)).run([("e", k, ts, i) for k, ts, i in data])
    assert Counter(got) == Counter((f.key, *f.window, f.ids) for f in want.firings)


class _IdsWF(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, window.start, window.end, tuple(sorted(e[2] for e in inputs)))


class _WaitingSource(SourceFunction):
    """Collects 50 records in a burst, then waits (up to 3 s) for the sink to have them."""

    def run(self, ctx):
        for i in range(50):
            ctx.collect(i)
        t0 = time.monotonic()
        while len(SEEN["waiting"]) < 50 and time.monotonic() - t0 < 3:
            time.sleep(0.01)
        ctx.collect(("waited-ms", int((time.monotonic() - t0) * 1000)))


def test_source_function_records_flow_while_the_source_waits():
    """Records a SourceFunction collected reach the next operator within the buffer timeout
    (Flink: execution.buffer-timeout, 100 ms here by default) even if the source collects
    nothing more for a while: a quiet source (a socket, a sensor) must not hold them back,
    or processing-time windows over it never see them."""
    SEEN.pop("waiting", None)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.add_source(_WaitingSource()).add_sink(_SeenSink("waiting"))
    env.execute("waiting source")
    got = SEEN.pop("waiting")
    assert got[:50] == list(range(50))
    waited = got[50][1]
    assert waited < 1_000, f"the first records reached the sink only after the source waited {waited} ms"


def test_window_all_runs_with_parallelism_1():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(4)
    windowed = env.from_collection([("a", 1)]).window_all(TumblingEventTimeWindows.of(Time.seconds(1))) \
        .reduce(lambda a, b: a)
    with pytest.raises(ValueError):
        windowed.set_parallelism(2)
    windowed.print()
    nodes = json.loads(env.get_execution_plan())["nodes"]
    window_nodes = [n for n in nodes if n["type"].startswith("Window(")]
    assert [n["parallelism"] for n in window_nodes] == [1]


PT_JOB = r'''
import sys
import time

from runtime.common import Time, Types
from runtime.datastream import SourceFunction, StreamExecutionEnvironment
from runtime.datastream.window import (
    ProcessingTimeSessionWindows, ProcessWindowFunction, SlidingProcessingTimeWindows,
    TumblingProcessingTimeWindows,
)


class Paced(SourceFunction):
    """120 (key, id) elements over ~0.4 s, then 1 s more (with filtered-out ticks) so every
    processing-time window closes before the input ends."""

    def run(self, ctx):
        for i in range(1, 121):
            ctx.collect(("k%d" % (i % 3), i))
            if i % 8 == 0:
                time.sleep(0.025)
        until = time.time() + 1.0
        while time.time() < until:
            time.sleep(0.01)
            ctx.collect(("tick", 0))


class Bounds(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield (key, w.start, w.end, tuple(sorted(e[1] for e in elements)))


ASSIGNERS = {
    "tumble": lambda: TumblingProcessingTimeWindows.of(Time.milliseconds(100)),
    "slide": lambda: SlidingProcessingTimeWindows.of(Time.milliseconds(150), Time.milliseconds(50)),
    "session": lambda: ProcessingTimeSessionWindows.with_gap(Time.milliseconds(60)),
}


def main():
    kind = sys.argv[1]
    env = StreamExecutionEnvironment.get_execution_environment()
    (env.add_source(Paced()).filter(lambda e: e[0] != "tick").key_by(lambda e: e[0])
        .window(ASSIGNERS[kind]()).process(Bounds())
        .map(lambda r: repr(r), output_type=Types.STRING()).print())
    env.execute("processing-time " + kind)


if __name__ == "__main__":
    main()
'''


def check_processing_time_output(kind: str, rows: list) -> None:
    elements = {i: f"k{i % 3}" for i in range(1, 121)}
    copies = {"tumble": 1, "slide": 3, "session": 1}[kind]
    counted = Counter(i for *_, ids in rows for i in ids)
    assert counted == Counter({i: copies for i in elements}), f"{kind}: elements lost or counted too often"
    for key, start, end, ids in rows:
        assert all(elements[i] == key for i in ids)
        if kind == "tumble":
            assert end - start == 100 and start % 100 == 0
        elif kind == "slide":
            assert end - start == 150 and start % 50 == 0
        else:
            assert end - start >= 60
    if kind == "session":
        per_key = defaultdict(list)
        for key, start, end, _ in rows:
            per_key[key].append((start, end))
        for sessions in per_key.values():
            sessions.sort()
            assert all(e1 < s2 for (_, e1), (s2, _) in zip(sessions, sessions[1:]))


def test_processing_time_windows_on_cluster(running_cluster: ClusterEnv, tmp_path_factory):
    job = tmp_path_factory.mktemp("pt") / "pt_job.py"
    job.write_text(PT_JOB)
    failures = []
    for kind, p in (("tumble", 2), ("slide", 1), ("session", 2)):
        proc = running_cluster.pyflink("run", "-p", str(p), str(job), kind, timeout=90)
        if proc.returncode != 0 or "has finished with state FINISHED" not in proc.stdout:
            failures.append(f"{kind}: {proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
            continue
        rows = [ast_literal(line) for line in proc.stdout.splitlines()
                if line.strip() and not line.startswith(("Job has been submitted", "Job with JobID", "Job Runtime"))]
        check_processing_time_output(kind, rows)
    assert not failures, "\n".join(failures)


def ast_literal(line: str):
    m = re.match(r"^\d+> (.*)$", line)
    return ast.literal_eval(m.group(1) if m else line)


def _harness(assigner, trigger, kind, function=None, window_function=None):
    """A WindowOperator in a task-like context with its own keyed state backend; returns
    (operator, list of emitted records)."""
    from runtime.state.heap_keyed_state_backend import HeapKeyedStateBackend
    from runtime.streaming.tasks.runtime_context import StreamingRuntimeContext
    from runtime.streaming.tasks.task_context import TaskContext
    from runtime.streaming.window_operator import WindowOperator

    emitted: list = []

    class Out:
        def emit(self, values, timestamps=None, keys=None):
            emitted.extend(values)

        def emit_watermark(self, wm):
            pass

    backend = HeapKeyedStateBackend(128)
    rc = StreamingRuntimeContext("window", 0, 1)
    rc._state_backend = backend.for_namespace("window")
    ctx = TaskContext("job", "window", 0, 1, 128, 0, rc, {}, keyed_state_backend=backend)
    from runtime.datastream.window import MergingWindowAssigner
    from runtime.datastream.windowed_stream import _aligned_event_time
    op = WindowOperator("window", assigner, trigger, kind, function, window_function,
                        merging=isinstance(assigner, MergingWindowAssigner),
                        aligned=_aligned_event_time(assigner, trigger))
    op.runtime_context = rc
    op.setup(ctx, Out(), {})
    op.open()
    return op, emitted


def test_processing_time_window_fires_only_after_its_last_millisecond(monkeypatch):
    """Flink fires a processing-time timer for time T once the clock is past T (it delays
    timers by 1 ms), so an element processed at T = window.max_timestamp() still joins that
    window and the window fires once, with everything. Clock driven by the test."""
    from runtime.streaming import window_operator
    from runtime.streaming.window_contents import LIST

    clock = {"now": 1_250}
    monkeypatch.setattr(window_operator, "now_ms", lambda: clock["now"])
    op, emitted = _harness(TumblingProcessingTimeWindows.of(Time.milliseconds(1_000)),
                           ProcessingTimeTrigger.create(), LIST, window_function=_IdsOfWindow())
    op.process_batch([("a", 1)], None, ["a"])                 # at 1250 -> window [1000, 2000)
    clock["now"] = 1_999
    op.on_tick(1_999)                                          # the window's last millisecond
    op.process_batch([("a", 2)], None, ["a"])                 # still at 1999 -> same window
    clock["now"] = 2_000
    op.on_tick(2_000)
    assert emitted == [("a", 1_000, 2_000, (1, 2))]


class _IdsOfWindow(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, window.start, window.end, tuple(sorted(v[1] for v in inputs)))
