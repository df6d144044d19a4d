"""Jobs for the issue-4 tests: watermarks, keyed state, timers, side outputs, connected and
broadcast streams.

This file is self-contained (it imports only ``runtime.*`` and the standard library) so the
same code runs in two ways:

* embedded, inside the test process: ``build(env, params)`` returns one stream of JSON
  strings that the test collects with ``execute_and_collect()``;
* on a real cluster: ``pyflink run -p N stream_jobs.py PARAMS.json`` ships this file alone,
  ``main()`` builds the same pipelines and prints the same JSON strings.

``params`` is ``{"pipelines": {name: pipeline_params, ...}}``; every pipeline's output is
tagged with its name (``[name, record]``) so several pipelines share one job submission.

Nothing here computes an expected result: the tests simulate the semantics themselves.
Files named in the params (``signal``, ``exit_file``) let sources that must stay open learn
when the rest of the job has done what the test waits for (on a cluster the TaskManagers are
other processes, so a file is the simplest shared channel); a source that gives up at its
deadline writes ``deadline`` instead of ``signal`` to its exit file, which the tests assert on.
"""
from __future__ import annotations

import json
import os
import sys
import time

from runtime.common import Duration, Types
from runtime.common.time import Time
from runtime.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
from runtime.datastream import (
    KeyedProcessFunction,
    ProcessFunction,
    SourceFunction,
    StreamExecutionEnvironment,
)
from runtime.datastream.connectors.number_seq import NumberSequenceSource
from runtime.datastream.functions import (
    AggregateFunction,
    BroadcastProcessFunction,
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    KeyedBroadcastProcessFunction,
    KeyedCoProcessFunction,
    MapFunction,
)
from runtime.datastream.output_tag import OutputTag
from runtime.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    StateTtlConfig,
    ValueStateDescriptor,
)
from runtime.datastream.time_domain import TimeDomain

MIN_WM = -(2 ** 63)
MAX_WM = 2 ** 63 - 1

LATE = OutputTag("late")
EVEN = OutputTag("even", Types.LONG())
ODD_SQUARES = OutputTag("odd-squares", Types.LONG())
NEVER = OutputTag("never-used")
TIMER_SIDE = OutputTag("timer-side")
REJECTED = OutputTag("rejected")
RULES = MapStateDescriptor("rules", Types.STRING(), Types.PICKLED_BYTE_ARRAY())

PIPELINES: dict = {}


def pipeline(fn):
    PIPELINES[fn.__name__] = fn
    return fn


