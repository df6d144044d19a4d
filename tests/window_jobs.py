"""The event-time window matrix job of test_windows.py, and its expected output.

``MATRIX_JOB`` is a self-contained job file (it runs as ``python job.py script.json`` on the
embedded cluster and as ``pyflink run -p N job.py script.json`` on a real one). A non-parallel
source replays a script of timestamped elements and explicit watermarks (so which elements
are late is decided by the script, not by timing), and the job runs one pipeline per
scenario below over it: every event-time assigner, every window function kind, allowed
lateness with late firings and the late side output, session merging, window_all, count
windows, GlobalWindows, and CountTrigger / ContinuousEventTimeTrigger / PurgingTrigger.
Each output line is ``TAG|repr(record)``.

``expected_matrix`` computes, from the same script, what every scenario must print, with
the plain-Python model in ``window_reference``.
"""
from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict

from window_reference import WindowModel, session, sliding, timestamps, tumbling

MATRIX_JOB = r'''
import json
import sys

from runtime.common import Time, Types
from runtime.datastream import AggregateFunction, OutputTag, SourceFunction, StreamExecutionEnvironment
from runtime.datastream.state import ValueStateDescriptor
from runtime.datastream.window import (
    AllWindowFunction, ContinuousEventTimeTrigger, CountTrigger, EventTimeSessionWindows, GlobalWindows,
    ProcessAllWindowFunction, ProcessWindowFunction, PurgingTrigger, SessionWindowTimeGapExtractor,
    SlidingEventTimeWindows, TumblingEventTimeWindows, WindowFunction,
)

T = Time.milliseconds
DYNAMIC_GAPS = {"a": 500, "b": 1000, "c": 1500, "d": 2500, "e": 4000}


class ScriptSource(SourceFunction):
    """Replays [("e", key, ts, id) | ("w", watermark)]: elements as (key, ts, (id,))."""

    def __init__(self, script):
        self.script = script

    def run(self, ctx):
        for item in self.script:
            if item[0] == "w":
                ctx.emit_watermark(item[1])
            else:
                ctx.collect_with_timestamp((item[1], item[2], (item[3],)), item[2])


def merge_ids(a, b):
    return (a[0], max(a[1], b[1]), tuple(sorted(a[2] + b[2])))


def ids_of(elements):
    return tuple(sorted(i for e in elements for i in e[2]))


class CollectIds(AggregateFunction):
    def create_accumulator(self):
        return (None, ())

    def add(self, value, acc):
        return (value[0], acc[1] + value[2])

    def get_result(self, acc):
        return (acc[0], tuple(sorted(acc[1])), len(acc[1]))

    def merge(self, a, b):
        return (a[0] if a[0] is not None else b[0], a[1] + b[1])


class ApplyIds(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, window.start, window.end, ids_of(inputs))


class WithWindow(WindowFunction):
    def apply(self, key, window, inputs):
        for v in inputs:
            yield (key, window.start, window.end, v)


class ReducedWithWatermark(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        for v in elements:
            yield (key, w.start, w.end, v, context.current_watermark())


class FullProcess(ProcessWindowFunction):
    """Window bounds, contents, watermark, per-window state (firings of this window),
    global state (firings of this key; windows of this key cleared so far)."""

    def process(self, key, context, elements):
        w = context.window()
        fires = context.window_state().get_state(ValueStateDescriptor("fires", Types.INT()))
        n = (fires.value() or 0) + 1
        fires.update(n)
        key_fires = context.global_state().get_state(ValueStateDescriptor("key-fires", Types.INT()))
        kn = (key_fires.value() or 0) + 1
        key_fires.update(kn)
        cleared = context.global_state().get_state(ValueStateDescriptor("cleared", Types.INT())).value() or 0
        yield (key, w.start, w.end, w.max_timestamp(), ids_of(elements), context.current_watermark(), n, kn, cleared)

    def clear(self, context):
        cleared = context.global_state().get_state(ValueStateDescriptor("cleared", Types.INT()))
        cleared.update((cleared.value() or 0) + 1)


class SessionProcess(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield (key, w.start, w.end, ids_of(elements), context.current_watermark())


class GapByKey(SessionWindowTimeGapExtractor):
    def extract(self, element):
        return DYNAMIC_GAPS[element[0]]


class AllIds(AllWindowFunction):
    def apply(self, window, inputs):
        for v in inputs:
            yield (window.start, window.end, v[2])


class AllProcess(ProcessAllWindowFunction):
    def process(self, context, elements):
        w = context.window()
        yield (w.start, w.end, ids_of(elements), context.current_watermark())


class CountIds(ProcessWindowFunction):
    def process(self, key, context, elements):
        yield (key, context.window().id, tuple(i for e in elements for i in e[2]))


class GlobalIds(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, tuple(i for e in inputs for i in e[2]))


def show(tag, stream):
    stream.map(lambda r, tag=tag: tag + "|" + repr(r), output_type=Types.STRING()).print()


def main():
    script = json.load(open(sys.argv[1]))
    env = StreamExecutionEnvironment.get_execution_environment()
    if len(sys.argv) > 2:
        env.set_parallelism(int(sys.argv[2]))
    src = env.add_source(ScriptSource(script), "script")
    keyed = src.key_by(lambda e: e[0])

    show("TUMBLE_REDUCE", keyed.window(TumblingEventTimeWindows.of(T(10000))).reduce(merge_ids))
    show("TUMBLE_OFFSET_AGG", keyed.window(TumblingEventTimeWindows.of(T(10000), T(2500))).aggregate(CollectIds()))
    show("SLIDE_APPLY", keyed.window(SlidingEventTimeWindows.of(T(10000), T(5000))).apply(ApplyIds()))
    show("SLIDE_OFFSET_PROCESS",
         keyed.window(SlidingEventTimeWindows.of(T(9000), T(3000), T(1000))).process(FullProcess()))

    late_p = OutputTag("late-process")
    w = keyed.window(TumblingEventTimeWindows.of(Time.seconds(10))).allowed_lateness(3500) \
        .side_output_late_data(late_p).process(FullProcess())
    show("LATE_PROCESS", w)
    show("LATE_PROCESS_SIDE", w.get_side_output(late_p))

    late_r = OutputTag("late-reduce")
    w = keyed.window(SlidingEventTimeWindows.of(T(10000), T(5000))).allowed_lateness(2500) \
        .side_output_late_data(late_r).reduce(merge_ids, window_function=ReducedWithWatermark())
    show("LATE_REDUCE_WF", w)
    show("LATE_REDUCE_WF_SIDE", w.get_side_output(late_r))

    show("LATE_AGG_WF", keyed.window(TumblingEventTimeWindows.of(T(7000))).allowed_lateness(T(1500))
         .aggregate(CollectIds(), window_function=WithWindow()))

    show("SESSION_REDUCE", keyed.window(EventTimeSessionWindows.with_gap(T(3000))).allowed_lateness(1000)
         .reduce(merge_ids, window_function=WithWindow()))
    show("SESSION_AGG", keyed.window(EventTimeSessionWindows.with_gap(T(3000)))
         .aggregate(CollectIds(), window_function=WithWindow()))
    late_s = OutputTag("late-session")
    w = keyed.window(EventTimeSessionWindows.with_gap(Time.seconds(3))).allowed_lateness(2000) \
        .side_output_late_data(late_s).process(SessionProcess())
    show("SESSION_PROCESS", w)
    show("SESSION_PROCESS_SIDE", w.get_side_output(late_s))
    show("SESSION_DYNAMIC", keyed.window(EventTimeSessionWindows.with_dynamic_gap(GapByKey()))
         .reduce(merge_ids, window_function=WithWindow()))

    show("ALL_TUMBLE", src.window_all(TumblingEventTimeWindows.of(T(10000))).reduce(merge_ids, window_function=AllIds()))
    show("ALL_SLIDE_PROCESS", src.window_all(SlidingEventTimeWindows.of(T(10000), T(5000))).allowed_lateness(2000)
         .process(AllProcess()))
    show("ALL_SESSION_AGG", src.window_all(EventTimeSessionWindows.with_gap(T(400))).aggregate(CollectIds()))

    show("TUMBLE_COUNT_TRIGGER", keyed.window(TumblingEventTimeWindows.of(T(10000))).trigger(CountTrigger.of(3))
         .apply(ApplyIds()))
    show("TUMBLE_CONTINUOUS", keyed.window(TumblingEventTimeWindows.of(T(10000)))
         .trigger(ContinuousEventTimeTrigger.of(T(3000))).apply(ApplyIds()))
    show("COUNT_TUMBLE", keyed.count_window(3).process(CountIds()))
    show("COUNT_SLIDE", keyed.count_window(4, 2).process(CountIds()))
    show("GLOBAL_PURGING_COUNT", keyed.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(4)))
         .apply(GlobalIds()))

    env.execute("window matrix")


if __name__ == "__main__":
    main()
'''

