"""Event-time sliding windows: readings per sensor over the last 10 s, every 5 s, with the
window's bounds (a ProcessWindowFunction sees the window).

    python examples/sliding_windows.py
"""
from runtime.common import Time, WatermarkStrategy
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.window import ProcessWindowFunction, SlidingEventTimeWindows

READINGS = [("s1", 20.0, 1_000), ("s1", 22.0, 6_000), ("s2", 10.0, 7_000), ("s1", 25.0, 12_000), ("s2", 11.0, 14_000)]


class MaxReading(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield f"{key} [{w.start // 1000:>2}s, {w.end // 1000:>2}s) max={max(e[1] for e in elements)}"


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(lambda r, _: r[2])
    (env.from_collection(READINGS)
        .assign_timestamps_and_watermarks(strategy)
        .key_by(lambda r: r[0])
        .window(SlidingEventTimeWindows.of(Time.seconds(10), Time.seconds(5)))
        .process(MaxReading())
        .print())
    env.execute("sliding_windows")


if __name__ == "__main__":
    main()