# ------------------------------------------------------------------ files shared with the test
def append_line(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def count_lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


# ------------------------------------------------------------------ sources
class PacedSource(SourceFunction):
    """Emits the records in batches of ``batch`` with a pause after each batch, so periodic
    watermarks interleave with the data."""

    def __init__(self, records, batch: int = 10, pause: float = 0.005) -> None:
        self.records = [tuple(r) for r in records]
        self.batch = batch
        self.pause = pause
        self.running = True

    def run(self, ctx):
        for i, r in enumerate(self.records):
            if not self.running:
                return
            ctx.collect(r)
            if self.pause and (i + 1) % self.batch == 0:
                time.sleep(self.pause)

    def cancel(self):
        self.running = False


class HoldOpenSource(SourceFunction):
    """Emits ``records`` (often none), then stays open without emitting until the ``signal``
    file has ``expected`` lines or ``deadline`` seconds pass; writes why it stopped."""

    def __init__(self, records, signal: str, expected: int, deadline: float, exit_file: str,
                 heartbeat=None) -> None:
        self.records = [tuple(r) for r in records]
        self.signal = signal
        self.expected = expected
        self.deadline = deadline
        self.exit_file = exit_file
        self.heartbeat = tuple(heartbeat) if heartbeat else None
        self.running = True

    def run(self, ctx):
        for r in self.records:
            ctx.collect(r)
        start = time.monotonic()
        reason = "deadline"
        while self.running:
            if count_lines(self.signal) >= self.expected:
                reason = "signal"
                break
            if time.monotonic() - start > self.deadline:
                break
            if self.heartbeat is not None:
                ctx.collect(self.heartbeat)
            time.sleep(0.01)
        append_line(self.exit_file, reason)

    def cancel(self):
        self.running = False


class GatedSource(SourceFunction):
    """Waits until the ``signal`` file has ``expected`` lines (or the deadline passes), writes
    why it went on, then emits its records and finishes."""

    def __init__(self, records, signal: str, expected: int, deadline: float, exit_file: str) -> None:
        self.records = [tuple(r) for r in records]
        self.signal = signal
        self.expected = expected
        self.deadline = deadline
        self.exit_file = exit_file
        self.running = True

    def run(self, ctx):
        start = time.monotonic()
        reason = "deadline"
        while self.running:
            if count_lines(self.signal) >= self.expected:
                reason = "signal"
                break
            if time.monotonic() - start > self.deadline:
                break
            time.sleep(0.01)
        append_line(self.exit_file, reason)
        for r in self.records:
            ctx.collect(r)

    def cancel(self):
        self.running = False


class ScriptedSource(SourceFunction):
    """Replays a script of ``["r", record, ts]`` (collect_with_timestamp), ``["n", record]``
    (collect, no timestamp) and ``["w", ts]`` (emit_watermark): in-band source watermarks."""

    def __init__(self, script) -> None:
        self.script = [list(s) for s in script]

    def run(self, ctx):
        for step in self.script:
            if step[0] == "r":
                ctx.collect_with_timestamp(tuple(step[1]), step[2])
            elif step[0] == "n":
                ctx.collect(tuple(step[1]))
            else:
                ctx.emit_watermark(step[1])


# ------------------------------------------------------------------ timestamps
class FieldTimestamp(TimestampAssigner):
    def __init__(self, index: int = 1) -> None:
        self.index = index

    def extract_timestamp(self, value, record_timestamp):
        return value[self.index]


class SequenceTimestamp(TimestampAssigner):
    def __init__(self, factor: int) -> None:
        self.factor = factor

    def extract_timestamp(self, value, record_timestamp):
        return value * self.factor


class ShiftRecordTimestamp(TimestampAssigner):
    """Records that came with a timestamp get it + 1000; records without one get 5 when the
    assigner is told 'no timestamp' the way Flink does (Long.MIN_VALUE), else 6."""

    def extract_timestamp(self, value, record_timestamp):
        if record_timestamp == MIN_WM:
            return 5
        if not isinstance(record_timestamp, int):
            return 6
        return record_timestamp + 1000


def bounded(ms: int, index: int = 1) -> WatermarkStrategy:
    return WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(ms)) \
        .with_timestamp_assigner(FieldTimestamp(index))


# ------------------------------------------------------------------ event-time windows by hand
class WindowCount(KeyedProcessFunction):
    """Tumbling event-time windows written with state and timers: per key and window start,
    (count, sum) in MapState; an event-time timer at the window's last millisecond emits it.
    A record at or below the current watermark is late and goes to the LATE side output.
    ``signal``: a line per fired timer; ``element_signal``: a line per record whose 4th field
    equals ``signal_origin``."""

    def __init__(self, size: int, signal: str | None = None, element_signal: str | None = None,
                 signal_origin: str | None = None) -> None:
        self.size = size
        self.signal = signal
        self.element_signal = element_signal
        self.signal_origin = signal_origin

    def open(self, runtime_context):
        self.windows = runtime_context.get_map_state(
            MapStateDescriptor("windows", Types.LONG(), Types.PICKLED_BYTE_ARRAY()))
        self.subtask = runtime_context.get_index_of_this_subtask()

    def process_element(self, value, ctx):
        key, ts, v = value[0], value[1], value[2]
        if ctx.timestamp() != ts:
            yield ["bad-timestamp", key, ts, ctx.timestamp()]
        if self.element_signal and len(value) > 3 and value[3] == self.signal_origin:
            append_line(self.element_signal, f"{key} {ts}")
        if ts <= ctx.timer_service().current_watermark():
            yield LATE, [key, ts, v]
            return
        start = ts - ts % self.size
        count, total = self.windows.get(start) or (0, 0)
        self.windows.put(start, (count + 1, total + v))
        ctx.timer_service().register_event_time_timer(start + self.size - 1)

    def on_timer(self, timestamp, ctx):
        start = timestamp - self.size + 1
        count, total = self.windows.get(start)
        self.windows.remove(start)
        ok = [ctx.timestamp() == timestamp, ctx.timer_service().current_watermark() >= timestamp,
              ctx.time_domain() == TimeDomain.EVENT_TIME]
        yield ["window", ctx.get_current_key(), start, count, total, ok, self.subtask, timestamp]
        if self.signal:
            append_line(self.signal, f"{ctx.get_current_key()} {timestamp}")


class StampCheck(ProcessFunction):
    """Downstream of a network edge: appends the timestamp the record arrived with."""

    def process_element(self, value, ctx):
        yield list(value) + [ctx.timestamp()]


