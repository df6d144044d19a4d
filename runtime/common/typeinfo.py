"""Flink's type information classes, with the class names of
``pyflink.common.typeinfo`` (its ``Types`` factory is re-exported from here too).

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

This module holds what a type *is*; the rest lives next to it:

* :mod:`runtime.common.typecheck`: the value checks each class's ``check`` delegates to;
* :mod:`runtime.common.type_factory`: the ``Types`` factory (importable from here as
  before, loaded on first use because it imports this module);
* :mod:`runtime.common.formatting`: how records are *printed* for a given type.

``None`` passes every check: Flink's serializers for boxed types, strings, rows, tuples
fields and collections all accept nulls, and rejecting them would break jobs that run
on PyFlink.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

from runtime.common.typecheck import (
    BASIC_CHECKS,
    check_map,
    check_row,
    check_sequence,
    check_tuple,
)

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
    "LocalTimeTypeInfo",
    "Types",
]

if TYPE_CHECKING:  # at run time these are loaded by __getattr__ below
    from runtime.common.local_time_typeinfo import LocalTimeTypeInfo
    from runtime.common.sql_time_typeinfo import DateTypeInfo, SqlTimeTypeInfo, TimestampTypeInfo, TimeTypeInfo
    from runtime.common.type_factory import Types

#: defined in runtime.common.sql_time_typeinfo (they import this module), re-exported on use
_SQL_TIME = ("SqlTimeTypeInfo", "DateTypeInfo", "TimeTypeInfo", "TimestampTypeInfo")


def __getattr__(name: str) -> Any:
    # ``Types`` is defined in runtime.common.type_factory, which imports this module, so
    # it is re-exported lazily: ``from runtime.common.typeinfo import Types`` keeps working
    # and importing either module first cannot hit a half-initialised one.
    if name == "Types":
        from runtime.common.type_factory import Types

        globals()["Types"] = Types
        return Types
    if name in _SQL_TIME:
        from runtime.common import sql_time_typeinfo

        value = getattr(sql_time_typeinfo, name)
        globals()[name] = value
        return value
    if name == "LocalTimeTypeInfo":
        from runtime.common.local_time_typeinfo import LocalTimeTypeInfo

        globals()["LocalTimeTypeInfo"] = LocalTimeTypeInfo
        return LocalTimeTypeInfo
    from runtime.compat.unsupported import module_getattr

    return module_getattr(__name__)(name)


class TypeInformation:
    """Base class of all type information.

    Subclasses define :meth:`_key` (their structure, used for equality and hashing),
    :meth:`check` and ``__repr__``. PyFlink's conversion hooks
    (``need_conversion``/``to_internal_type``/``from_internal_type``) convert to and from
    PyFlink's internal representation (rows as tuples with their kind first, dates as days
    since the epoch, times and timestamps in microseconds, as in PyFlink); the engine itself
    converts values by type with :mod:`runtime.common.type_conversion`.
    """

    def __init__(self) -> None:
        pass

    def get_java_type_info(self) -> Any:
        """PyFlink's handle on the Java TypeInformation; there is no JVM here."""
        from runtime.compat.unsupported import java_only

        java_only(f"{type(self).__name__}.get_java_type_info()")

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


# value checks live in runtime.common.typecheck, keyed there by BasicType name
_BASIC_CHECKS: dict[BasicType, Callable[[Any], str | None]] = {
    basic: BASIC_CHECKS[basic.name] for basic in BasicType
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

    def __init__(self, basic_type: BasicType) -> None:
        super().__init__(basic_type)

    def need_conversion(self) -> bool:
        return True

    def to_internal_type(self, obj: Any) -> Any:
        """An Instant as microseconds since the epoch (PyFlink's internal form)."""
        return None if obj is None else obj.to_epoch_milli() * 1000

    def from_internal_type(self, obj: Any) -> Any:
        from runtime.common.time import Instant

        return None if obj is None else Instant.of_epoch_milli(obj // 1000)


# --------------------------------------------------------------------------- arrays


def _require_type(value: Any, what: str) -> TypeInformation:
    """Fail at job-definition time, with the offending argument, rather than later in
    a task with an AttributeError."""
    if not isinstance(value, TypeInformation):
        raise TypeError(f"{what} must be a TypeInformation (e.g. Types.INT()), got {value!r}")
    return value


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
        return check_sequence(self._element_type, value, self._FACTORY)

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

    def need_conversion(self) -> bool:
        return True

    def to_internal_type(self, obj: Any) -> Any:
        """A row (Row, tuple, list, dict or object) as ``(kind, field, ...)``, fields by name."""
        from runtime.common.internal_types import row_to_internal

        return row_to_internal(self, obj)

    def from_internal_type(self, obj: Any) -> Any:
        from runtime.common.internal_types import row_from_internal

        return row_from_internal(self, obj)

    def _key(self) -> tuple[Any, ...]:
        return (
            "row",
            tuple(t._key() for t in self._field_types),
            tuple(self.get_field_names()),
        )

    def type_name(self) -> str:
        return "ROW"

    def check(self, value: Any) -> str | None:
        return check_row(self, value)

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

    def need_conversion(self) -> bool:
        return True

    def to_internal_type(self, obj: Any) -> Any:
        from runtime.common.internal_types import tuple_to_internal

        return tuple_to_internal(self, obj)

    def from_internal_type(self, obj: Any) -> Any:
        from runtime.common.internal_types import tuple_from_internal

        return tuple_from_internal(self, obj)

    def _key(self) -> tuple[Any, ...]:
        return ("tuple", tuple(t._key() for t in self._field_types))

    def type_name(self) -> str:
        return "TUPLE"

    def check(self, value: Any) -> str | None:
        return check_tuple(self._field_types, value)

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
        return check_sequence(self.elem_type, value, "LIST")

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
        return check_map(self, value)

    def __repr__(self) -> str:
        return f"MapTypeInfo<{self._key_type_info}, {self._value_type_info}>"
