"""Event-time timers: the average temperature of every sensor per 10-second window, from
readings that arrive up to 3 seconds out of order.

A KeyedProcessFunction keeps a (sum, count) per window in MapState and registers an
event-time timer at the window's last millisecond; the timer fires once the watermark
(highest timestamp seen - 3 s) has passed it, so every late-arriving reading is counted.

    python examples/event_time_timers.py          # embedded mini cluster
    pyflink run examples/event_time_timers.py     # on a running cluster
"""
from runtime.common import Duration, Types, WatermarkStrategy
from runtime.common.watermark_strategy import TimestampAssigner
from runtime.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from runtime.datastream.state import MapStateDescriptor

WINDOW_MS = 10_000

# (sensor, event time in ms, temperature)
READINGS = [
    ("sensor-1", 1_000, 20.5), ("sensor-2", 1_500, 18.0), ("sensor-1", 4_000, 21.0),
    ("sensor-2", 9_000, 18.5), ("sensor-1", 11_000, 22.0), ("sensor-1", 8_500, 21.5),   # 2.5 s late
    ("sensor-2", 12_000, 19.0), ("sensor-2", 10_500, 19.5), ("sensor-1", 19_000, 23.0),
    ("sensor-2", 17_000, 20.0), ("sensor-1", 21_000, 24.0), ("sensor-2", 18_500, 20.5),  # 2.5 s late
    ("sensor-1", 29_500, 22.5), ("sensor-2", 31_000, 21.0), ("sensor-1", 28_500, 23.5),
]


class ReadingTimestamp(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


class WindowAverage(KeyedProcessFunction):
    def open(self, runtime_context):
        self.windows = runtime_context.get_map_state(
            MapStateDescriptor("windows", Types.LONG(), Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx):
        _, timestamp, temperature = value
        start = timestamp - timestamp % WINDOW_MS
        total, count = self.windows.get(start) or (0.0, 0)
        self.windows.put(start, (total + temperature, count + 1))
        ctx.timer_service().register_event_time_timer(start + WINDOW_MS - 1)

    def on_timer(self, timestamp, ctx):
        start = timestamp - WINDOW_MS + 1
        total, count = self.windows.get(start)
        self.windows.remove(start)
        yield f"{ctx.get_current_key()} {start // 1000}s-{(start + WINDOW_MS) // 1000}s: " \
              f"avg {total / count:.2f} of {count} readings"


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    watermarks = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(3)) \
        .with_timestamp_assigner(ReadingTimestamp())
    (env.from_collection(READINGS)
        .assign_timestamps_and_watermarks(watermarks)
        .key_by(lambda reading: reading[0])
        .process(WindowAverage(), output_type=Types.STRING())
        .print())
    env.execute("event_time_timers")


if __name__ == "__main__":
    main()