def window_job(env, keyed_input, size, signal=None, element_signal=None, signal_origin=None):
    main = keyed_input.key_by(lambda r: r[0]).process(WindowCount(size, signal, element_signal, signal_origin))
    # re-keyed (not rebalanced) so the order per key survives the network hop
    checked = main.key_by(lambda r: r[1]).process(StampCheck())
    late = main.get_side_output(LATE).map(lambda r: ["late"] + list(r))
    return checked.union(late)


# ------------------------------------------------------------------ event-time pipelines
@pipeline
def windows(env, p):
    """Out-of-order data (disorder <= bound) from a paced source; periodic watermarks."""
    ds = env.add_source(PacedSource(p["records"], p.get("batch", 10), p.get("pause", 0.005))) \
        .assign_timestamps_and_watermarks(bounded(p["bound"])) \
        .map(lambda r: (r[0], r[1], r[2]))
    return window_job(env, ds, p["size"])


@pipeline
def inband(env, p):
    """A source that sets timestamps and emits watermarks itself (no assigner)."""
    ds = env.add_source(ScriptedSource(p["script"]))
    return window_job(env, ds, p["size"])


@pipeline
def monotonous(env, p):
    strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(SequenceTimestamp(p["factor"]))
    ds = env.from_source(NumberSequenceSource(0, p["n"] - 1), strategy, "sequence") \
        .map(lambda v: (f"k{v % p['keys']}", v * p["factor"], v))
    return window_job(env, ds, p["size"])


class NoWatermarkProbe(KeyedProcessFunction):
    def process_element(self, value, ctx):
        key, ts = value[0], value[1]
        yield ["el", key, ts, ctx.timestamp(), ctx.timer_service().current_watermark()]
        ctx.timer_service().register_event_time_timer(ts)
        ctx.timer_service().register_event_time_timer(ts + 10 ** 12)

    def on_timer(self, timestamp, ctx):
        yield ["timer", ctx.get_current_key(), timestamp, ctx.timestamp(), ctx.timer_service().current_watermark()]


@pipeline
def no_watermarks(env, p):
    strategy = WatermarkStrategy.no_watermarks().with_timestamp_assigner(FieldTimestamp(1))
    ds = env.from_collection([tuple(r) for r in p["records"]]).assign_timestamps_and_watermarks(strategy)
    return ds.key_by(lambda r: r[0]).process(NoWatermarkProbe())


class EchoTimestamp(KeyedProcessFunction):
    def process_element(self, value, ctx):
        yield [list(value), ctx.timestamp()]


@pipeline
def record_timestamps(env, p):
    """The assigner sees the timestamp the source attached (or 'none' as Long.MIN_VALUE)."""
    strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(ShiftRecordTimestamp())
    ds = env.add_source(ScriptedSource(p["script"])).assign_timestamps_and_watermarks(strategy)
    return ds.key_by(lambda r: r[0]).process(EchoTimestamp())


@pipeline
def slow_input(env, p):
    """A fast input (done early) and a slow one that starts only after every fast record
    reached the keyed operator: the slow input's watermark must hold the operator back."""
    fast = env.from_collection([tuple(r) for r in p["fast"]]).assign_timestamps_and_watermarks(bounded(p["bound"]))
    slow = env.add_source(GatedSource(p["slow"], p["signal"], len(p["fast"]), p["deadline"], p["exit_file"])) \
        .assign_timestamps_and_watermarks(bounded(p["bound"]))
    return window_job(env, fast.union(slow), p["size"], element_signal=p["signal"], signal_origin="fast")


@pipeline
def idle_input(env, p):
    """An active input and one that never emits but stays open until every window fired (or
    its deadline); with idleness the silent input must not hold the watermark back."""
    if p["active"] == "paced":
        # runs ~1.2 s: well past the silent input's idleness timeout
        active = env.add_source(PacedSource(p["records"], 5, 0.05))
    else:
        active = env.from_collection([tuple(r) for r in p["records"]])
    active = active.assign_timestamps_and_watermarks(bounded(p["bound"]))
    strategy = bounded(p["bound"])
    if p["idleness"]:
        strategy = strategy.with_idleness(Duration.of_millis(p["idleness"]))
    silent = env.add_source(HoldOpenSource([], p["signal"], p["expected"], p["deadline"], p["exit_file"])) \
        .assign_timestamps_and_watermarks(strategy)
    return window_job(env, active.union(silent), p["size"], signal=p["signal"])


