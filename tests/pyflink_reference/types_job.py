"""Every type's conversion and printing, written for Apache Flink's PyFlink 2.3 (unmodified
imports). Run on PyFlink by ``scripts/pyflink_reference.py`` to record the reference output
(tests/data/pyflink_2_3_reference.json), and here by tests/test_pyflink_reference_output.py.

For each type and value:

* ``A_<type>``: from_collection(..., type_info=T).print(tag)     Java source -> print
* ``B_<type>``: from_collection(..., type_info=T).map(show)      what a Python function receives
* ``C_<type>_<i>``: map(lambda: v, output_type=T).print(tag)      a typed Python result -> print
* ``D_<type>_<i>``: map(..., output_type=T).rebalance().map(show) ... across a network exchange

Only cases PyFlink 2.3 runs are here; tests/pyflink_reference/pyflink_bugs_job.py has the ones
it gets wrong. Lines are printed with tags, so the comparison does not depend on the order
in which parallel branches print.
"""
import datetime as dt
import sys
from decimal import Decimal

from pyflink.common import Row, RowKind, Types
from pyflink.common.time import Instant
from pyflink.datastream import StreamExecutionEnvironment

T = Types
SOURCE_CASES = [
    ("INT", T.INT(), [1, -5, 2**31 - 1]),
    ("LONG", T.LONG(), [2**40, -(2**63)]),
    ("SHORT", T.SHORT(), [300, -32768]),
    ("BYTE", T.BYTE(), [-7, 127]),
    ("FLOAT", T.FLOAT(), [110.1, 1.5, 1e10, 3.0, 0.1, 1e-5, 123456789.0]),
    ("DOUBLE", T.DOUBLE(), [110.1, 1e7, 1e-4, 3.0, 0.001, 123456789.0]),
    ("BOOLEAN", T.BOOLEAN(), [True, False]),
    ("STRING", T.STRING(), ["abc", ""]),
    ("BIG_DEC", T.BIG_DEC(), [Decimal("1.10"), Decimal("1E+3"), Decimal("-0.000"), Decimal("12345678901234567890.123")]),
    ("SQL_DATE", T.SQL_DATE(), [dt.date(2024, 1, 31)]),
    ("SQL_TIME", T.SQL_TIME(), [dt.time(12, 30, 5, 123456), dt.time(7, 0)]),
    ("SQL_TIMESTAMP", T.SQL_TIMESTAMP(), [dt.datetime(2024, 1, 31, 12, 30, 5, 123456), dt.datetime(2024, 1, 31)]),
    ("INSTANT", T.INSTANT(), [Instant(1700000000, 5000000)]),
    ("MAP_STR_INT", T.MAP(T.STRING(), T.INT()), [{"b": 2, "a": 1, "c": 3, "zz": 26, "key10": 10}]),
    ("MAP_INT_STR", T.MAP(T.INT(), T.STRING()), [{3: "c", 1: "a", 17: "q", 100: "h"}]),
    ("TUPLE_SI", T.TUPLE([T.STRING(), T.INT()]), [("a", 1)]),
    ("TUPLE_IF", T.TUPLE([T.INT(), T.FLOAT()]), [(1, 110.1)]),
    ("TUPLE_NEST", T.TUPLE([T.STRING(), T.TUPLE([T.INT(), T.DOUBLE()])]), [("a", (1, 2.5))]),
    ("TUPLE_LIST", T.TUPLE([T.STRING(), T.LIST(T.INT())]), [("a", [1, 2])]),
    ("ROW", T.ROW([T.INT(), T.FLOAT(), T.STRING()]), [(1, 110.1, "x")]),
    ("ROW_NAMED", T.ROW_NAMED(["a", "b", "c", "d", "e", "f"],
                              [T.LONG(), T.INT(), T.SHORT(), T.FLOAT(), T.BOOLEAN(), T.STRING()]),
     [(1001, 35, 3, 17.75, True, "pair+"), Row(a=1, b=2, c=3, d=110.1, e=False, f=None)]),
    ("ROW_MIX", T.ROW_NAMED(["id", "tags", "attrs", "inner", "day", "price", "t", "ts"],
                            [T.INT(), T.LIST(T.STRING()), T.MAP(T.STRING(), T.DOUBLE()),
                             T.ROW_NAMED(["x", "y"], [T.INT(), T.FLOAT()]), T.SQL_DATE(), T.BIG_DEC(),
                             T.SQL_TIME(), T.SQL_TIMESTAMP()]),
     [(7, ["p", "q"], {"w": 1.5, "h": 2.0}, (3, 110.1), dt.date(2024, 2, 1), Decimal("9.90"),
       dt.time(1, 2, 3, 400000), dt.datetime(2024, 2, 1, 3, 4, 5, 600000))]),
    ("ROW_NESTED_UNNAMED", T.ROW([T.INT(), T.ROW([T.STRING(), T.INT()])]), [(1, ("z", 2))]),
    ("ROW_NONE", T.ROW([T.INT(), T.STRING(), T.DOUBLE()]), [(None, None, None)]),
    ("ROW_KIND", T.ROW([T.INT()]), [Row.of_kind(RowKind.UPDATE_BEFORE, 5)]),
]
# typed results of Python functions; rows must be Row objects here (PyFlink fails on tuples)
FUNCTION_CASES = [case for case in SOURCE_CASES if not case[0].startswith("ROW")] + [
    ("INT_BOOL", T.INT(), [True]),
    ("FLOAT_INT", T.FLOAT(), [3]),
    ("DOUBLE_INT", T.DOUBLE(), [1]),
    ("LIST_INT", T.LIST(T.INT()), [[1, 2, 3]]),
    ("LIST_FLOAT", T.LIST(T.FLOAT()), [[110.1, 2.5]]),
    ("LIST_STRING", T.LIST(T.STRING()), [["a", "b"]]),
    ("PICKLED", T.PICKLED_BYTE_ARRAY(), [{"k": (1, 2)}, Row(1, "a"), Row(x=1), (1.5, None, True)]),
    ("ROW_NAMED", T.ROW_NAMED(["a", "b", "c", "d", "e", "f"],
                              [T.LONG(), T.INT(), T.SHORT(), T.FLOAT(), T.BOOLEAN(), T.STRING()]),
     [Row(a=1, b=2, c=3, d=110.1, e=False, f=None)]),
    ("ROW_KIND", T.ROW([T.INT()]), [Row.of_kind(RowKind.UPDATE_BEFORE, 5)]),
]
UNTYPED = [(1, "a"), [1.5], Row(k=1)]


def show(tag):
    def f(v):
        # one write per line: print() writes the text and the newline separately, and
        # lines of parallel branches could interleave
        line = f"PY {tag} {type(v).__name__} {v!r}\n"
        if isinstance(v, (list, tuple, Row)) and v:
            line += f"PYEL {tag} {[type(x).__name__ for x in v]}\n"
        sys.stdout.write(line)
        sys.stdout.flush()
        return v
    return f


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    if len(sys.argv) > 1:
        env.set_parallelism(int(sys.argv[1]))
    env.from_collection(UNTYPED).print("A_NOTYPE")
    env.from_collection(UNTYPED).map(show("B_NOTYPE"))
    for name, t, values in SOURCE_CASES:
        env.from_collection(values, type_info=t).print(f"A_{name}")
        env.from_collection(values, type_info=t).map(show(f"B_{name}"))
    for name, t, values in FUNCTION_CASES:
        for i, v in enumerate(values):
            env.from_collection([0]).map(lambda _, v=v: v, output_type=t).print(f"C_{name}_{i}")
            env.from_collection([0]).map(lambda _, v=v: v, output_type=t).rebalance().map(show(f"D_{name}_{i}"))
    env.execute("pyflink-types")


if __name__ == "__main__":
    main()
