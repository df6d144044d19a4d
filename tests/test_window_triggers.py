"""Window triggers (issue 5, item 2): EventTimeTrigger, CountTrigger, PurgingTrigger,
ContinuousEventTimeTrigger (with and without allowed lateness, on merging windows too),
ProcessingTimeTrigger and ContinuousProcessingTimeTrigger.

Event-time triggers run over scripts of out-of-order elements and explicit watermarks on
the embedded cluster at parallelism 1 and 2; the expected firings -- per key and window, in
order -- come from the plain-Python model in ``window_reference`` over the same script.
Processing-time triggers are checked by invariants, with the job kept open until its sink
has seen what it must see (no sleeping in the test).
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict

import pytest
from window_jobs import ids_of, run_script
from window_reference import WindowModel, make_script, session, sliding, tumbling

from runtime.common import Time
from runtime.datastream import SinkFunction, SourceFunction, StreamExecutionEnvironment
from runtime.datastream.window import (
    ContinuousEventTimeTrigger,
    ContinuousProcessingTimeTrigger,
    CountTrigger,
    EventTimeSessionWindows,
    EventTimeTrigger,
    GlobalWindows,
    ProcessWindowFunction,
    PurgingTrigger,
    SlidingEventTimeWindows,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
    WindowFunction,
)

PARALLELISMS = (1, 2)


class Bounds(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, window.start, window.end, ids_of(inputs))


def per_window(records) -> dict:
    """(key, (start, end)) -> [ids of each firing, in output order]."""
    out: dict = defaultdict(list)
    for key, start, end, ids in records:
        out[(key, (start, end))].append(ids)
    return dict(out)


def expected_per_window(result) -> dict:
    out: dict = defaultdict(list)
    for f in result.firings:
        out[(f.key, f.window)].append(f.ids)
    return dict(out)


def check(script, assigner_model, windowing, trigger, trigger_spec, parallelism, lateness=0, merging=False):
    def build(keyed, _src):
        w = windowing(keyed).trigger(trigger)
        if lateness:
            w = w.allowed_lateness(lateness)
        return w.apply(Bounds())

    got = per_window(run_script(script, build, parallelism))
    want = expected_per_window(WindowModel(assigner_model, merging=merging, lateness=lateness,
                                           trigger=trigger_spec).run(script))
    assert want, "the scenario fires nothing"
    diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got) if want.get(k) != got.get(k)}
    assert not diff, f"{len(diff)} windows differ (expected, got): {dict(list(diff.items())[:4])}"
    return want


def tumble10(keyed):
    return keyed.window(TumblingEventTimeWindows.of(Time.seconds(10)))


SCRIPT = make_script(1)


# ============================================================ event-time triggers


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_explicit_event_time_trigger_with_lateness(parallelism):
    want = check(SCRIPT, tumbling(10_000), tumble10, EventTimeTrigger.create(), ("event",), parallelism,
                 lateness=3_500)
    assert any(len(fires) > 1 for fires in want.values()), "no late firing in the scenario"


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_count_trigger_fires_every_n_elements_without_purging(parallelism):
    want = check(SCRIPT, tumbling(10_000), tumble10, CountTrigger.of(3), ("count", 3), parallelism)
    assert any(len(fires) > 1 and len(fires[1]) == 6 for fires in want.values())


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_purging_count_trigger_fires_disjoint_groups(parallelism):
    want = check(SCRIPT, tumbling(10_000), tumble10, PurgingTrigger.of(CountTrigger.of(3)), ("purging", ("count", 3)),
                 parallelism)
    assert all(len(ids) == 3 for fires in want.values() for ids in fires)


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_purging_event_time_trigger_late_firings_hold_only_late_elements(parallelism):
    want = check(SCRIPT, tumbling(10_000), tumble10, PurgingTrigger.of(EventTimeTrigger.create()),
                 ("purging", ("event",)), parallelism, lateness=3_500)
    assert any(len(fires) > 1 for fires in want.values())


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_continuous_event_time_trigger_fires_every_interval(parallelism):
    want = check(SCRIPT, tumbling(10_000), tumble10, ContinuousEventTimeTrigger.of(Time.milliseconds(3_000)),
                 ("continuous", 3_000), parallelism)
    assert any(len(fires) >= 3 for fires in want.values())


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_continuous_event_time_trigger_on_sliding_windows(parallelism):
    check(SCRIPT, sliding(10_000, 5_000), lambda k: k.window(SlidingEventTimeWindows.of(Time.seconds(10),
                                                                                        Time.seconds(5))),
          ContinuousEventTimeTrigger.of(Time.seconds(4)), ("continuous", 4_000), parallelism)


def test_continuous_event_time_trigger_with_allowed_lateness_fires_once_at_the_window_end():
    """Flink caps the next continuous fire time at window.max_timestamp(): window [0, 10000)
    with interval 5000 fires at 5000 and at 9999, and nothing more while it waits for late
    data. Watermarks 10000 and 10001 must not fire it again."""
    script = [("e", "a", 1_000, 1), ("w", 5_000), ("w", 9_999), ("w", 10_000), ("w", 10_001), ("w", 20_000)]

    def build(keyed, _src):
        return tumble10(keyed).allowed_lateness(5_000) \
            .trigger(ContinuousEventTimeTrigger.of(Time.milliseconds(5_000))).apply(Bounds())

    assert run_script(script, build) == [("a", 0, 10_000, (1,))] * 2


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_continuous_event_time_trigger_with_allowed_lateness_matches_model(parallelism):
    check(SCRIPT, tumbling(10_000), tumble10, ContinuousEventTimeTrigger.of(Time.milliseconds(2_500)),
          ("continuous", 2_500), parallelism, lateness=3_500)


# ============================================================ triggers on merging windows


def sessions3(keyed):
    return keyed.window(EventTimeSessionWindows.with_gap(Time.seconds(3)))


def test_count_trigger_state_merges_with_sessions():
    """CountTrigger on sessions: the count of merged sessions is the sum of their counts
    (Flink: onMerge merges the trigger state before the merged windows are cleared). Two
    sessions of one element each, bridged by a third element -> count 3 -> fires."""
    script = [("e", "a", 0, 1), ("e", "a", 2_000, 2), ("e", "a", 1_000, 3), ("w", 10_000)]

    def build(keyed, _src):
        return keyed.window(EventTimeSessionWindows.with_gap(Time.milliseconds(1_000))) \
            .trigger(CountTrigger.of(3)).apply(Bounds())

    assert run_script(script, build) == [("a", 0, 3_000, (1, 2, 3))]


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_count_trigger_on_sessions_matches_model(parallelism):
    check(SCRIPT, session(3_000), sessions3, CountTrigger.of(2), ("count", 2), parallelism, merging=True)


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_continuous_event_time_trigger_on_sessions(parallelism):
    check(SCRIPT, session(3_000), sessions3, ContinuousEventTimeTrigger.of(Time.seconds(1)), ("continuous", 1_000),
          parallelism, merging=True)


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_event_time_trigger_on_sessions_with_lateness(parallelism):
    want = check(SCRIPT, session(3_000), sessions3, EventTimeTrigger.create(), ("event",), parallelism,
                 lateness=2_000, merging=True)
    assert any(len(fires) > 1 for fires in want.values()), "no late firing of a session"


# ============================================================ processing-time triggers

SEEN: dict[str, list] = defaultdict(list)
TICK = ("tick", 0)


class SeenSink(SinkFunction):
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def invoke(self, value, context):
        SEEN[self.run_id].append(value)


class PacedSource(SourceFunction):
    """(key, id) elements over ~0.4 s, then open until ``done(seen records)`` holds (or the
    deadline), collecting a filtered-out tick now and then so buffered records move on."""

    def __init__(self, run_id: str, elements: list, done, deadline: float = 8.0, phase=None) -> None:
        self.run_id = run_id
        self.elements = elements
        self.done = done
        self.deadline = deadline
        self.phase = phase        # (period, lo, hi): emit each group when wall ms % period is in [lo, hi)
        self.running = True

    def _await_phase(self):
        period, lo, hi = self.phase
        while not lo <= int(time.time() * 1000) % period < hi:
            time.sleep(0.002)

    def run(self, ctx):
        for n, e in enumerate(self.elements):
            if self.phase is not None and n % 6 == 0:
                self._await_phase()
            ctx.collect(e)
            if n % 6 == 5:
                time.sleep(0.02)
        deadline = time.monotonic() + self.deadline
        while self.running and not self.done(list(SEEN[self.run_id]), self.elements) \
                and time.monotonic() < deadline:
            time.sleep(0.01)
            ctx.collect(TICK)

    def cancel(self):
        self.running = False


class PTBounds(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield (key, getattr(w, "start", None), getattr(w, "end", None), context.current_processing_time(),
               tuple(sorted(e[1] for e in elements)))


def run_paced(run_id, windowing, trigger, done, parallelism=2, deadline=8.0, phase=None, n=90):
    SEEN.pop(run_id, None)
    elements = [(f"k{i % 3}", i) for i in range(1, n + 1)]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    keyed = env.add_source(PacedSource(run_id, elements, done, deadline, phase)).filter(lambda e: e[0] != "tick") \
        .key_by(lambda e: e[0])
    windowing(keyed).trigger(trigger).process(PTBounds()).add_sink(SeenSink(run_id))
    env.execute(run_id)
    return elements, list(SEEN.pop(run_id))


def all_in_some_firing(seen, elements) -> bool:
    have = {i for rec in seen for i in rec[-1]}
    return all(i in have for _, i in elements)


def last_firings(seen) -> dict:
    last: dict = {}
    for key, start, end, _now, ids in seen:
        last[(key, start)] = ids
    return last


def every_element_in_last_firing(seen, elements) -> bool:
    have = {i for ids in last_firings(seen).values() for i in ids}
    return all(i in have for _, i in elements)


def test_continuous_processing_time_trigger_on_global_windows_accumulates():
    elements, seen = run_paced("cpt-global", lambda k: k.window(GlobalWindows.create()),
                               ContinuousProcessingTimeTrigger.of(Time.milliseconds(40)), all_in_some_firing)
    per_key = defaultdict(list)
    for key, _s, _e, now, ids in seen:
        per_key[key].append((now, ids))
    want = defaultdict(set)
    for k, i in elements:
        want[k].add(i)
    for key, fires in per_key.items():
        fires.sort()
        for (t1, a), (t2, b) in zip(fires, fires[1:]):
            assert set(a) <= set(b), "a later firing of the global window lost elements"
        assert set(fires[-1][1]) == want[key]
        assert all(set(ids) <= want[key] for _, ids in fires)
    assert set(per_key) == set(want)
    assert any(len(f) > 1 for f in per_key.values()), "the trigger never fired more than once"


def test_continuous_processing_time_trigger_fires_at_the_window_end():
    """ContinuousProcessingTimeTrigger on 200 ms processing-time windows, interval 50 ms:
    each window fires as it goes and, last, at its end (Flink caps the next fire time at
    window.max_timestamp()), so every element is in the final firing of its window -- also
    elements that arrive in a window's last 50 ms, as the source's groups here do."""
    elements, seen = run_paced("cpt-tumble", lambda k: k.window(TumblingProcessingTimeWindows.of(
        Time.milliseconds(200))), ContinuousProcessingTimeTrigger.of(Time.milliseconds(50)),
        every_element_in_last_firing, parallelism=2, deadline=3.0, phase=(200, 155, 175), n=36)
    for key, start, end, now, ids in seen:
        assert end - start == 200 and start % 200 == 0
        assert now >= start
    per_window = defaultdict(list)
    for key, start, _e, now, ids in seen:
        per_window[(key, start)].append((now, ids))
    for fires in per_window.values():
        fires.sort()
        for (_, a), (_, b) in zip(fires, fires[1:]):
            assert set(a) <= set(b)
    final = Counter(i for ids in last_firings(seen).values() for i in ids)
    missing = sorted(i for _, i in elements if final[i] != 1)
    assert not missing, f"{len(missing)} elements never appear in the last firing of their window: {missing[:10]}"