@pipeline
def running_source(env, p):
    """Periodic watermarks fire timers while the source still runs. ``heartbeat``: the source
    keeps emitting a record at its last timestamp while it waits (filtered out before key_by);
    without it the source goes silent after its data."""
    src = HoldOpenSource(p["records"], p["signal"], p["expected"], p["deadline"], p["exit_file"],
                         heartbeat=p.get("heartbeat"))
    ds = env.add_source(src).assign_timestamps_and_watermarks(bounded(p["bound"])) \
        .filter(lambda r: r[0] != "heartbeat")
    return window_job(env, ds, p["size"], signal=p["signal"])


# ------------------------------------------------------------------ timers
class TimerOps(KeyedProcessFunction):
    """Records (key, ts, cmd, target): 'reg' / 'chain' register an event-time timer at target
    ('chain': when it fires, register target + 5), 'del' deletes it."""

    def open(self, runtime_context):
        self.kinds = runtime_context.get_map_state(MapStateDescriptor("kinds", Types.LONG(), Types.STRING()))
        self.subtask = runtime_context.get_index_of_this_subtask()

    def process_element(self, value, ctx):
        _, _, cmd, target = value
        ts = ctx.timer_service()
        if cmd == "del":
            ts.delete_event_time_timer(target)
            self.kinds.remove(target)
        else:
            ts.register_event_time_timer(target)
            if not self.kinds.contains(target):
                self.kinds.put(target, cmd)
        return []

    def on_timer(self, timestamp, ctx):
        kind = self.kinds.get(timestamp)
        self.kinds.remove(timestamp)
        ok = [ctx.timestamp() == timestamp, ctx.timer_service().current_watermark() >= timestamp,
              ctx.time_domain() == TimeDomain.EVENT_TIME]
        yield ["fired", ctx.get_current_key(), timestamp, kind, ok, self.subtask]
        if kind == "chain":
            ctx.timer_service().register_event_time_timer(timestamp + 5)
            self.kinds.put(timestamp + 5, "chained")


@pipeline
def timer_ops(env, p):
    # the assigner stays at the source's parallelism: a rebalance in front of key_by would
    # let one key's commands overtake each other
    ds = env.add_source(PacedSource(p["records"], 8, 0.003)) \
        .assign_timestamps_and_watermarks(bounded(p["bound"])).set_parallelism(1)
    return ds.key_by(lambda r: r[0]).process(TimerOps())


