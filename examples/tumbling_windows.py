"""Event-time tumbling windows: total amount per user per 10-second window.

    python examples/tumbling_windows.py
"""
from runtime.common import Duration, Time, Types, WatermarkStrategy
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.window import TumblingEventTimeWindows

# (user, amount, event time in ms) — slightly out of order
EVENTS = [
    ("alice", 10, 1_000), ("bob", 5, 2_000), ("alice", 7, 9_500), ("alice", 3, 8_000),
    ("bob", 1, 12_000), ("alice", 2, 15_000), ("bob", 4, 11_000), ("alice", 8, 21_000),
]


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    strategy = (WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(2))
                .with_timestamp_assigner(lambda event, _: event[2]))
    (env.from_collection(EVENTS)
        .assign_timestamps_and_watermarks(strategy)
        .map(lambda e: (e[0], e[1]), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
        .key_by(lambda e: e[0])
        .window(TumblingEventTimeWindows.of(Time.seconds(10)))
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
        .print())
    env.execute("tumbling_windows")


if __name__ == "__main__":
    main()