DYNAMIC_GAPS = {"a": 500, "b": 1000, "c": 1500, "d": 2500, "e": 4000}
ALL = "<all>"

PREFIX = re.compile(r"^(\d+)> (.*)$")
CLI_NOISE = ("Job has been submitted", "Job with JobID", "Job Runtime")


def parse_tagged(stdout: str, parallelism: int) -> dict[str, list[tuple[str, tuple]]]:
    """TAG -> [(subtask, record)] from printed lines (``N> `` prefixes at parallelism > 1)."""
    out: dict = defaultdict(list)
    for line in stdout.splitlines():
        if not line.strip() or line.startswith(CLI_NOISE):
            continue
        m = PREFIX.match(line)
        if parallelism > 1:
            assert m, f"line without a subtask prefix at parallelism {parallelism}: {line!r}"
            subtask, text = m.group(1), m.group(2)
        else:
            assert not m, f"unexpected subtask prefix at parallelism 1: {line!r}"
            subtask, text = "1", line
        tag, _, rec = text.partition("|")
        out[tag].append((subtask, ast.literal_eval(rec)))
    return dict(out)


def _all_script(script: list) -> list:
    """The same script with every element under one key (window_all)."""
    return [item if item[0] == "w" else ("e", ALL) + tuple(item[2:]) for item in script]