class ProcessingTimers(KeyedProcessFunction):
    """Records (key, cmd, delay_ms). reg: a processing-time timer at first-seen now + delay (the
    same timestamp again for later reg records: deduplicated); del: delete it; past: a timer
    already due; chain: when it fires, register another 50 ms later; multi: three timers at
    now + delay, now + delay/4, now + delay/2 (registered in that order)."""

    def __init__(self, signal: str) -> None:
        self.signal = signal

    def open(self, runtime_context):
        self.registered = runtime_context.get_list_state(ListStateDescriptor("registered", Types.LONG()))
        self.chained = runtime_context.get_state(ValueStateDescriptor("chained", Types.BOOLEAN()))

    def process_element(self, value, ctx):
        _, cmd, delay = value
        ts = ctx.timer_service()
        now = ts.current_processing_time()
        known = self.registered.get()
        if cmd == "reg":
            target = known[0] if known else now + delay
            if not known:
                self.registered.add(target)
            ts.register_processing_time_timer(target)
        elif cmd == "del":
            for t in known:
                ts.delete_processing_time_timer(t)
            self.registered.clear()
        elif cmd == "past":
            self.registered.add(now - 1000)
            ts.register_processing_time_timer(now - 1000)
        elif cmd == "chain":
            self.registered.add(now + delay)
            self.chained.update(False)
            ts.register_processing_time_timer(now + delay)
        elif cmd == "multi":
            for t in (now + delay, now + delay // 4, now + delay // 2):
                self.registered.add(t)
                ts.register_processing_time_timer(t)
        return []

    def on_timer(self, timestamp, ctx):
        ts = ctx.timer_service()
        fired_at = ts.current_processing_time()
        yield ["fired", ctx.get_current_key(), timestamp in self.registered.get(),
               ctx.time_domain() == TimeDomain.PROCESSING_TIME, fired_at >= timestamp, timestamp]
        yield TIMER_SIDE, ["ts", ctx.get_current_key(), ctx.timestamp(), timestamp]
        if self.chained.value() is False:
            self.chained.update(True)
            self.registered.add(fired_at + 50)
            ts.register_processing_time_timer(fired_at + 50)
        append_line(self.signal, f"{ctx.get_current_key()} {timestamp}")


@pipeline
def processing_timers(env, p):
    data = env.from_collection([tuple(r) for r in p["records"]])
    hold = env.add_source(HoldOpenSource([], p["signal"], p["expected"], p["deadline"], p["exit_file"]))
    fired = data.union(hold).key_by(lambda r: r[0]).process(ProcessingTimers(p["signal"]))
    return fired.union(fired.get_side_output(TIMER_SIDE))


# ------------------------------------------------------------------ keyed state
class AverageAggregate(AggregateFunction):
    def create_accumulator(self):
        return (0, 0)

    def add(self, value, accumulator):
        return (accumulator[0] + value, accumulator[1] + 1)

    def get_result(self, accumulator):
        return [accumulator[0], accumulator[1]]

    def merge(self, a, b):
        return (a[0] + b[0], a[1] + b[1])


class StateOps(KeyedProcessFunction):
    """Applies (key, seq, op, arg) to this key's states and emits a snapshot of all of them."""

    def open(self, runtime_context):
        self.value = runtime_context.get_state(ValueStateDescriptor("value", Types.PICKLED_BYTE_ARRAY()))
        self.list = runtime_context.get_list_state(ListStateDescriptor("list", Types.PICKLED_BYTE_ARRAY()))
        self.map = runtime_context.get_map_state(
            MapStateDescriptor("map", Types.STRING(), Types.PICKLED_BYTE_ARRAY()))
        self.reducing = runtime_context.get_reducing_state(
            ReducingStateDescriptor("reducing", lambda a, b: a + b, Types.LONG()))
        self.aggregating = runtime_context.get_aggregating_state(
            AggregatingStateDescriptor("aggregating", AverageAggregate(), Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx):
        key, seq, op, arg = value
        probe = None
        if op == "value.update":
            self.value.update(arg)
        elif op == "value.clear":
            self.value.clear()
        elif op == "list.add":
            self.list.add(arg)
        elif op == "list.add_all":
            self.list.add_all(arg)
        elif op == "list.update":
            self.list.update(arg)
        elif op == "list.clear":
            self.list.clear()
        elif op == "map.put":
            self.map.put(arg[0], arg[1])
        elif op == "map.put_all":
            self.map.put_all(dict(arg))
        elif op == "map.remove":
            self.map.remove(arg)
        elif op == "map.get":
            probe = [self.map.get(arg), self.map.contains(arg)]
        elif op == "map.clear":
            self.map.clear()
        elif op == "reducing.add":
            self.reducing.add(arg)
        elif op == "reducing.clear":
            self.reducing.clear()
        elif op == "aggregating.add":
            self.aggregating.add(arg)
        elif op == "aggregating.clear":
            self.aggregating.clear()
        snapshot = {
            "value": self.value.value(),
            "list": list(self.list.get()),
            "map_items": sorted([list(kv) for kv in self.map.items()]),
            "map_keys": sorted(self.map.keys()),
            "map_values": sorted(self.map.values(), key=repr),
            "map_empty": self.map.is_empty(),
            "reducing": self.reducing.get(),
            "aggregating": self.aggregating.get(),
        }
        yield [ctx.get_current_key(), seq, op, probe, snapshot]


class Counter(KeyedProcessFunction):
    """A count per key in ValueState 'count' (the same state name in every instance)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def open(self, runtime_context):
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def process_element(self, value, ctx):
        n = (self.count.value() or 0) + 1
        self.count.update(n)
        yield [self.name, ctx.get_current_key(), n]


@pipeline
def state_ops(env, p):
    ops = env.from_collection([tuple(r) for r in p["records"]]).key_by(lambda r: r[0]).process(StateOps())
    keys = env.from_collection(list(p["counter_keys"]))
    first = keys.key_by(lambda k: k).process(Counter("first"))
    second = first.key_by(lambda r: r[1]).process(Counter("second"))
    return ops.union(first, second)


class TtlProbe(KeyedProcessFunction):
    """Records (key, mode, ttl_ms, step_ms), key = "mode:ttl:step:n". Writes Value/Map/List
    state with a TTL ('cw': refreshed on create and write, 'rw': also on read; never return
    expired), then reads them from processing-time timers: phase 1 at +step (cw also puts
    map entry "b"), phase 2 one step later, phase 3 after more than the TTL without access."""

    def __init__(self, signal: str) -> None:
        self.signal = signal

    def open(self, runtime_context):
        self.rc = runtime_context
        self.phase = runtime_context.get_state(ValueStateDescriptor("phase", Types.INT()))
        self.states = {}

    def _states(self, mode, ttl_ms):
        if mode not in self.states:
            builder = StateTtlConfig.new_builder(Time.milliseconds(ttl_ms))
            builder = builder.update_ttl_on_read_and_write() if mode == "rw" else builder.update_ttl_on_create_and_write()
            ttl = builder.set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired).build()
            vd = ValueStateDescriptor(f"v-{mode}", Types.STRING())
            vd.enable_time_to_live(ttl)
            md = MapStateDescriptor(f"m-{mode}", Types.STRING(), Types.STRING())
            md.enable_time_to_live(ttl)
            ld = ListStateDescriptor(f"l-{mode}", Types.STRING())
            ld.enable_time_to_live(ttl)
            self.states[mode] = (self.rc.get_state(vd), self.rc.get_map_state(md), self.rc.get_list_state(ld))
        return self.states[mode]

    def process_element(self, value, ctx):
        key, mode, ttl_ms, step = value
        v, m, lst = self._states(mode, ttl_ms)
        v.update("v0")
        m.put("a", "A")
        lst.add("x")
        self.phase.update(1)
        ts = ctx.timer_service()
        ts.register_processing_time_timer(ts.current_processing_time() + step)
        return []

    def on_timer(self, timestamp, ctx):
        key = ctx.get_current_key()
        mode, ttl_ms, step = key.split(":")[0], int(key.split(":")[1]), int(key.split(":")[2])
        v, m, lst = self._states(mode, ttl_ms)
        phase = self.phase.value()
        ts = ctx.timer_service()
        if phase in (1, 2):
            yield [key, phase, v.value(), sorted(m.keys()), lst.get()]
            if mode == "cw" and phase == 1:
                m.put("b", "B")  # written now: lives ttl from now, unlike "a"
            self.phase.update(phase + 1)
            # phase 2 -> 3 waits longer than the TTL without touching the state
            wait = step if phase == 1 else ttl_ms + step
            ts.register_processing_time_timer(ts.current_processing_time() + wait)
        else:
            yield [key, phase, v.value(), sorted(m.keys()), lst.get(), m.is_empty(), m.get("a"), m.contains("b")]
            self.phase.clear()
            append_line(self.signal, key)


@pipeline
def ttl(env, p):
    data = env.from_collection([tuple(r) for r in p["records"]])
    hold = env.add_source(HoldOpenSource([], p["signal"], len(p["records"]), p["deadline"], p["exit_file"]))
    return data.union(hold).key_by(lambda r: r[0]).process(TtlProbe(p["signal"]))


# ------------------------------------------------------------------ side outputs
class Split(ProcessFunction):
    """Multiples of 3 to the main output; evens to EVEN; odd squares to ODD_SQUARES."""

    def process_element(self, value, ctx):
        if value % 3 == 0:
            yield ["main", value, ctx.timestamp()]
        if value % 2 == 0:
            yield EVEN, value
        else:
            yield ODD_SQUARES, value * value


class KeyedSplit(KeyedProcessFunction):
    """Main output per element; REJECTED for negative values; a timer per element whose firing
    goes to TIMER_SIDE."""

    def process_element(self, value, ctx):
        key, ts, v = value
        if v < 0:
            yield REJECTED, [key, ts, v]
            return
        yield ["accepted", key, ts, v]
        ctx.timer_service().register_event_time_timer(ts + 1)

    def on_timer(self, timestamp, ctx):
        yield TIMER_SIDE, ["timer", ctx.get_current_key(), timestamp]


class Untag(MapFunction):
    def __init__(self, tag: str) -> None:
        self.tag = tag

    def map(self, value):
        return [self.tag, value]


@pipeline
def side_outputs(env, p):
    split = env.from_collection(list(range(p["n"]))).process(Split())
    evens = split.get_side_output(EVEN).map(Untag("even"))                    # chained consumer
    odd_squares = split.get_side_output(ODD_SQUARES).rebalance().map(Untag("odd-square"))  # over the network
    never = split.get_side_output(NEVER).map(Untag("never"))
    keyed_in = env.from_collection([tuple(r) for r in p["records"]]) \
        .assign_timestamps_and_watermarks(bounded(p["bound"])).set_parallelism(1)  # keeps per-key order
    keyed = keyed_in.key_by(lambda r: r[0]).process(KeyedSplit())
    rejected = keyed.get_side_output(REJECTED).key_by(lambda r: r[0]).map(Untag("rejected"))
    timers = keyed.get_side_output(TIMER_SIDE).map(Untag("timer-side"))
    return split.union(evens, odd_squares, never, keyed, rejected, timers)


class NonKeyedClock(ProcessFunction):
    """Reads the current watermark and processing time in a non-keyed ProcessFunction."""

    def process_element(self, value, ctx):
        ts = ctx.timer_service()
        yield [value, ctx.timestamp(), ts.current_watermark() < value[1], ts.current_processing_time() > 0]


@pipeline
def non_keyed_timer_service(env, p):
    ds = env.from_collection([tuple(r) for r in p["records"]]).assign_timestamps_and_watermarks(bounded(p["bound"]))
    return ds.process(NonKeyedClock())


# ------------------------------------------------------------------ connected streams
class Tagging(CoMapFunction):
    def map1(self, value):
        return ["int", value * 2]

    def map2(self, value):
        return ["str", value.upper()]


class Spread(CoFlatMapFunction):
    def flat_map1(self, value):
        for i in range(value % 3):
            yield ["int", value, i]

    def flat_map2(self, value):
        for word in value.split():
            yield ["word", word]


class TwoSided(CoProcessFunction):
    def process_element1(self, value, ctx):
        yield ["left", list(value), ctx.timestamp()]

    def process_element2(self, value, ctx):
        if value[2] < 0:
            yield REJECTED, ["right-rejected", list(value), ctx.timestamp()]
        else:
            yield ["right", list(value), ctx.timestamp()]


class TwoInputWindows(KeyedCoProcessFunction):
    """Per key and event-time window: counts and sums of each input, emitted by a timer."""

    def __init__(self, size: int) -> None:
        self.size = size

    def open(self, runtime_context):
        self.acc = runtime_context.get_map_state(MapStateDescriptor("acc", Types.LONG(), Types.PICKLED_BYTE_ARRAY()))

    def _add(self, side, value, ctx):
        key, ts, v = value
        if ts <= ctx.timer_service().current_watermark():
            yield LATE, [side, key, ts]
            return
        if ctx.timestamp() != ts or ctx.get_current_key() != key:
            yield ["bad-context", side, key, ts, ctx.timestamp(), ctx.get_current_key()]
        start = ts - ts % self.size
        a = list(self.acc.get(start) or (0, 0, 0, 0))
        a[side * 2] += 1
        a[side * 2 + 1] += v
        self.acc.put(start, tuple(a))
        ctx.timer_service().register_event_time_timer(start + self.size - 1)

    def process_element1(self, value, ctx):
        yield from self._add(0, value, ctx)

    def process_element2(self, value, ctx):
        yield from self._add(1, value, ctx)

    def on_timer(self, timestamp, ctx):
        start = timestamp - self.size + 1
        a = self.acc.get(start)
        self.acc.remove(start)
        ok = [ctx.timestamp() == timestamp, ctx.timer_service().current_watermark() >= timestamp,
              ctx.time_domain() == TimeDomain.EVENT_TIME]
        yield ["window", ctx.get_current_key(), start, list(a), ok]


@pipeline
def connected(env, p):
    ints = env.from_collection(list(p["ints"]))
    words = env.from_collection(list(p["words"]))
    comap = ints.connect(words).map(Tagging())
    coflat = ints.connect(words).flat_map(Spread())
    left = env.from_collection([tuple(r) for r in p["left"]]).assign_timestamps_and_watermarks(bounded(p["bound"]))
    right = env.from_collection([tuple(r) for r in p["right"]]).assign_timestamps_and_watermarks(bounded(p["bound"]))
    coproc = left.connect(right).process(TwoSided())
    rejected = coproc.get_side_output(REJECTED)
    a = env.add_source(PacedSource(p["a"], 10, 0.003)).assign_timestamps_and_watermarks(bounded(p["bound"]))
    b = env.add_source(PacedSource(p["b"], 10, 0.003)).assign_timestamps_and_watermarks(bounded(p["bound"]))
    windows = a.connect(b).key_by(lambda r: r[0], lambda r: r[0]).process(TwoInputWindows(p["size"]))
    late = windows.get_side_output(LATE).map(Untag("late"))
    return comap.map(Untag("comap")).union(coflat.map(Untag("coflat")), coproc.map(Untag("coprocess")),
                                           rejected.map(Untag("coprocess-side")), windows.map(Untag("keyed")), late)


class ApplyRules(BroadcastProcessFunction):
    """Events (name, x) are multiplied by the broadcast factor for their name; rules are
    ('put', name, factor) or ('remove', name). Tries to write the broadcast state from the
    event side once per subtask (must be refused)."""

    def __init__(self, n_rules: int, signal: str) -> None:
        self.n_rules = n_rules
        self.signal = signal

    def open(self, runtime_context):
        self.seen_rules = 0
        self.tried_write = False

    def process_broadcast_element(self, value, ctx):
        state = ctx.get_broadcast_state(RULES)
        if value[0] == "put":
            state.put(value[1], value[2])
        else:
            state.remove(value[1])
        self.seen_rules += 1
        if self.seen_rules == self.n_rules:
            append_line(self.signal, "rules")
        return []

    def process_element(self, value, ctx):
        state = ctx.get_broadcast_state(RULES)
        if not self.tried_write:
            self.tried_write = True
            try:
                state.put(value[0], -1)
                refused = False
            except Exception:  # noqa: BLE001 - any refusal is fine
                refused = True
            yield ["read-only", refused, state.get(value[0]) != -1]
        factor = state.get(value[0])
        if factor is None:
            yield REJECTED, ["no-rule", list(value)]
        else:
            yield ["applied", value[0], value[1], value[1] * factor, sorted(state.keys()), ctx.timestamp()]


class Thresholds(KeyedBroadcastProcessFunction):
    """Events (account, kind, amount, ts) keyed by account: a running total per account; an
    alert when it exceeds the broadcast threshold of the event's kind; an event-time timer at
    ts + 100 per event."""

    def __init__(self, n_rules: int, signal: str) -> None:
        self.n_rules = n_rules
        self.signal = signal

    def open(self, runtime_context):
        self.total = runtime_context.get_state(ValueStateDescriptor("total", Types.LONG()))
        self.seen_rules = 0

    def process_broadcast_element(self, value, ctx):
        state = ctx.get_broadcast_state(RULES)
        if value[0] == "put":
            state.put(value[1], value[2])
        else:
            state.remove(value[1])
        self.seen_rules += 1
        if self.seen_rules == self.n_rules:
            append_line(self.signal, "rules")
        return []

    def process_element(self, value, ctx):
        account, kind, amount, ts = value
        total = (self.total.value() or 0) + amount
        self.total.update(total)
        limit = ctx.get_broadcast_state(RULES).get(kind)
        if limit is not None and total > limit:
            yield ["alert", ctx.get_current_key(), ts, total, limit, ctx.timestamp()]
        ctx.timer_service().register_event_time_timer(ts + 100)

    def on_timer(self, timestamp, ctx):
        yield ["timer", ctx.get_current_key(), timestamp]


@pipeline
def broadcast(env, p):
    n = len(p["rules"])
    rules = env.from_collection([tuple(r) for r in p["rules"]]).broadcast(RULES)
    events = env.add_source(GatedSource(p["events"], p["signal"], p["parallelism"], p["deadline"], p["exit_file"])) \
        .assign_timestamps_and_watermarks(bounded(0, 2))
    applied = events.connect(rules).process(ApplyRules(n, p["signal"]))
    rules2 = env.from_collection([tuple(r) for r in p["rules2"]]).broadcast(RULES)
    tx = env.add_source(GatedSource(p["transactions"], p["signal2"], p["parallelism"], p["deadline"],
                                    p["exit_file2"])).assign_timestamps_and_watermarks(bounded(0, 3)).set_parallelism(1)
    alerts = tx.key_by(lambda t: t[0]).connect(rules2).process(Thresholds(len(p["rules2"]), p["signal2"]))
    return applied.map(Untag("applied")).union(applied.get_side_output(REJECTED).map(Untag("rejected")),
                                               alerts.map(Untag("keyed")))


# ------------------------------------------------------------------ running
def build(env, params):
    """One stream of JSON strings ``[pipeline, record]`` for all pipelines in ``params``."""
    streams = []
    for name, p in params["pipelines"].items():
        streams.append(PIPELINES[name](env, p).map(Untag(name)).map(json.dumps))
    return streams[0].union(*streams[1:]) if len(streams) > 1 else streams[0]


def main():
    with open(sys.argv[1]) as f:
        params = json.load(f)
    env = StreamExecutionEnvironment.get_execution_environment()
    build(env, params).print()
    env.execute(params.get("job_name", "issue-4 test job"))


if __name__ == "__main__":
    main()
