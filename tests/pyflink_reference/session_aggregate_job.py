"""Session windows with an AggregateFunction, where a late-arriving element bridges two
sessions so that they merge. Written for PyFlink 2.3 (unmodified imports).

Key "k" gets elements at 0 ms and 1000 ms (two sessions, gap 600 ms), then at 500 ms, which
joins both into one session [0, 1600). Flink merges the two accumulators with
``AggregateFunction.merge``: one window with all three elements, count 3, sum 111.
"""
import sys

from pyflink.common import Duration, Time, Types, WatermarkStrategy
from pyflink.common.watermark_strategy import TimestampAssigner
from pyflink.datastream import AggregateFunction, ProcessWindowFunction, StreamExecutionEnvironment
from pyflink.datastream.window import EventTimeSessionWindows


class Ts(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


class CountAndSum(AggregateFunction):
    def create_accumulator(self):
        return [0, 0]

    def add(self, value, accumulator):
        return [accumulator[0] + 1, accumulator[1] + value[2]]

    def get_result(self, accumulator):
        return tuple(accumulator)

    def merge(self, acc_a, acc_b):
        return [acc_a[0] + acc_b[0], acc_a[1] + acc_b[1]]


class Describe(ProcessWindowFunction):
    def process(self, key, context, elements):
        for count, total in elements:
            w = context.window()
            yield f"SESSION {key} [{w.start}, {w.end}) count={count} sum={total}"


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    data = [("k", 0, 1), ("k", 1000, 10), ("k", 500, 100)]
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(5)).with_timestamp_assigner(Ts())
    (env.from_collection(data, type_info=Types.TUPLE([Types.STRING(), Types.LONG(), Types.INT()]))
        .assign_timestamps_and_watermarks(strategy)
        .key_by(lambda r: r[0])
        .window(EventTimeSessionWindows.with_gap(Time.milliseconds(600)))
        .aggregate(CountAndSum(), Describe(),
                   accumulator_type=Types.PICKLED_BYTE_ARRAY(), output_type=Types.STRING())
        .print())
    env.execute("session-aggregate")


if __name__ == "__main__":
    main()
