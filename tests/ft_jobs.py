"""Job files and independent expectations for the fault-tolerance tests.

The jobs number their records 0..N-1 (event time = the number, in ms), key them by n % KEYS,
and write to a FileSink: tumbling event-time window sums (``w,key,window start,sum``) and,
from a KeyedProcessFunction with event-time timers and map state, per-key counts per second
(``t,key,second,count``). ``expected_lines`` computes the same from first principles, so a
test compares the committed files with it: every record exactly once, whatever failed.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

KEYS = 7
WINDOW_MS = 500

EXACTLY_ONCE_JOB = '''\
import sys
import time

from runtime.common import Encoder, Time, WatermarkStrategy
from runtime.common.watermark_strategy import TimestampAssigner
from runtime.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from runtime.datastream.connectors.file_system import FileSink
from runtime.datastream.connectors.number_seq import NumberSequenceSource
from runtime.datastream.state import MapStateDescriptor
from runtime.datastream.window import ProcessWindowFunction, TumblingEventTimeWindows

N = int(sys.argv[1])
OUT = sys.argv[2]
PAUSE_EVERY = int(sys.argv[3]) if len(sys.argv) > 3 else 10
KEYS = 7


class ByNumber(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value


def throttle(n):
    if n % PAUSE_EVERY == 0:
        time.sleep(0.002)
    return n


class WindowSum(ProcessWindowFunction):
    def process(self, key, context, elements):
        yield f"w,{key},{context.window().start},{sum(e[1] for e in elements)}"


class PerSecond(KeyedProcessFunction):
    def open(self, runtime_context):
        self.buckets = runtime_context.get_map_state(MapStateDescriptor("buckets", None, None))

    def process_element(self, value, ctx):
        second = value[1] // 1000
        self.buckets.put(second, (self.buckets.get(second) or 0) + 1)
        ctx.timer_service().register_event_time_timer(second * 1000 + 999)

    def on_timer(self, timestamp, ctx):
        second = timestamp // 1000
        yield f"t,{ctx.get_current_key()},{second},{self.buckets.get(second)}"
        self.buckets.remove(second)


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(ByNumber())
    numbers = env.from_source(NumberSequenceSource(0, N - 1), strategy, "numbers").uid("numbers").map(throttle) \\
        .uid("throttle")
    keyed = numbers.map(lambda n: (n % KEYS, n)).uid("keyed").key_by(lambda t: t[0])
    sums = keyed.window(TumblingEventTimeWindows.of(Time.milliseconds(500))).process(WindowSum()).uid("sums")
    seconds = keyed.process(PerSecond()).uid("seconds")
    sink = FileSink.for_row_format(OUT, Encoder.simple_string_encoder()).build()
    sums.union(seconds).sink_to(sink).uid("sink")
    env.execute("exactly-once")


if __name__ == "__main__":
    main()
'''


def expected_lines(n: int) -> Counter:
    out: Counter = Counter()
    sums: Counter = Counter()
    per_second: Counter = Counter()
    for i in range(n):
        key = i % KEYS
        sums[(key, i // WINDOW_MS * WINDOW_MS)] += i
        per_second[(key, i // 1000)] += 1
    for (key, start), s in sums.items():
        out[f"w,{key},{start},{s}"] += 1
    for (key, second), c in per_second.items():
        out[f"t,{key},{second},{c}"] += 1
    return out


def committed_lines(base: Path) -> Counter:
    """Lines of the sink's finished part files (hidden in-progress files do not count)."""
    out: Counter = Counter()
    for root, _dirs, files in os.walk(base):
        for name in files:
            if name.startswith((".", "_")):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as fh:
                out.update(line for line in fh.read().splitlines() if line)
    return out


def diff(got: Counter, want: Counter) -> str:
    missing = want - got
    extra = got - want
    return (f"{sum(missing.values())} line(s) missing (e.g. {list(missing)[:3]}), "
            f"{sum(extra.values())} unexpected or duplicated (e.g. {list(extra)[:3]})")
