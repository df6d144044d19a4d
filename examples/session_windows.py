"""Event-time session windows: clicks per user session (a session ends after 3 s without a
click); sessions that touch merge, and the AggregateFunction's merge combines them.

    python examples/session_windows.py
"""
from runtime.common import Time, WatermarkStrategy
from runtime.datastream import AggregateFunction, StreamExecutionEnvironment
from runtime.datastream.window import EventTimeSessionWindows

CLICKS = [("u1", 1_000), ("u1", 2_500), ("u2", 3_000), ("u1", 9_000), ("u1", 4_000), ("u2", 4_500), ("u1", 10_000)]


class CountClicks(AggregateFunction):
    def create_accumulator(self):
        return 0

    def add(self, value, accumulator):
        return accumulator + 1

    def get_result(self, accumulator):
        return accumulator

    def merge(self, a, b):
        return a + b


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(lambda c, _: c[1])
    clicks = env.from_collection(CLICKS).assign_timestamps_and_watermarks(strategy)
    (clicks.key_by(lambda c: c[0])
        .window(EventTimeSessionWindows.with_gap(Time.seconds(3)))
        .aggregate(CountClicks(),
                   window_function=lambda user, window, counts: [(user, window.start, window.end, next(iter(counts)))])
        .print())
    env.execute("session_windows")


if __name__ == "__main__":
    main()
