"""Typed records PyFlink 2.3 gets wrong, one case per run: ``python type_bugs_job.py CASE``.
Written for PyFlink (unmodified imports). What PyFlink does, and what Flink's types say (which
this engine does), is in docs/pyflink-compatibility.md:

* INT_OVERFLOW: ``from_collection([2**31], Types.INT())`` -- PyFlink wraps to -2147483648
  without a word; an INT is 32 bits, the value does not fit: the job is refused.
* BIG_INT: ``from_collection([10**30], Types.BIG_INT())`` -- PyFlink hands the function a
  wrong number (the value is cut to 64 bits); BIG_INT is unbounded: the value is kept.
* LIST_SOURCE: ``from_collection([[1, 2, 3]], Types.LIST(Types.INT()))`` -- PyFlink fails
  (ClassCastException); a list of ints is a LIST of INT: it is accepted.
* ROW_TUPLE_NETWORK: a function returns a tuple for ``Types.ROW_NAMED`` and the record crosses
  a network exchange -- PyFlink fails ('tuple' object has no attribute 'get_fields_by_names');
  tuples are rows of the declared fields: the next function gets a Row.
* ROW_TUPLE_PRINT: the same tuple printed -- PyFlink fails (AssertionError); printed as a row.
* CHAR_SOURCE: ``from_collection(["x"], Types.CHAR())`` -- PyFlink fails (ClassCastException).
"""
import sys

from pyflink.common import Types
from pyflink.datastream import StreamExecutionEnvironment


def show(tag):
    def f(v):
        sys.stdout.write(f"PY {tag} {type(v).__name__} {v!r}\n")
        sys.stdout.flush()
        return v
    return f


def main():
    case = sys.argv[1]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    named = Types.ROW_NAMED(["name", "score"], [Types.STRING(), Types.FLOAT()])
    if case == "INT_OVERFLOW":
        env.from_collection([2**31], type_info=Types.INT()).print(case)
    elif case == "BIG_INT":
        env.from_collection([10**30], type_info=Types.BIG_INT()).map(show(case))
    elif case == "LIST_SOURCE":
        env.from_collection([[1, 2, 3]], type_info=Types.LIST(Types.INT())).map(show(case))
    elif case == "ROW_TUPLE_NETWORK":
        env.from_collection([0]).map(lambda _: ("ann", 110.1), output_type=named).rebalance().map(show(case))
    elif case == "ROW_TUPLE_PRINT":
        env.from_collection([0]).map(lambda _: ("ann", 110.1), output_type=named).print(case)
    elif case == "CHAR_SOURCE":
        env.from_collection(["x"], type_info=Types.CHAR()).map(show(case))
    else:
        raise SystemExit(f"unknown case {case}")
    env.execute(f"type-bug-{case}")


if __name__ == "__main__":
    main()
