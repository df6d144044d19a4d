"""State TTL as Flink documents it: a value older than its TTL is not returned
(``StateVisibility.NeverReturnExpired``). Written for PyFlink 2.3 (unmodified imports).

Key "k" gets two records; the first writes the state, the second reads it 1.5 s later, past
the 200 ms TTL. Flink: the read returns None. PyFlink 2.3 returns the stale value (its
Python-side state cache answers the read without checking the TTL).
"""
import sys
import time

from pyflink.common import Time, Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext, StreamExecutionEnvironment
from pyflink.datastream.state import StateTtlConfig, ValueStateDescriptor


class ReadAfterExpiry(KeyedProcessFunction):
    def open(self, runtime_context: RuntimeContext):
        ttl = StateTtlConfig.new_builder(Time.milliseconds(200)) \
            .set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite) \
            .set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired) \
            .build()
        descriptor = ValueStateDescriptor("last", Types.STRING())
        descriptor.enable_time_to_live(ttl)
        self.last = runtime_context.get_state(descriptor)

    def process_element(self, value, ctx):
        if value[1] == "write":
            self.last.update("written")
            yield f"TTL wrote {value[0]}"
        else:
            time.sleep(1.5)
            yield f"TTL read after expiry: {self.last.value()}"


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    records = env.from_collection([("k", "write"), ("k", "read")],
                                  type_info=Types.TUPLE([Types.STRING(), Types.STRING()]))
    records.key_by(lambda r: r[0]).process(ReadAfterExpiry(), output_type=Types.STRING()).print()
    env.execute("state-ttl")


if __name__ == "__main__":
    main()
