"""Tests for runtime.common: type information, Row, time values, job ids and the
record formatting that must match what PyFlink's ``print()`` shows.

Expected strings are written by hand from Java's ``toString`` rules (Tuple, Row,
Double/Float, BigDecimal, HashMap, java.sql.*, java.time.*).
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal

import pytest

from runtime.common import (
    Duration,
    ExecutionState,
    Instant,
    JobExecutionResult,
    JobID,
    JobStatus,
    Row,
    RowKind,
    RowTypeInfo,
    RuntimeExecutionMode,
    Time,
    TupleTypeInfo,
    TypeInformation,
    Types,
)
from runtime.common.formatting import (
    format_record,
    java_double_to_string,
    java_float_to_string,
    make_formatter,
    print_prefix,
)

T = Types


# ------------------------------------------------------------------ type information


def test_types_compare_by_structure_and_hash() -> None:
    assert T.INT() == T.INT()
    assert T.INT() != T.LONG()
    assert hash(T.STRING()) == hash(T.STRING())
    assert T.TUPLE([T.STRING(), T.INT()]) == T.TUPLE([T.STRING(), T.INT()])
    assert T.TUPLE([T.STRING(), T.INT()]) != T.TUPLE([T.STRING(), T.LONG()])
    assert T.ROW([T.STRING()]) == T.ROW_NAMED(["f0"], [T.STRING()])
    assert T.ROW_NAMED(["a"], [T.STRING()]) != T.ROW_NAMED(["b"], [T.STRING()])
    assert T.ROW([T.INT()]) != T.TUPLE([T.INT()])
    assert T.MAP(T.STRING(), T.LIST(T.INT())) == T.MAP(T.STRING(), T.LIST(T.INT()))
    assert T.PRIMITIVE_ARRAY(T.INT()) != T.BASIC_ARRAY(T.INT())
    assert T.PICKLED_BYTE_ARRAY() == T.PICKLED_BYTE_ARRAY()
    assert T.INSTANT() == T.INSTANT()
    assert T.SQL_DATE() != T.SQL_TIMESTAMP()
    assert len({T.INT(), T.INT(), T.STRING()}) == 2
    assert T.INT() != "Integer"


def test_type_reprs_match_pyflink() -> None:
    assert repr(T.INT()) == "Integer"
    assert str(T.STRING()) == "String"
    assert str(T.BIG_DEC()) == "BigDecimal"
    assert (
        str(T.ROW_NAMED(["name", "count"], [T.STRING(), T.INT()]))
        == "RowTypeInfo(name: String, count: Integer)"
    )
    assert str(T.ROW([T.STRING(), T.LONG()])) == "RowTypeInfo(String, Long)"
    assert str(T.TUPLE([T.STRING(), T.INT()])) == "TupleTypeInfo(String, Integer)"
    assert str(T.LIST(T.DOUBLE())) == "ListTypeInfo<Double>"
    assert str(T.MAP(T.STRING(), T.INT())) == "MapTypeInfo<String, Integer>"
    assert str(T.PRIMITIVE_ARRAY(T.BYTE())) == "PrimitiveArrayTypeInfo<Byte>"
    assert str(T.BASIC_ARRAY(T.STRING())) == "BasicArrayTypeInfo<String>"
    assert str(T.OBJECT_ARRAY(T.SQL_DATE())) == "ObjectArrayTypeInfo<DateTypeInfo>"
    assert str(T.PICKLED_BYTE_ARRAY()) == "PickledByteArrayTypeInfo"
    assert str(T.SQL_TIMESTAMP()) == "TimestampTypeInfo"


def test_row_type_info_fields() -> None:
    named = T.ROW_NAMED(["name", "count"], [T.STRING(), T.INT()])
    assert isinstance(named, RowTypeInfo)
    assert named.get_field_names() == ["name", "count"]
    assert named.get_field_index("count") == 1
    assert named.get_field_index("missing") == -1
    assert named.get_field_types() == [T.STRING(), T.INT()]
    unnamed = T.ROW([T.STRING(), T.INT()])
    assert unnamed.get_field_names() == ["f0", "f1"]
    assert unnamed.get_field_index("f1") == 1
    tup = T.TUPLE([T.STRING(), T.INT()])
    assert isinstance(tup, TupleTypeInfo)
    assert tup.get_field_types() == [T.STRING(), T.INT()]


def test_type_constructors_reject_bad_arguments() -> None:
    with pytest.raises(TypeError, match="TypeInformation"):
        T.ROW([T.STRING(), int])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="one name per field"):
        T.ROW_NAMED(["a"], [T.STRING(), T.INT()])
    with pytest.raises(ValueError, match="duplicate"):
        T.ROW_NAMED(["a", "a"], [T.STRING(), T.INT()])
    with pytest.raises(TypeError, match="primitive array"):
        T.PRIMITIVE_ARRAY(T.STRING())


@pytest.mark.parametrize(
    "type_info",
    [
        T.STRING(),
        T.INSTANT(),
        T.SQL_TIME(),
        T.PICKLED_BYTE_ARRAY(),
        T.ROW_NAMED(["a", "b"], [T.STRING(), T.LIST(T.INT())]),
        T.TUPLE([T.STRING(), T.MAP(T.STRING(), T.DOUBLE())]),
        T.PRIMITIVE_ARRAY(T.BYTE()),
        T.OBJECT_ARRAY(T.ROW([T.INT()])),
    ],
)
def test_type_info_pickles(type_info: TypeInformation) -> None:
    restored = pickle.loads(pickle.dumps(type_info))
    assert restored == type_info
    assert str(restored) == str(type_info)
    assert hash(restored) == hash(type_info)


# ------------------------------------------------------------------------ check()


def test_check_accepts_fitting_values() -> None:
    assert T.INT().check(5) is None
    assert T.INT().check(None) is None
    assert T.LONG().check(2**63 - 1) is None
    assert T.BYTE().check(-128) is None
    assert T.DOUBLE().check(1) is None
    assert T.FLOAT().check(1.5) is None
    assert T.STRING().check("x") is None
    assert T.CHAR().check("x") is None
    assert T.BOOLEAN().check(False) is None
    assert T.BIG_INT().check(10**40) is None
    assert T.BIG_DEC().check(Decimal("1.5")) is None
    assert T.INSTANT().check(Instant.of_epoch_milli(5)) is None
    assert T.SQL_DATE().check(dt.date(2024, 1, 1)) is None
    assert T.SQL_TIME().check(dt.time(1, 2)) is None
    assert T.SQL_TIMESTAMP().check(dt.datetime(2024, 1, 1)) is None
    assert T.PICKLED_BYTE_ARRAY().check(object()) is None
    assert T.TUPLE([T.STRING(), T.INT()]).check(("a", 1)) is None
    assert T.TUPLE([T.STRING(), T.INT()]).check(["a", None]) is None
    assert T.ROW([T.STRING(), T.INT()]).check(Row("a", 1)) is None
    assert T.ROW([T.STRING(), T.INT()]).check(("a", 1)) is None
    assert T.ROW_NAMED(["n", "c"], [T.STRING(), T.INT()]).check(Row(c=1, n="a")) is None
    assert T.LIST(T.INT()).check([1, 2]) is None
    assert T.MAP(T.STRING(), T.INT()).check({"a": 1}) is None
    assert T.PRIMITIVE_ARRAY(T.BYTE()).check(b"\x00\xff") is None
    assert T.BASIC_ARRAY(T.STRING()).check(["a", None]) is None


def test_check_messages() -> None:
    assert T.INT().check("a") == "expected int for INT, got str 'a'"
    assert T.INT().check(2**31) == "int 2147483648 out of range for INT (-2147483648..2147483647)"
    assert T.LONG().check(2**63) is not None
    assert "out of range for LONG" in (T.LONG().check(-(2**63) - 1) or "")
    assert "out of range for BYTE" in (T.BYTE().check(128) or "")
    assert T.SHORT().check(1.5) == "expected int for SHORT, got float 1.5"
    assert T.STRING().check(1) == "expected str for STRING, got int 1"
    assert T.BOOLEAN().check(1) == "expected bool for BOOLEAN, got int 1"
    assert T.DOUBLE().check("1.0") == "expected float or int for DOUBLE, got str '1.0'"
    assert T.FLOAT().check(1e39) is None  # becomes Infinity, as Java's (float) cast (and PyFlink) make it
    assert T.CHAR().check("ab") is not None
    assert T.TUPLE([T.STRING(), T.INT()]).check(("a", "b")) == (
        "field 1: expected int for INT, got str 'b'"
    )
    assert T.TUPLE([T.STRING(), T.INT()]).check(("a", 1, 2)) == (
        "expected 2 fields for TUPLE, got 3: tuple ('a', 1, 2)"
    )
    assert T.TUPLE([T.STRING()]).check("a") == "expected tuple or list for TUPLE, got str 'a'"
    assert T.ROW_NAMED(["name", "count"], [T.STRING(), T.INT()]).check(("a", "x")) == (
        "field 'count': expected int for INT, got str 'x'"
    )
    assert T.ROW([T.STRING(), T.INT()]).check(5) == (
        "expected Row, tuple or list for ROW, got int 5"
    )
    assert "no field 'count'" in (
        T.ROW_NAMED(["name", "count"], [T.STRING(), T.INT()]).check(Row(name="a", n=1)) or ""
    )
    assert T.LIST(T.INT()).check([1, "x"]) == "element 1: expected int for INT, got str 'x'"
    assert T.LIST(T.INT()).check({1}) is not None
    assert T.MAP(T.STRING(), T.INT()).check({"a": "b"}) == (
        "value of key 'a': expected int for INT, got str 'b'"
    )
    assert T.MAP(T.STRING(), T.INT()).check({1: 1}) == (
        "key 1: expected str for STRING, got int 1"
    )
    assert T.MAP(T.STRING(), T.INT()).check([("a", 1)]) is not None
    nested = T.TUPLE([T.STRING(), T.TUPLE([T.STRING(), T.INT()])])
    assert nested.check(("a", ("b", "c"))) == (
        "field 1: field 1: expected int for INT, got str 'c'"
    )


def test_check_shortens_long_values() -> None:
    reason = T.INT().check("x" * 500)
    assert reason is not None and len(reason) < 120 and reason.endswith("...")


# ------------------------------------------------------------------------ formatting


def test_format_untyped_and_pickled_use_python_str() -> None:
    assert format_record(("a", 1), None) == "('a', 1)"
    assert format_record(("a", 1), T.PICKLED_BYTE_ARRAY()) == "('a', 1)"
    assert format_record(None, None) == "None"
    assert make_formatter(None) is str
    assert make_formatter(T.PICKLED_BYTE_ARRAY()) is str


def test_format_basic_types() -> None:
    assert format_record("hello", T.STRING()) == "hello"
    assert format_record("c", T.CHAR()) == "c"
    assert format_record(42, T.INT()) == "42"
    assert format_record(-7, T.LONG()) == "-7"
    assert format_record(3, T.SHORT()) == "3"
    assert format_record(3, T.BYTE()) == "3"
    assert format_record(10**30, T.BIG_INT()) == "1000000000000000000000000000000"
    assert format_record(True, T.BOOLEAN()) == "true"
    assert format_record(False, T.BOOLEAN()) == "false"
    assert format_record(True, T.INT()) == "1"
    assert format_record(None, T.STRING()) == "null"
    assert format_record(None, T.INT()) == "null"


@pytest.mark.parametrize(
    "value, expected",
    [
        (1.0, "1.0"),
        (0.1, "0.1"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1e7, "1.0E7"),
        (9999999.0, "9999999.0"),
        (12345678.9, "1.23456789E7"),
        (1.5e-5, "1.5E-5"),
        (-2.5e10, "-2.5E10"),
        (1e100, "1.0E100"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (1 / 3, "0.3333333333333333"),
        # JDK 8-17 print integral doubles above 2**53 with all resolvable digits.
        (1.097162270535982e18, "1.09716227053598195E18"),
    ],
)
def test_format_double_like_java(value: float, expected: str) -> None:
    assert java_double_to_string(value) == expected
    assert format_record(value, T.DOUBLE()) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.1, "0.1"),
        (1.0, "1.0"),
        (1.1, "1.1"),
        (3.14159, "3.14159"),
        (1e10, "1.0E10"),
        (0.0001, "1.0E-4"),
        (16777218.0, "1.6777218E7"),
        (895654974.1186988, "8.9565498E8"),
        (3.4028235e38, "3.4028235E38"),
        (1e39, "Infinity"),
        (float("nan"), "NaN"),
    ],
)
def test_format_float_like_java(value: float, expected: str) -> None:
    assert java_float_to_string(value) == expected
    assert format_record(value, T.FLOAT()) == expected


def test_format_int_value_as_double() -> None:
    assert format_record(3, T.DOUBLE()) == "3.0"
    assert format_record(10**8, T.DOUBLE()) == "1.0E8"


def test_format_big_decimal_like_java() -> None:
    assert format_record(Decimal("123.4500"), T.BIG_DEC()) == "123.4500"
    assert format_record(Decimal("1E+3"), T.BIG_DEC()) == "1E+3"
    assert format_record(Decimal("0.0000001"), T.BIG_DEC()) == "1E-7"
    assert format_record(Decimal("0.000001"), T.BIG_DEC()) == "0.000001"
    assert format_record(Decimal("-0.00"), T.BIG_DEC()) == "0.00"


def test_format_dates_and_times_like_java() -> None:
    assert format_record(dt.date(2024, 1, 5), T.SQL_DATE()) == "2024-01-05"
    assert format_record(dt.time(7, 5, 9, 123), T.SQL_TIME()) == "07:05:09"
    assert format_record(dt.datetime(2024, 1, 31, 12, 30), T.SQL_TIMESTAMP()) == (
        "2024-01-31 12:30:00.0"
    )
    assert format_record(dt.datetime(2024, 1, 31, 12, 30, 0, 123400), T.SQL_TIMESTAMP()) == (
        "2024-01-31 12:30:00.1234"
    )
    assert format_record(Instant.of_epoch_milli(0), T.INSTANT()) == "1970-01-01T00:00:00Z"
    assert format_record(Instant.of_epoch_milli(100), T.INSTANT()) == (
        "1970-01-01T00:00:00.100Z"
    )
    assert format_record(Instant(1, 123456000), T.INSTANT()) == "1970-01-01T00:00:01.123456Z"
    assert format_record(Instant(-1, 1), T.INSTANT()) == "1969-12-31T23:59:59.000000001Z"


def test_format_tuple_like_java_tuple() -> None:
    st = T.TUPLE([T.STRING(), T.INT()])
    assert format_record(("a", 1), st) == "(a,1)"
    assert format_record(["a", 1], st) == "(a,1)"
    assert format_record(("a", None), st) == "(a,null)"
    nested = T.TUPLE([T.STRING(), T.TUPLE([T.STRING(), T.INT()])])
    assert format_record(("a", ("b", 1)), nested) == "(a,(b,1))"
    three = T.TUPLE([T.STRING(), T.DOUBLE(), T.BOOLEAN()])
    assert format_record(("x", 1e7, True), three) == "(x,1.0E7,true)"
    with_row = T.TUPLE([T.STRING(), T.ROW([T.INT(), T.INT()])])
    assert format_record(("k", Row(1, 2)), with_row) == "(k,+I[1, 2])"
    assert format_record((), T.TUPLE([])) == "()"


def test_format_row_like_java_row() -> None:
    rt = T.ROW([T.STRING(), T.INT()])
    assert format_record(Row("a", 1), rt) == "+I[a, 1]"
    assert format_record(("a", 1), rt) == "+I[a, 1]"
    named = T.ROW_NAMED(["name", "age"], [T.STRING(), T.INT()])
    assert format_record(Row(name="a", age=1), named) == "+I[a, 1]"
    # PyFlink reads named rows by the type's names, whatever order they were built in.
    assert format_record(Row(age=1, name="a"), named) == "+I[a, 1]"
    assert format_record({"age": 1, "name": "a"}, named) == "+I[a, 1]"
    row = Row("a", 1)
    row.set_row_kind(RowKind.UPDATE_BEFORE)
    assert format_record(row, rt) == "-U[a, 1]"
    row.set_row_kind(RowKind.DELETE)
    assert format_record(row, rt) == "-D[a, 1]"
    nested = T.ROW([T.STRING(), T.ROW([T.INT(), T.DOUBLE()])])
    assert format_record(Row("a", Row(1, 0.5)), nested) == "+I[a, +I[1, 0.5]]"
    three = T.ROW([T.STRING(), T.INT(), T.BOOLEAN()])
    assert format_record(Row("a", None, False), three) == "+I[a, null, false]"


def test_format_lists_arrays_and_maps_like_java() -> None:
    assert format_record([1, 2, 3], T.LIST(T.INT())) == "[1, 2, 3]"
    assert format_record(["a", "b"], T.LIST(T.STRING())) == "[a, b]"
    assert format_record([], T.LIST(T.STRING())) == "[]"
    assert format_record([1.0, None], T.BASIC_ARRAY(T.DOUBLE())) == "[1.0, null]"
    assert format_record([1, 2], T.PRIMITIVE_ARRAY(T.INT())) == "[1, 2]"
    assert format_record(b"\xc8\x01", T.PRIMITIVE_ARRAY(T.BYTE())) == "[-56, 1]"
    assert format_record([("a", 1)], T.OBJECT_ARRAY(T.TUPLE([T.STRING(), T.INT()]))) == (
        "[(a,1)]"
    )
    m = T.MAP(T.STRING(), T.INT())
    assert format_record({}, m) == "{}"
    assert format_record({"a": 1, "b": 2}, m) == "{a=1, b=2}"
    # Java HashMap iteration order (bucket order), not insertion order: with capacity 4
    # "banana" lands in bucket 0, "apple" and "cherry" in bucket 1 (insertion order).
    assert format_record({"cherry": 3, "apple": 1, "banana": 2}, m) == (
        "{banana=2, cherry=3, apple=1}"
    )
    assert format_record({3: "c", 1: "a", 2: "b"}, T.MAP(T.INT(), T.STRING())) == (
        "{1=a, 2=b, 3=c}"
    )
    assert format_record({"k": [1, 2]}, T.MAP(T.STRING(), T.LIST(T.LONG()))) == "{k=[1, 2]}"
    assert format_record({"k": None}, m) == "{k=null}"


def test_formatter_is_reusable_over_a_batch() -> None:
    fmt = make_formatter(T.TUPLE([T.STRING(), T.INT()]))
    assert [fmt(x) for x in [("a", 1), ("b", 2)]] == ["(a,1)", "(b,2)"]
    assert make_formatter(T.TUPLE([T.STRING(), T.INT()])) is fmt  # cached per structure


def test_print_prefix() -> None:
    assert print_prefix(None, 0, 1) == ""
    assert print_prefix(None, 0, 4) == "1> "
    assert print_prefix(None, 3, 4) == "4> "
    assert print_prefix("sink", 0, 1) == "sink> "
    assert print_prefix("sink", 1, 2) == "sink:2> "
    assert print_prefix("", 1, 2) == "2> "


# ------------------------------------------------------------------------------ Row


def test_row_positional() -> None:
    row = Row("a", 1)
    assert row[0] == "a" and row[1] == 1
    assert row[-1] == 1
    assert row[0:1] == ["a"]
    assert len(row) == 2
    assert list(row) == ["a", 1]
    assert "a" in row
    assert repr(row) == "<Row('a', 1)>"
    assert row.get_row_kind() is RowKind.INSERT
    with pytest.raises(TypeError):
        row.as_dict()


def test_row_named_keeps_keyword_order() -> None:
    row = Row(name="Alice", age=11)
    assert list(row) == ["Alice", 11]
    assert row.name == "Alice" and row["age"] == 11 and row[1] == 11
    assert repr(row) == "Row(name='Alice', age=11)"
    assert row.as_dict() == {"name": "Alice", "age": 11}
    assert row.get_fields_by_names(["age", "name"]) == [11, "Alice"]
    with pytest.raises(AttributeError):
        _ = row.missing
    with pytest.raises(KeyError):
        _ = row["missing"]
    with pytest.raises(AttributeError):
        row.name = "Bob"
    row["name"] = "Bob"
    assert row.name == "Bob"
    with pytest.raises(ValueError):
        Row("a", name="b")


def test_row_as_dict_recursive() -> None:
    row = Row(key=1, value=Row(name="a", age=2), items=[Row(x=1)])
    assert row.as_dict() == {"key": 1, "value": Row(name="a", age=2), "items": [Row(x=1)]}
    assert row.as_dict(recursive=True) == {
        "key": 1,
        "value": {"name": "a", "age": 2},
        "items": [{"x": 1}],
    }


def test_row_class_factory() -> None:
    Person = Row("name", "age")
    alice = Person("Alice", 11)
    assert alice == Row(name="Alice", age=11)
    assert alice.name == "Alice"
    assert repr(alice) == "Row(name='Alice', age=11)"
    with pytest.raises(ValueError):
        Person("a", 1, 2)


def test_row_kind_and_field_names() -> None:
    row = Row("a", 1)
    row.set_field_names(["x", "y"])
    assert row.y == 1
    row.set_row_kind(RowKind.UPDATE_AFTER)
    assert row.get_row_kind() is RowKind.UPDATE_AFTER
    assert str(RowKind.INSERT) == "+I"
    assert [k.short_string() for k in RowKind] == ["+I", "-U", "+U", "-D"]
    assert RowKind.from_short_string("-D") is RowKind.DELETE


def test_row_equality_and_hash() -> None:
    assert Row("a", 1) == Row("a", 1)
    assert Row("a", 1) != Row("a", 2)
    assert Row("a", 1) != ("a", 1)
    assert Row(x=1) != Row(1)  # named vs unnamed, as in PyFlink
    changed = Row("a", 1)
    changed.set_row_kind(RowKind.DELETE)
    assert changed != Row("a", 1)
    assert hash(Row("a", 1)) == hash(Row("a", 1))
    assert len({Row("a", 1), Row("a", 1)}) == 1


@pytest.mark.parametrize("row", [Row("a", 1), Row(name="a", age=1), Row("a", Row(x=[1]))])
def test_row_pickles_and_copies(row: Row) -> None:
    row.set_row_kind(RowKind.UPDATE_AFTER)
    for restored in (pickle.loads(pickle.dumps(row)), copy.copy(row), copy.deepcopy(row)):
        assert restored == row
        assert repr(restored) == repr(row)
        assert restored.get_row_kind() is RowKind.UPDATE_AFTER


# ------------------------------------------------------------------------------ time


def test_time_conversions() -> None:
    assert Time.milliseconds(5).to_milliseconds() == 5
    assert Time.seconds(5).to_milliseconds() == 5000
    assert Time.minutes(2).to_milliseconds() == 120_000
    assert Time.hours(1).to_milliseconds() == 3_600_000
    assert Time.days(1).to_milliseconds() == 86_400_000
    assert Time.seconds(1) == Time.milliseconds(1000)
    assert hash(Time.seconds(1)) == hash(Time.milliseconds(1000))
    assert str(Time.seconds(5)) == "5000 ms"
    assert Time.seconds(1) < Time.seconds(2)
    assert pickle.loads(pickle.dumps(Time.seconds(3))) == Time.seconds(3)


def test_duration_conversions() -> None:
    assert Duration.of_millis(1500).to_milliseconds() == 1500
    assert Duration.of_seconds(2).to_milliseconds() == 2000
    assert Duration.of_minutes(1).to_milliseconds() == 60_000
    assert Duration.of_hours(1).to_milliseconds() == 3_600_000
    assert Duration.of_days(1).to_milliseconds() == 86_400_000
    assert Duration.of_nanos(1_999_999).to_milliseconds() == 1
    assert Duration.of_nanos(-1_999_999).to_milliseconds() == -1  # truncates like Java
    assert Duration.of_seconds(1) == Duration.of_millis(1000)
    assert hash(Duration.of_seconds(1)) == hash(Duration.of_millis(1000))
    assert Duration.of_seconds(1) < Duration.of_seconds(2)
    assert Duration.of_seconds(1.5).to_milliseconds() == 1500
    assert pickle.loads(pickle.dumps(Duration.of_seconds(3))) == Duration.of_seconds(3)
    with pytest.raises(TypeError):
        Duration.of_seconds("1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "duration, text",
    [
        (Duration.of_nanos(0), "PT0S"),
        (Duration.of_millis(1500), "PT1.5S"),
        (Duration.of_millis(-500), "PT-0.5S"),
        (Duration.of_days(1), "PT24H"),
        (Duration.of_minutes(90), "PT1H30M"),
        (Duration.of_nanos(-1), "PT-0.000000001S"),
        (Duration.of_millis(-1500), "PT-1.5S"),
        (Duration.of_seconds(60), "PT1M"),
    ],
)
def test_duration_str_is_java_iso(duration: Duration, text: str) -> None:
    assert str(duration) == text


def test_instant() -> None:
    instant = Instant.of_epoch_milli(1234)
    assert instant.to_epoch_milli() == 1234
    assert instant.seconds == 1 and instant.nanos == 234_000_000
    assert Instant.of_epoch_milli(-1).to_epoch_milli() == -1
    assert Instant(-1, 500_000_001).to_epoch_milli() == -500  # floors like Java
    assert Instant.of_epoch_milli(5) == Instant(0, 5_000_000)
    assert repr(Instant.of_epoch_milli(5)) == "Instant<0, 5000000>"
    assert pickle.loads(pickle.dumps(instant)) == instant


# ------------------------------------------------------------------------------- job


def test_job_id_generate_and_hex() -> None:
    job_id = JobID.generate()
    text = job_id.to_hex_string()
    assert len(text) == 32 and text == text.lower()
    assert str(job_id) == text
    assert JobID.from_hex(text) == job_id
    assert hash(JobID.from_hex(text)) == hash(job_id)
    assert JobID.from_hex(text.upper()) == job_id
    assert JobID.generate() != job_id
    assert pickle.loads(pickle.dumps(job_id)) == job_id


def test_job_id_halves_match_flink_layout() -> None:
    job_id = JobID(lower_part=1, upper_part=2)
    assert str(job_id) == "00000000000000020000000000000001"
    assert job_id.get_lower_part() == 1 and job_id.get_upper_part() == 2
    assert JobID.from_bytes(job_id.to_bytes()) == job_id


@pytest.mark.parametrize("bad", ["", "abc", "g" * 32, "0" * 31, "0" * 33, "0x" + "0" * 30])
def test_job_id_from_hex_validates(bad: str) -> None:
    with pytest.raises(ValueError, match="Cannot parse JobID"):
        JobID.from_hex(bad)


def test_job_status() -> None:
    globally = {s for s in JobStatus if s.is_globally_terminal_state()}
    assert globally == {JobStatus.FAILED, JobStatus.CANCELED, JobStatus.FINISHED}
    terminal = {s for s in JobStatus if s.is_terminal_state()}
    assert terminal == globally | {JobStatus.SUSPENDED}
    assert len(JobStatus) == 11
    assert JobStatus("RUNNING") is JobStatus.RUNNING
    assert str(JobStatus.RUNNING) == "RUNNING"


def test_execution_state() -> None:
    terminal = {s for s in ExecutionState if s.is_terminal()}
    assert terminal == {ExecutionState.FINISHED, ExecutionState.CANCELED, ExecutionState.FAILED}
    assert len(ExecutionState) == 10


def test_runtime_execution_mode() -> None:
    assert [m.name for m in RuntimeExecutionMode] == ["STREAMING", "BATCH", "AUTOMATIC"]


def test_job_execution_result() -> None:
    job_id = JobID.from_hex("0123456789abcdef0123456789abcdef")
    result = JobExecutionResult(job_id, 1234, {"count": 5})
    assert result.get_job_id() == job_id
    assert result.get_net_runtime() == 1234
    assert result.get_job_execution_result() is result
    assert result.is_job_execution_result() is True
    assert result.get_accumulator_result("count") == 5
    assert result.get_accumulator_result("missing") is None
    assert result.get_all_accumulator_results() == {"count": 5}
    assert str(JobExecutionResult(job_id, 1234)) == (
        "Program execution finished\n"
        "Job with JobID 0123456789abcdef0123456789abcdef has finished.\n"
        "Job Runtime: 1234 ms\n"
    )
    assert "Accumulator Results: \n- count (int): 5\n" in str(result)
    assert pickle.loads(pickle.dumps(result)) == result


def test_configuration_is_exported() -> None:
    from runtime.common import Configuration

    assert Configuration().set_string("a.b", "c").get_string("a.b", "") == "c"
