"""Flink's type information, with the class names and ``Types`` factory of
``pyflink.common.typeinfo``.

In PyFlink a ``TypeInformation`` tells the Java side how to serialise a stream's records
and, as a side effect, how ``print()`` renders them. There is no Java side here, so the
objects carry what is still needed:

* identity: instances compare equal *by structure* (``Types.INT() == Types.INT()``,
  rows by field types and names), hash consistently and pickle, because type
  information travels inside job graphs to the task processes;
* a readable ``str``/``repr`` identical to PyFlink's (``RowTypeInfo(name: String,
  count: Integer)``, ``TupleTypeInfo(String, Integer)``, ``ListTypeInfo<Long>``);
* :meth:`TypeInformation.check`, which tells the engine whether a Python value fits,
  with a short reason when it does not. PyFlink only finds out inside a Java
  serializer, with a stack trace; here the engine can reject a record with a sentence.

How records are *printed* for a given type lives in :mod:`runtime.common.formatting`.

``None`` passes every check: Flink's serializers for boxed types, strings, rows, tuples
fields and collections all accept nulls, and rejecting them would break jobs that run
on PyFlink.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import math
import numbers
from enum import Enum
from typing import Any, Callable, Sequence

from runtime.common.row import Row
from runtime.common.time import Instant

__all__ = [
    "TypeInformation",
    "BasicType",
    "BasicTypeInfo",
    "InstantTypeInfo",
    "SqlTimeTypeInfo",
    "DateTypeInfo",
    "TimeTypeInfo",
    "TimestampTypeInfo",
    "PrimitiveArrayTypeInfo",
    "BasicArrayTypeInfo",
    "ObjectArrayTypeInfo",
    "PickledBytesTypeInfo",
    "RowTypeInfo",
    "TupleTypeInfo",
    "ListTypeInfo",
    "MapTypeInfo",
    "Types",
]

_MAX_REPR = 60


def _describe(value: Any) -> str:
    """``"<type> <repr>"`` for error messages, with long reprs shortened so one bad
    record cannot flood a log line."""
    try:
        text = repr(value)
    except Exception:  # a user object with a broken __repr__ must not hide the error
        text = object.__repr__(value)
    if len(text) > _MAX_REPR:
        text = text[: _MAX_REPR - 3] + "..."
    return f"{type(value).__name__} {text}"


class TypeInformation:
    """Base class of all type information.

    Subclasses define :meth:`_key` (their structure, used for equality and hashing),
    :meth:`check` and ``__repr__``. The conversion hooks PyFlink has
    (``need_conversion``/``to_internal_type``/``from_internal_type``) exist so code that
    calls them keeps working; values need no conversion in a pure-Python runtime.
    """

    def _key(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def type_name(self) -> str:
        """The ``Types`` factory name of this type (``INT``, ``ROW``, …), for messages."""
        raise NotImplementedError

    def check(self, value: Any) -> str | None:
        """Return ``None`` if ``value`` fits this type, else a short reason such as
        ``"expected int for INT, got str 'a'"``."""
        raise NotImplementedError

    def need_conversion(self) -> bool:
        """PyFlink hook; values never need conversion here."""
        return False

    def to_internal_type(self, obj: Any) -> Any:
        """PyFlink hook; identity."""
        return obj

    def from_internal_type(self, obj: Any) -> Any:
        """PyFlink hook; identity."""
        return obj

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, TypeInformation):
            return False
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.__repr__()


# ---------------------------------------------------------------------------- basic


class BasicType(Enum):
    """The basic types; the values are the Java class names PyFlink prints."""

    STRING = "String"
    BYTE = "Byte"
    BOOLEAN = "Boolean"
    SHORT = "Short"
    INT = "Integer"
    LONG = "Long"
    FLOAT = "Float"
    DOUBLE = "Double"
    CHAR = "Char"
    BIG_INT = "BigInteger"
    BIG_DEC = "BigDecimal"
    INSTANT = "Instant"


_INT_RANGES: dict[BasicType, tuple[int, int]] = {
    BasicType.BYTE: (-(2**7), 2**7 - 1),
    BasicType.SHORT: (-(2**15), 2**15 - 1),
    BasicType.INT: (-(2**31), 2**31 - 1),
    BasicType.LONG: (-(2**63), 2**63 - 1),
}
_FLOAT32_MAX = 3.4028234663852886e38


def _check_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None
    return f"expected str for STRING, got {_describe(value)}"


def _check_char(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and len(value) == 1):
        return None
    return f"expected a one-character str for CHAR, got {_describe(value)}"


def _check_bool(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    return f"expected bool for BOOLEAN, got {_describe(value)}"


def _make_int_check(basic: BasicType) -> Callable[[Any], str | None]:
    lo, hi = _INT_RANGES[basic]
    name = basic.name

    def check(value: Any) -> str | None:
        # bool is an int in Python and PyFlink's coders accept it (as 0/1), so we do too.
        if value.__class__ is int or isinstance(value, numbers.Integral):
            if lo <= value <= hi:
                return None
            return f"int {value} out of range for {name} ({lo}..{hi})"
        if value is None:
            return None
        return f"expected int for {name}, got {_describe(value)}"

    return check


def _check_big_int(value: Any) -> str | None:
    if value is None or isinstance(value, numbers.Integral):
        return None
    return f"expected int for BIG_INT, got {_describe(value)}"


def _check_double(value: Any) -> str | None:
    if value is None or isinstance(value, (float, numbers.Real)) and not isinstance(
        value, _decimal.Decimal
    ):
        return None
    return f"expected float or int for DOUBLE, got {_describe(value)}"


def _check_float(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, _decimal.Decimal):
        f = float(value)
        if math.isfinite(f) and abs(f) > _FLOAT32_MAX:
            return f"float {value!r} out of range for FLOAT (32-bit, max 3.4028235E38)"
        return None
    return f"expected float or int for FLOAT, got {_describe(value)}"


def _check_big_dec(value: Any) -> str | None:
    if value is None or isinstance(value, numbers.Integral):
        return None
    if isinstance(value, _decimal.Decimal):
        if value.is_finite():
            return None
        return f"Decimal {value} cannot be a BIG_DEC (only finite values)"
    return f"expected decimal.Decimal for BIG_DEC, got {_describe(value)}"


def _check_instant(value: Any) -> str | None:
    if value is None or isinstance(value, Instant):
        return None
    return f"expected Instant for INSTANT, got {_describe(value)}"


_BASIC_CHECKS: dict[BasicType, Callable[[Any], str | None]] = {
    BasicType.STRING: _check_str,
    BasicType.CHAR: _check_char,
    BasicType.BOOLEAN: _check_bool,
    BasicType.BYTE: _make_int_check(BasicType.BYTE),
    BasicType.SHORT: _make_int_check(BasicType.SHORT),
    BasicType.INT: _make_int_check(BasicType.INT),
    BasicType.LONG: _make_int_check(BasicType.LONG),
    BasicType.BIG_INT: _check_big_int,
    BasicType.FLOAT: _check_float,
    BasicType.DOUBLE: _check_double,
    BasicType.BIG_DEC: _check_big_dec,
    BasicType.INSTANT: _check_instant,
}


class BasicTypeInfo(TypeInformation):
    """Type information for strings, booleans, numbers, chars, big numbers and Instant.

    ``repr`` is the Java class name (``Integer``, ``String``), as in PyFlink.
    """

    def __init__(self, basic_type: BasicType) -> None:
        if not isinstance(basic_type, BasicType):
            raise TypeError(f"basic_type must be a BasicType, got {basic_type!r}")
        self._basic_type = basic_type

    def get_basic_type(self) -> BasicType:
        """Which basic type this is."""
        return self._basic_type

    def _key(self) -> tuple[Any, ...]:
        return ("basic", self._basic_type.name)

    def type_name(self) -> str:
        return self._basic_type.name

    def check(self, value: Any) -> str | None:
        return _BASIC_CHECKS[self._basic_type](value)

    def __repr__(self) -> str:
        return self._basic_type.value

    @staticmethod
    def STRING_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.STRING)

    @staticmethod
    def BOOLEAN_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BOOLEAN)

    @staticmethod
    def BYTE_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BYTE)

    @staticmethod
    def SHORT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.SHORT)

    @staticmethod
    def INT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.INT)

    @staticmethod
    def LONG_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.LONG)

    @staticmethod
    def FLOAT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.FLOAT)

    @staticmethod
    def DOUBLE_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.DOUBLE)

    @staticmethod
    def CHAR_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.CHAR)

    @staticmethod
    def BIG_INT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BIG_INT)

    @staticmethod
    def BIG_DEC_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BIG_DEC)

    @staticmethod
    def INSTANT_TYPE_INFO() -> InstantTypeInfo:
        return InstantTypeInfo(BasicType.INSTANT)


class InstantTypeInfo(BasicTypeInfo):
    """Type information for :class:`~runtime.common.time.Instant` (PyFlink's own
    subclass, kept so ``isinstance`` checks ported from PyFlink still work)."""

    def __init__(self, basic_type: BasicType = BasicType.INSTANT) -> None:
        super().__init__(basic_type)


# ------------------------------------------------------------------------- sql time


class SqlTimeTypeInfo(TypeInformation):
    """Factory for the SQL date/time types (``java.sql.Date``/``Time``/``Timestamp``),
    which PyFlink maps to ``datetime.date``/``time``/``datetime``."""

    @staticmethod
    def DATE() -> DateTypeInfo:
        return DateTypeInfo()

    @staticmethod
    def TIME() -> TimeTypeInfo:
        return TimeTypeInfo()

    @staticmethod
    def TIMESTAMP() -> TimestampTypeInfo:
        return TimestampTypeInfo()


class DateTypeInfo(SqlTimeTypeInfo):
    """A calendar date; Python values are ``datetime.date``."""

    def _key(self) -> tuple[Any, ...]:
        return ("sql", "DATE")

    def type_name(self) -> str:
        return "SQL_DATE"

    def check(self, value: Any) -> str | None:
        if value is None or isinstance(value, _dt.date):
            return None
        return f"expected datetime.date for SQL_DATE, got {_describe(value)}"

    def __repr__(self) -> str:
        return "DateTypeInfo"


class TimeTypeInfo(SqlTimeTypeInfo):
    """A time of day; Python values are ``datetime.time``."""

    def _key(self) -> tuple[Any, ...]:
        return ("sql", "TIME")

    def type_name(self) -> str:
        return "SQL_TIME"

    def check(self, value: Any) -> str | None:
        if value is None or isinstance(value, _dt.time):
            return None
        return f"expected datetime.time for SQL_TIME, got {_describe(value)}"

    def __repr__(self) -> str:
        return "TimeTypeInfo"


class TimestampTypeInfo(SqlTimeTypeInfo):
    """A date and time; Python values are ``datetime.datetime``."""

    def _key(self) -> tuple[Any, ...]:
        return ("sql", "TIMESTAMP")

    def type_name(self) -> str:
        return "SQL_TIMESTAMP"

    def check(self, value: Any) -> str | None:
        if value is None or isinstance(value, _dt.datetime):
            return None
        return f"expected datetime.datetime for SQL_TIMESTAMP, got {_describe(value)}"

    def __repr__(self) -> str:
        return "TimestampTypeInfo"


# --------------------------------------------------------------------------- arrays


def _require_type(value: Any, what: str) -> TypeInformation:
    """Fail at job-definition time, with the offending argument, rather than later in
    a task with an AttributeError."""
    if not isinstance(value, TypeInformation):
        raise TypeError(f"{what} must be a TypeInformation (e.g. Types.INT()), got {value!r}")
    return value


def _check_elements(elem: TypeInformation, values: Any) -> str | None:
    check = elem.check
    for i, item in enumerate(values):
        reason = check(item)
        if reason is not None:
            return f"element {i}: {reason}"
    return None


class _ArrayTypeInfo(TypeInformation):
    """Shared behaviour of the three array kinds: a list (or tuple) of elements."""

    _KIND = ""
    _FACTORY = ""

    def __init__(self, element_type: TypeInformation) -> None:
        self._element_type = _require_type(element_type, "element_type")

    def get_element_type(self) -> TypeInformation:
        """The type of the elements."""
        return self._element_type

    def _key(self) -> tuple[Any, ...]:
        return (self._KIND, self._element_type._key())

    def type_name(self) -> str:
        return self._FACTORY

    def check(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return _check_elements(self._element_type, value)
        return f"expected list for {self._FACTORY}, got {_describe(value)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self._element_type}>"


_PRIMITIVE_ELEMENTS = {
    BasicType.BOOLEAN,
    BasicType.BYTE,
    BasicType.SHORT,
    BasicType.INT,
    BasicType.LONG,
    BasicType.FLOAT,
    BasicType.DOUBLE,
    BasicType.CHAR,
}


class PrimitiveArrayTypeInfo(_ArrayTypeInfo):
    """An array of a primitive type (Java's ``int[]``, ``byte[]`` …). A byte array may
    also be given as ``bytes``/``bytearray``, which is how PyFlink users write it."""

    _KIND = "primitive_array"
    _FACTORY = "PRIMITIVE_ARRAY"

    def __init__(self, element_type: TypeInformation) -> None:
        super().__init__(element_type)
        if not (
            isinstance(element_type, BasicTypeInfo)
            and element_type._basic_type in _PRIMITIVE_ELEMENTS
        ):
            raise TypeError(
                f"Invalid element type for a primitive array: {element_type!r}; expected "
                "one of BOOLEAN, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, CHAR"
            )

    def check(self, value: Any) -> str | None:
        if isinstance(value, (bytes, bytearray)) and self._element_type._key() == (
            "basic",
            "BYTE",
        ):
            return None
        return super().check(value)


class BasicArrayTypeInfo(_ArrayTypeInfo):
    """An array of boxed basic values (Java's ``Integer[]``, ``String[]`` …)."""

    _KIND = "basic_array"
    _FACTORY = "BASIC_ARRAY"

    def __init__(self, element_type: TypeInformation) -> None:
        super().__init__(element_type)
        if not (
            isinstance(element_type, BasicTypeInfo)
            and (
                element_type._basic_type in _PRIMITIVE_ELEMENTS
                or element_type._basic_type is BasicType.STRING
            )
        ):
            raise TypeError(
                f"Invalid element type for a basic array: {element_type!r}; expected one of "
                "BOOLEAN, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, CHAR, STRING"
            )


class ObjectArrayTypeInfo(_ArrayTypeInfo):
    """An array of any element type (Java's ``T[]``)."""

    _KIND = "object_array"
    _FACTORY = "OBJECT_ARRAY"


# -------------------------------------------------------------------------- pickled


class PickledBytesTypeInfo(TypeInformation):
    """"Any Python object": PyFlink pickles such records into opaque bytes. It is the
    default output type of every operator that is not given one."""

    def _key(self) -> tuple[Any, ...]:
        return ("pickled",)

    def type_name(self) -> str:
        return "PICKLED_BYTE_ARRAY"

    def check(self, value: Any) -> str | None:
        return None

    def __repr__(self) -> str:
        return "PickledByteArrayTypeInfo"


# ---------------------------------------------------------------------- row / tuple


def _check_fields(
    types: Sequence[TypeInformation], values: Sequence[Any], labels: Sequence[str]
) -> str | None:
    for field_type, item, label in zip(types, values, labels):
        reason = field_type.check(item)
        if reason is not None:
            return f"field {label}: {reason}"
    return None


class RowTypeInfo(TypeInformation):
    """Type information for :class:`~runtime.common.row.Row` records.

    Without explicit names the fields are called ``f0``, ``f1``, … (as in Java). Two row
    types are equal when field types and names are equal, so ``Types.ROW([...])`` equals
    ``Types.ROW_NAMED(["f0", ...], [...])`` (Java's ``RowTypeInfo.equals`` agrees).
    """

    def __init__(
        self, field_types: list[TypeInformation], field_names: list[str] | None = None
    ) -> None:
        types = [
            _require_type(t, f"field_types[{i}]") for i, t in enumerate(field_types)
        ]
        if field_names is not None:
            names = list(field_names)
            if len(names) != len(types):
                raise ValueError(
                    f"ROW_NAMED needs one name per field type: got {len(names)} names "
                    f"and {len(types)} types"
                )
            for name in names:
                if not isinstance(name, str):
                    raise TypeError(f"field names must be str, got {name!r}")
            if len(set(names)) != len(names):
                dupes = sorted({n for n in names if names.count(n) > 1})
                raise ValueError(f"duplicate field names in ROW_NAMED: {', '.join(dupes)}")
        else:
            names = None
        self._field_types = types
        self._field_names = names

    def get_field_names(self) -> list[str]:
        """The field names (``f0``, ``f1``, … when none were given)."""
        if self._field_names is not None:
            return list(self._field_names)
        return [f"f{i}" for i in range(len(self._field_types))]

    def get_field_index(self, field_name: str) -> int:
        """Position of ``field_name``, or ``-1`` if there is no such field."""
        try:
            return self.get_field_names().index(field_name)
        except ValueError:
            return -1

    def get_field_types(self) -> list[TypeInformation]:
        """The field types, in field order."""
        return list(self._field_types)

    def has_explicit_field_names(self) -> bool:
        """True for ``ROW_NAMED`` types (then named rows are matched by name)."""
        return self._field_names is not None

    def get_arity(self) -> int:
        """Number of fields."""
        return len(self._field_types)

    def _key(self) -> tuple[Any, ...]:
        return (
            "row",
            tuple(t._key() for t in self._field_types),
            tuple(self.get_field_names()),
        )

    def type_name(self) -> str:
        return "ROW"

    def check(self, value: Any) -> str | None:
        if value is None:
            return None
        types = self._field_types
        n = len(types)
        names = self._field_names
        labels = [repr(x) for x in names] if names is not None else [str(i) for i in range(n)]
        if isinstance(value, Row):
            fields = value._fields
            if names is not None and fields is not None and fields != names:
                # PyFlink reads named rows by the type's field names, so order may differ.
                missing = [x for x in names if x not in fields]
                if missing:
                    return (
                        f"Row has no field {missing[0]!r} required by ROW "
                        f"(row fields: {', '.join(fields)})"
                    )
                return _check_fields(types, [value[x] for x in names], labels)
            values: Sequence[Any] = value._values
        elif isinstance(value, (tuple, list)):
            values = value
        elif isinstance(value, dict):
            # As PyFlink: a dict is read by field name; absent keys are nulls.
            return _check_fields(types, [value.get(x) for x in self.get_field_names()], labels)
        else:
            return f"expected Row, tuple or list for ROW, got {_describe(value)}"
        if len(values) != n:
            return f"expected {n} fields for ROW, got {len(values)}: {_describe(value)}"
        return _check_fields(types, values, labels)

    def __repr__(self) -> str:
        if self._field_names is not None:
            return "RowTypeInfo(%s)" % ", ".join(
                f"{name}: {t}" for name, t in zip(self._field_names, self._field_types)
            )
        return "RowTypeInfo(%s)" % ", ".join(str(t) for t in self._field_types)


class TupleTypeInfo(TypeInformation):
    """Type information for tuples (Java's ``Tuple2``…): Python tuples or lists."""

    def __init__(self, field_types: list[TypeInformation]) -> None:
        self._field_types = [
            _require_type(t, f"field_types[{i}]") for i, t in enumerate(field_types)
        ]

    def get_field_types(self) -> list[TypeInformation]:
        """The field types, in field order."""
        return list(self._field_types)

    def get_arity(self) -> int:
        """Number of fields."""
        return len(self._field_types)

    def _key(self) -> tuple[Any, ...]:
        return ("tuple", tuple(t._key() for t in self._field_types))

    def type_name(self) -> str:
        return "TUPLE"

    def check(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, (tuple, list, Row)):
            return f"expected tuple or list for TUPLE, got {_describe(value)}"
        n = len(self._field_types)
        if len(value) != n:
            return f"expected {n} fields for TUPLE, got {len(value)}: {_describe(value)}"
        return _check_fields(self._field_types, value, [str(i) for i in range(n)])

    def __repr__(self) -> str:
        return "TupleTypeInfo(%s)" % ", ".join(str(t) for t in self._field_types)


# ---------------------------------------------------------------------- collections


class ListTypeInfo(TypeInformation):
    """A list of elements of one type (Java's ``List<T>``)."""

    def __init__(self, element_type: TypeInformation) -> None:
        self.elem_type = _require_type(element_type, "element_type")

    def get_element_type(self) -> TypeInformation:
        """The type of the elements."""
        return self.elem_type

    def _key(self) -> tuple[Any, ...]:
        return ("list", self.elem_type._key())

    def type_name(self) -> str:
        return "LIST"

    def check(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return _check_elements(self.elem_type, value)
        return f"expected list for LIST, got {_describe(value)}"

    def __repr__(self) -> str:
        return f"ListTypeInfo<{self.elem_type}>"


class MapTypeInfo(TypeInformation):
    """A map from keys of one type to values of another (Java's ``Map<K, V>``)."""

    def __init__(self, key_type_info: TypeInformation, value_type_info: TypeInformation) -> None:
        self._key_type_info = _require_type(key_type_info, "key_type_info")
        self._value_type_info = _require_type(value_type_info, "value_type_info")

    def get_key_type(self) -> TypeInformation:
        """The type of the keys."""
        return self._key_type_info

    def get_value_type(self) -> TypeInformation:
        """The type of the values."""
        return self._value_type_info

    def _key(self) -> tuple[Any, ...]:
        return ("map", self._key_type_info._key(), self._value_type_info._key())

    def type_name(self) -> str:
        return "MAP"

    def check(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return f"expected dict for MAP, got {_describe(value)}"
        check_key = self._key_type_info.check
        check_value = self._value_type_info.check
        for k, v in value.items():
            reason = check_key(k)
            if reason is not None:
                return f"key {k!r}: {reason}"
            reason = check_value(v)
            if reason is not None:
                return f"value of key {k!r}: {reason}"
        return None

    def __repr__(self) -> str:
        return f"MapTypeInfo<{self._key_type_info}, {self._value_type_info}>"


# ---------------------------------------------------------------------------- Types


class Types:
    """Factory for the type information of the most common types (PyFlink's ``Types``).

    Every call returns a fresh object; objects from separate calls are equal.
    """

    @staticmethod
    def STRING() -> TypeInformation:
        """A string (``str``). Supports None."""
        return BasicTypeInfo.STRING_TYPE_INFO()

    @staticmethod
    def BYTE() -> TypeInformation:
        """A signed 8-bit integer (``int``)."""
        return BasicTypeInfo.BYTE_TYPE_INFO()

    @staticmethod
    def BOOLEAN() -> TypeInformation:
        """A boolean (``bool``)."""
        return BasicTypeInfo.BOOLEAN_TYPE_INFO()

    @staticmethod
    def SHORT() -> TypeInformation:
        """A signed 16-bit integer (``int``)."""
        return BasicTypeInfo.SHORT_TYPE_INFO()

    @staticmethod
    def INT() -> TypeInformation:
        """A signed 32-bit integer (``int``)."""
        return BasicTypeInfo.INT_TYPE_INFO()

    @staticmethod
    def LONG() -> TypeInformation:
        """A signed 64-bit integer (``int``)."""
        return BasicTypeInfo.LONG_TYPE_INFO()

    @staticmethod
    def FLOAT() -> TypeInformation:
        """A 32-bit float (``float``); printed with Java's ``Float.toString``."""
        return BasicTypeInfo.FLOAT_TYPE_INFO()

    @staticmethod
    def DOUBLE() -> TypeInformation:
        """A 64-bit float (``float``); printed with Java's ``Double.toString``."""
        return BasicTypeInfo.DOUBLE_TYPE_INFO()

    @staticmethod
    def CHAR() -> TypeInformation:
        """A single character (one-character ``str``)."""
        return BasicTypeInfo.CHAR_TYPE_INFO()

    @staticmethod
    def BIG_INT() -> TypeInformation:
        """An unbounded integer (``int``)."""
        return BasicTypeInfo.BIG_INT_TYPE_INFO()

    @staticmethod
    def BIG_DEC() -> TypeInformation:
        """An arbitrary-precision decimal (``decimal.Decimal``)."""
        return BasicTypeInfo.BIG_DEC_TYPE_INFO()

    @staticmethod
    def INSTANT() -> TypeInformation:
        """A point in time (:class:`~runtime.common.time.Instant`)."""
        return BasicTypeInfo.INSTANT_TYPE_INFO()

    @staticmethod
    def SQL_DATE() -> TypeInformation:
        """A date (``datetime.date``)."""
        return SqlTimeTypeInfo.DATE()

    @staticmethod
    def SQL_TIME() -> TypeInformation:
        """A time of day (``datetime.time``)."""
        return SqlTimeTypeInfo.TIME()

    @staticmethod
    def SQL_TIMESTAMP() -> TypeInformation:
        """A date and time (``datetime.datetime``)."""
        return SqlTimeTypeInfo.TIMESTAMP()

    @staticmethod
    def PICKLED_BYTE_ARRAY() -> TypeInformation:
        """Any picklable Python object."""
        return PickledBytesTypeInfo()

    @staticmethod
    def ROW(field_types: list[TypeInformation]) -> RowTypeInfo:
        """A row with fields of the given types, named ``f0``, ``f1``, …"""
        return RowTypeInfo(field_types)

    @staticmethod
    def ROW_NAMED(field_names: list[str], field_types: list[TypeInformation]) -> RowTypeInfo:
        """A row with named fields of the given types."""
        return RowTypeInfo(field_types, field_names)

    @staticmethod
    def TUPLE(field_types: list[TypeInformation]) -> TupleTypeInfo:
        """A tuple with fields of the given types."""
        return TupleTypeInfo(field_types)

    @staticmethod
    def PRIMITIVE_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """An array of a primitive type, e.g. ``Types.PRIMITIVE_ARRAY(Types.INT())``."""
        return PrimitiveArrayTypeInfo(element_type)

    @staticmethod
    def BASIC_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """An array of boxed basic values, e.g. ``Types.BASIC_ARRAY(Types.STRING())``."""
        return BasicArrayTypeInfo(element_type)

    @staticmethod
    def OBJECT_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """An array of any element type."""
        return ObjectArrayTypeInfo(element_type)

    @staticmethod
    def MAP(key_type_info: TypeInformation, value_type_info: TypeInformation) -> TypeInformation:
        """A map (``dict``) from one type to another."""
        return MapTypeInfo(key_type_info, value_type_info)

    @staticmethod
    def LIST(element_type_info: TypeInformation) -> TypeInformation:
        """A list of one element type."""
        return ListTypeInfo(element_type_info)
