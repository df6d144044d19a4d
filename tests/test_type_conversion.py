"""Conversion of values by their declared type (runtime.common.type_conversion) and PyFlink's
print formats (runtime.common.formatting), rule by rule, with expectations computed here from
the types' definitions (32-bit floats via ``array('f')``, Java's HashMap iteration order ...)."""
from __future__ import annotations

import datetime as dt
from array import array
from decimal import Decimal

import pytest

from runtime.common import Row, RowKind, Types
from runtime.common.formatting import make_formatter, make_print_formatter
from runtime.common.time import Instant
from runtime.common.type_conversion import TypeConversionError, convert_value, make_converter

T = Types


def f32(x: float) -> float:
    return array("f", [x])[0]


def convert(t, values):
    conv = make_converter(t)
    return values if conv is None else conv(list(values))


@pytest.mark.parametrize("t,value,expected", [
    (T.FLOAT(), 110.1, f32(110.1)),
    (T.FLOAT(), 3, 3.0),
    (T.FLOAT(), 1e39, float("inf")),            # Java's (float) cast
    (T.DOUBLE(), 1, 1.0),
    (T.INT(), True, 1),
    (T.LONG(), -(2**63), -(2**63)),
    (T.BIG_INT(), 10**30, 10**30),
    (T.BIG_DEC(), Decimal("-0.000"), Decimal("0.000")),
    (T.SQL_TIME(), dt.time(1, 2, 3, 456789), dt.time(1, 2, 3, 456000)),
    (T.SQL_TIMESTAMP(), dt.datetime(2024, 1, 2, 3, 4, 5, 678901), dt.datetime(2024, 1, 2, 3, 4, 5, 678000)),
    (T.SQL_DATE(), dt.datetime(2024, 1, 2, 3, 4), dt.date(2024, 1, 2)),
    (T.INSTANT(), Instant(5, 6), Instant(5, 6)),
    (T.LIST(T.FLOAT()), (1.5, 110.1), [1.5, f32(110.1)]),
    (T.PRIMITIVE_ARRAY(T.BYTE()), [1, -56], bytes([1, 200])),
    (T.BASIC_ARRAY(T.STRING()), ("a",), ["a"]),
    (T.TUPLE([T.STRING(), T.FLOAT()]), ["a", 110.1], ("a", f32(110.1))),
    (T.PICKLED_BYTE_ARRAY(), {"k": 1}, {"k": 1}),
])
def test_values_convert_by_type(t, value, expected):
    assert convert_value(t, value) == expected
    assert type(convert_value(t, value)) is type(expected)


def test_rows_get_names_kinds_and_converted_fields():
    unnamed = T.ROW([T.INT(), T.FLOAT()])
    row = convert_value(unnamed, (1, 110.1))
    assert isinstance(row, Row) and row.get_field_names() == ["f0", "f1"] and list(row) == [1, f32(110.1)]
    named = T.ROW_NAMED(["name", "score"], [T.STRING(), T.DOUBLE()])
    assert convert_value(named, {"score": 2, "name": "a"}) == Row(name="a", score=2.0)
    assert convert_value(named, Row(score=1, name="b")) == Row(name="b", score=1.0)  # by name
    retract = Row("c", 3)
    retract.set_row_kind(RowKind.UPDATE_BEFORE)
    assert convert_value(named, retract).get_row_kind() is RowKind.UPDATE_BEFORE
    nested = T.ROW([T.INT(), T.ROW([T.STRING()])])
    assert repr(convert_value(nested, (1, ("z",)))) == "Row(f0=1, f1=Row(f0='z'))"


def test_maps_come_back_in_java_hashmap_order():
    # Integer keys hash to themselves: with 4 entries the map has 8 buckets (index = key & 7)
    t = T.MAP(T.INT(), T.STRING())
    value = {9: "i", 1: "a", 17: "q", 3: "c"}
    got = list(convert_value(t, value))
    assert got == sorted(value, key=lambda k: (k & 7, list(value).index(k)))


@pytest.mark.parametrize("t,value,reason", [
    (T.INT(), 2**31, f"int {2**31} out of range for INT"),
    (T.SHORT(), 40000, "out of range for SHORT"),
    (T.BYTE(), 200, "out of range for BYTE"),
    (T.LONG(), 2**63, "out of range for LONG"),
    (T.INT(), 1.5, "expected int for INT"),
    (T.STRING(), 5, "expected str for STRING"),
    (T.ROW([T.INT(), T.INT(), T.INT()]), (1, 2), "needs 3 fields"),
    (T.TUPLE([T.INT()]), ("x",), "expected int for INT"),
    (T.LIST(T.INT()), [1, "x"], "element of ListTypeInfo<Integer>"),
])
def test_values_that_do_not_fit_are_refused(t, value, reason):
    with pytest.raises(TypeConversionError, match=None) as info:
        convert(t, [value])
    assert reason in str(info.value), str(info.value)


def test_batches_that_need_no_change_are_returned_as_they_are():
    ints = [1, 2, 3]
    assert make_converter(T.INT())(ints) is ints
    strings = ["a", None]
    assert make_converter(T.STRING())(strings) is strings
    pairs = [("a", 1), ("b", 2)]
    assert make_converter(T.TUPLE([T.STRING(), T.INT()]))(pairs) is pairs
    assert make_converter(None) is None and make_converter(T.PICKLED_BYTE_ARRAY()) is None


def test_from_collection_converts_when_the_job_is_defined():
    from runtime.datastream import StreamExecutionEnvironment
    env = StreamExecutionEnvironment.get_execution_environment()
    with pytest.raises(TypeError, match=r"from_collection: element 1 .* does not match type Integer"):
        env.from_collection([1, 2**31], type_info=T.INT())


def test_print_formats():
    row_print = make_print_formatter(T.ROW_NAMED(["a", "b", "c"], [T.INT(), T.BOOLEAN(), T.LIST(T.STRING())]))
    assert row_print(Row(a=1, b=True, c=["x"])) == "+I[1,True,['x']]"           # PyFlink's Python-side print
    assert row_print((1, None, [])) == "+I[1,None,[]]"
    java = make_formatter(T.ROW([T.INT(), T.BOOLEAN()]))
    assert java(Row(1, True)) == "+I[1, true]"                                  # Java's Row.toString (file sink)
    assert make_print_formatter(T.TUPLE([T.INT(), T.FLOAT()]))((1, f32(110.1))) == "(1,110.1)"
    assert make_print_formatter(T.SQL_TIMESTAMP())(dt.datetime(2024, 1, 31, 12, 30, 5, 123000)) == \
        "2024-01-31 12:30:05.123"
    assert make_print_formatter(None)((1, "a")) == "(1, 'a')"