def expected_matrix(script: list) -> dict[str, Counter]:
    """TAG -> multiset of records the scenario must print."""
    ts = timestamps(script)
    all_script = _all_script(script)

    def model(assign, script=script, **kw):
        return WindowModel(assign, **kw).run(script)

    def reduced(f):
        return (f.key, max(ts[i] for i in f.ids), f.ids)

    exp: dict[str, list] = {}
    r = model(tumbling(10000))
    exp["TUMBLE_REDUCE"] = [reduced(f) for f in r.firings]
    r = model(tumbling(10000, 2500))
    exp["TUMBLE_OFFSET_AGG"] = [(f.key, f.ids, len(f.ids)) for f in r.firings]
    r = model(sliding(10000, 5000))
    exp["SLIDE_APPLY"] = [(f.key, *f.window, f.ids) for f in r.firings]
    r = model(sliding(9000, 3000, 1000))
    exp["SLIDE_OFFSET_PROCESS"] = [(f.key, *f.window, f.window[1] - 1, f.ids, f.watermark, f.nth, f.key_nth, f.cleared)
                                   for f in r.firings]
    r = model(tumbling(10000), lateness=3500)
    exp["LATE_PROCESS"] = [(f.key, *f.window, f.window[1] - 1, f.ids, f.watermark, f.nth, f.key_nth, f.cleared)
                           for f in r.firings]
    exp["LATE_PROCESS_SIDE"] = [(k, t, (i,)) for k, t, i in r.late]
    r = model(sliding(10000, 5000), lateness=2500)
    exp["LATE_REDUCE_WF"] = [(f.key, *f.window, reduced(f), f.watermark) for f in r.firings]
    exp["LATE_REDUCE_WF_SIDE"] = [(k, t, (i,)) for k, t, i in r.late]
    r = model(tumbling(7000), lateness=1500)
    exp["LATE_AGG_WF"] = [(f.key, *f.window, (f.key, f.ids, len(f.ids))) for f in r.firings]
    r = model(session(3000), merging=True, lateness=1000)
    exp["SESSION_REDUCE"] = [(f.key, *f.window, reduced(f)) for f in r.firings]
    r = model(session(3000), merging=True)
    exp["SESSION_AGG"] = [(f.key, *f.window, (f.key, f.ids, len(f.ids))) for f in r.firings]
    r = model(session(3000), merging=True, lateness=2000)
    exp["SESSION_PROCESS"] = [(f.key, *f.window, f.ids, f.watermark) for f in r.firings]
    exp["SESSION_PROCESS_SIDE"] = [(k, t, (i,)) for k, t, i in r.late]
    r = model(session(gap_of=lambda item: DYNAMIC_GAPS[item[1]]), merging=True)
    exp["SESSION_DYNAMIC"] = [(f.key, *f.window, reduced(f)) for f in r.firings]
    r = model(tumbling(10000), script=all_script)
    exp["ALL_TUMBLE"] = [(*f.window, f.ids) for f in r.firings]
    r = model(sliding(10000, 5000), script=all_script, lateness=2000)
    exp["ALL_SLIDE_PROCESS"] = [(*f.window, f.ids, f.watermark) for f in r.firings]
    r = model(session(400), script=all_script, merging=True)
    exp["ALL_SESSION_AGG"] = [(None, f.ids, len(f.ids)) for f in r.firings]
    r = model(tumbling(10000), trigger=("count", 3))
    exp["TUMBLE_COUNT_TRIGGER"] = [(f.key, *f.window, f.ids) for f in r.firings]
    r = model(tumbling(10000), trigger=("continuous", 3000))
    exp["TUMBLE_CONTINUOUS"] = [(f.key, *f.window, f.ids) for f in r.firings]
    # count and global windows: a key's elements in arrival order; window k of a count
    # window holds elements k*slide .. k*slide+size-1 and fires once full
    arrived: dict = defaultdict(list)
    for item in script:
        if item[0] == "e":
            arrived[item[1]].append(item[3])
    exp["COUNT_TUMBLE"] = [(k, w, tuple(ids[w * 3:w * 3 + 3])) for k, ids in arrived.items()
                           for w in range(len(ids) // 3)]
    exp["COUNT_SLIDE"] = [(k, w, tuple(ids[w * 2:w * 2 + 4])) for k, ids in arrived.items()
                          for w in range(len(ids)) if w * 2 + 4 <= len(ids)]
    exp["GLOBAL_PURGING_COUNT"] = [(k, tuple(ids[n:n + 4])) for k, ids in arrived.items()
                                   for n in range(0, len(ids) - 3, 4)]
    return {tag: Counter(records) for tag, records in exp.items()}


def normalise(tag: str, record: tuple) -> tuple:
    """Parts of a record that legitimately depend on the run: ALL_SESSION_AGG's key (an
    arbitrary element's key; window_all has no key) is dropped."""
    if tag == "ALL_SESSION_AGG":
        return (None,) + tuple(record[1:])
    return record


def check_matrix(stdout: str, parallelism: int, expected: dict[str, Counter]) -> None:
    got = parse_tagged(stdout, parallelism)
    problems = []
    for tag, want in expected.items():
        records = [normalise(tag, rec) for _, rec in got.get(tag, [])]
        have = Counter(records)
        if have != want:
            missing = list((want - have).elements())[:5]
            extra = list((have - want).elements())[:5]
            problems.append(f"{tag}: {sum(want.values())} expected, {sum(have.values())} printed; "
                            f"missing {missing}; unexpected {extra}")
    unknown = set(got) - set(expected)
    assert not unknown, f"unexpected tags in the output: {unknown}"
    assert not problems, "\n".join(problems)
    if parallelism > 1:
        # a keyed window's key lives on one subtask (window_all's output is rebalanced
        # onto the parallel map that prints it, so it is not checked here)
        for tag, rows in got.items():
            if tag.endswith("_SIDE") or tag.startswith("ALL_"):
                continue
            owner: dict = {}
            for subtask, rec in rows:
                key = rec[0]
                assert owner.setdefault(key, subtask) == subtask, f"{tag}: key {key} printed by two subtasks"


def check_order(stdout: str, parallelism: int) -> None:
    """Within one window, firings come in order: the n-th firing (per-window state) of
    LATE_PROCESS appears after the (n-1)-th, and the watermark never goes back."""
    got = parse_tagged(stdout, parallelism)
    seen: dict = {}
    for _, rec in got.get("LATE_PROCESS", []):
        key, start, end, _max_ts, _ids, wm, n, _kn, _cleared = rec
        prev = seen.get((key, start))
        assert (prev[0] if prev else 0) == n - 1, f"firing {n} of window {(key, start, end)} out of order"
        assert prev is None or prev[1] <= wm
        seen[(key, start)] = (n, wm)


# ----------------------------------------------------------------------------- in-process runs
from runtime.datastream import SourceFunction, StreamExecutionEnvironment  # noqa: E402


class ScriptSource(SourceFunction):
    """Replays a script in this process: elements as (key, ts, (id,)) with their timestamp,
    watermarks as explicit source watermarks. Non-parallel, bounded (ends with the script)."""

    bounded = True

    def __init__(self, script: list) -> None:
        self.script = script

    def run(self, ctx) -> None:
        for item in self.script:
            if item[0] == "w":
                ctx.emit_watermark(item[1])
            else:
                ctx.collect_with_timestamp((item[1], item[2], (item[3],)), item[2])


def run_script(script: list, build, parallelism: int = 1, mode=None) -> list:
    """Run ``build(keyed_stream, source_stream)`` over the script on the embedded cluster and
    collect its output."""
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    if mode is not None:
        env.set_runtime_mode(mode)
    src = env.add_source(ScriptSource(script), "script")
    out = build(src.key_by(lambda e: e[0]), src)
    return list(out.execute_and_collect())


def ids_of(elements) -> tuple:
    return tuple(sorted(i for e in elements for i in e[2]))
