"""What a chain of Python functions and a process function's context give a job, written for
PyFlink 2.3 (unmodified imports); its output on PyFlink 2.3 is recorded in
tests/data/pyflink_2_3_reference.json.

* A positional Row returned by a function whose output type is ``ROW`` / ``ROW_NAMED`` reaches
  the next *chained* Python function as it was returned (PyFlink fuses them): its repr is
  ``<Row('ann', 3)>`` and reading a field by name fails there. After ``key_by`` (a network
  edge, where records are converted by the type) it has the type's names.
* ``ctx.timestamp()`` of a record without a timestamp (no watermark strategy) is Long.MIN_VALUE,
  in a ProcessFunction and a KeyedProcessFunction.

Usage: python context_job.py PARALLELISM
"""
import sys

from pyflink.common import Row, Types
from pyflink.datastream import KeyedProcessFunction, ProcessFunction, StreamExecutionEnvironment

POSITIONAL = Types.ROW([Types.STRING(), Types.INT()])
NAMED = Types.ROW_NAMED(["name", "score"], [Types.STRING(), Types.INT()])


def describe(tag):
    def f(r):
        try:
            by_name = f"name={r.name}"
        except Exception as exc:  # noqa: BLE001 - what the job sees is the point
            by_name = f"by name: {type(exc).__name__}"
        return f"{tag} {r!r} {r[0]} {r[1]} {by_name}"
    return f


class Stamp(ProcessFunction):
    def process_element(self, value, ctx):
        yield f"process {value[0]} ts={ctx.timestamp()}"


class KeyedStamp(KeyedProcessFunction):
    def process_element(self, value, ctx):
        yield f"keyed {ctx.get_current_key()} ts={ctx.timestamp()}"


def main():
    parallelism = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    ds = env.from_collection([("ann", 3), ("bob", 5)], type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    to_row = ds.map(lambda t: Row(t[0], t[1]), output_type=POSITIONAL)
    to_row.map(describe("chained ROW")).print("c1")
    to_named = ds.map(lambda t: Row(t[0], t[1]), output_type=NAMED)
    to_named.map(describe("chained NAMED")).print("c2")
    to_named.key_by(lambda r: r[0]).map(describe("keyed NAMED")).print("c3")
    ds.process(Stamp()).print("c4")
    ds.key_by(lambda t: t[0]).process(KeyedStamp()).print("c5")
    env.execute("context job")


if __name__ == "__main__":
    main()
