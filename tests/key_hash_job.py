"""The job of tests/test_key_hash.py (PyFlink imports): a count and an event-time timer per
string key, under operator uids so that a savepoint of one version restores into the other.

    python key_hash_job.py run        # counts words from an endless sequence until stopped
    python key_hash_job.py resume     # each word once more, then end of input (timers fire)

``run`` made ``tests/data/savepoint_key_hash_v1`` on a 2-TaskManager cluster at parallelism 2
with the code of commit 5c5190b (key groups from Python's ``hash`` of the strings, before
``KEY_HASH_VERSION``), stopped with a savepoint; ``expected.json`` there holds the last count
each word printed before the stop (what the savepoint holds).
"""
import sys
import time

from pyflink.common import Types
from pyflink.common.watermark_strategy import WatermarkStrategy
from pyflink.datastream import KeyedProcessFunction, RuntimeContext, StreamExecutionEnvironment
from pyflink.datastream.connectors.number_seq import NumberSequenceSource
from pyflink.datastream.state import ValueStateDescriptor

WORDS = [f"word-{i}" for i in range(24)]


class CountWithTimer(KeyedProcessFunction):
    def open(self, runtime_context: RuntimeContext):
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def process_element(self, value, ctx):
        n = (self.count.value() or 0) + 1
        self.count.update(n)
        if n == 1:  # one event-time timer per key, at 1000 + its word's number
            ctx.timer_service().register_event_time_timer(1000 + int(value[0].split("-")[1]))
        yield f"count {value[0]} {n}"

    def on_timer(self, timestamp, ctx):
        yield f"timer {ctx.get_current_key()} {timestamp}"


def slow(x):
    time.sleep(0.001)
    return WORDS[x % len(WORDS)], x


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "run"
    env = StreamExecutionEnvironment.get_execution_environment()
    if mode == "run":
        words = env.from_source(NumberSequenceSource(0, 10**9), WatermarkStrategy.no_watermarks(), "seq") \
            .uid("seq").map(slow).uid("slow")
    else:
        words = env.from_collection([(w, 0) for w in WORDS], type_info=Types.TUPLE([Types.STRING(), Types.INT()])) \
            .uid("words")
    words.key_by(lambda t: t[0]).process(CountWithTimer()).uid("counter").print()
    env.execute(f"key hash {mode}")


if __name__ == "__main__":
    main()
