"""The value checks behind :meth:`TypeInformation.check
<runtime.common.typeinfo.TypeInformation.check>`: does a Python value fit a declared type,
and if not, one short sentence saying why.

Why a module of its own: :mod:`runtime.common.typeinfo` *describes* types (identity,
equality, ``repr``, the ``Types`` factory); this module *validates values* against them,
which is a different body of rules: the ranges of Java's integer and float types, which
Python classes stand for each type, how rows, tuples, arrays and maps are walked, and error
messages short enough for a log line. Each type information class delegates its ``check``
to a function here.

``None`` passes every check (see :mod:`runtime.common.typeinfo` for why). Composite checks
call the ``check`` of their element and field types, so nothing here imports
:mod:`runtime.common.typeinfo` at run time and that module can import this one freely.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from runtime.common.row import Row
from runtime.common.time import Instant

if TYPE_CHECKING:
    from runtime.common.typeinfo import MapTypeInfo, RowTypeInfo, TypeInformation

Check = Callable[[Any], str | None]

_MAX_REPR = 60


def describe(value: Any) -> str:
    """``"<type> <repr>"`` for error messages, with long reprs shortened so one bad
    record cannot flood a log line."""
    try:
        text = repr(value)
    except Exception:  # a user object with a broken __repr__ must not hide the error
        text = object.__repr__(value)
    if len(text) > _MAX_REPR:
        text = text[: _MAX_REPR - 3] + "..."
    return f"{type(value).__name__} {text}"


# ---------------------------------------------------------------------------- basic

# keyed by BasicType name: Java's byte/short/int/long ranges
_INT_RANGES: dict[str, tuple[int, int]] = {
    "BYTE": (-(2**7), 2**7 - 1),
    "SHORT": (-(2**15), 2**15 - 1),
    "INT": (-(2**31), 2**31 - 1),
    "LONG": (-(2**63), 2**63 - 1),
}


def _check_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None
    return f"expected str for STRING, got {describe(value)}"


def _check_char(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and len(value) == 1):
        return None
    return f"expected a one-character str for CHAR, got {describe(value)}"


def _check_bool(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    return f"expected bool for BOOLEAN, got {describe(value)}"


def _make_int_check(name: str) -> Check:
    lo, hi = _INT_RANGES[name]

    def check(value: Any) -> str | None:
        # bool is an int in Python and PyFlink's coders accept it (as 0/1), so we do too.
        if value.__class__ is int or isinstance(value, numbers.Integral):
            if lo <= int(value) <= hi:
                return None
            return f"int {value} out of range for {name} ({lo}..{hi})"
        if value is None:
            return None
        return f"expected int for {name}, got {describe(value)}"

    return check


def _check_big_int(value: Any) -> str | None:
    if value is None or isinstance(value, numbers.Integral):
        return None
    return f"expected int for BIG_INT, got {describe(value)}"


def _check_double(value: Any) -> str | None:
    if value is None or isinstance(value, (float, numbers.Real)) and not isinstance(
        value, _decimal.Decimal
    ):
        return None
    return f"expected float or int for DOUBLE, got {describe(value)}"


def _check_float(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, _decimal.Decimal):
        # beyond the 32-bit range a value becomes +-Infinity, as Java's (float) cast makes it
        # (and PyFlink does on both its paths)
        return None
    return f"expected float or int for FLOAT, got {describe(value)}"


def _check_big_dec(value: Any) -> str | None:
    if value is None or isinstance(value, numbers.Integral):
        return None
    if isinstance(value, _decimal.Decimal):
        if value.is_finite():
            return None
        return f"Decimal {value} cannot be a BIG_DEC (only finite values)"
    return f"expected decimal.Decimal for BIG_DEC, got {describe(value)}"


def _check_instant(value: Any) -> str | None:
    if value is None or isinstance(value, Instant):
        return None
    return f"expected Instant for INSTANT, got {describe(value)}"


# The check of each basic type, keyed by ``BasicType`` name (typeinfo re-keys it by the
# enum members, so this module needs no import of typeinfo).
BASIC_CHECKS: dict[str, Check] = {
    "STRING": _check_str,
    "CHAR": _check_char,
    "BOOLEAN": _check_bool,
    "BYTE": _make_int_check("BYTE"),
    "SHORT": _make_int_check("SHORT"),
    "INT": _make_int_check("INT"),
    "LONG": _make_int_check("LONG"),
    "BIG_INT": _check_big_int,
    "FLOAT": _check_float,
    "DOUBLE": _check_double,
    "BIG_DEC": _check_big_dec,
    "INSTANT": _check_instant,
}


# ------------------------------------------------------------------------- sql time


def check_date(value: Any) -> str | None:
    """Check for ``SQL_DATE``: a ``datetime.date``."""
    if value is None or isinstance(value, _dt.date):
        return None
    return f"expected datetime.date for SQL_DATE, got {describe(value)}"


def check_time(value: Any) -> str | None:
    """Check for ``SQL_TIME``: a ``datetime.time``."""
    if value is None or isinstance(value, _dt.time):
        return None
    return f"expected datetime.time for SQL_TIME, got {describe(value)}"


def check_timestamp(value: Any) -> str | None:
    """Check for ``SQL_TIMESTAMP``: a ``datetime.datetime``."""
    if value is None or isinstance(value, _dt.datetime):
        return None
    return f"expected datetime.datetime for SQL_TIMESTAMP, got {describe(value)}"


# ---------------------------------------------------------------------- collections


def _check_elements(elem: TypeInformation, values: Any) -> str | None:
    check = elem.check
    for i, item in enumerate(values):
        reason = check(item)
        if reason is not None:
            return f"element {i}: {reason}"
    return None


def check_sequence(elem: TypeInformation, value: Any, type_name: str) -> str | None:
    """Check for arrays and ``LIST``: a list or tuple whose elements fit ``elem``."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return _check_elements(elem, value)
    return f"expected list for {type_name}, got {describe(value)}"


def check_map(map_type: MapTypeInfo, value: Any) -> str | None:
    """Check for ``MAP``: a dict whose keys and values fit the map's types."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"expected dict for MAP, got {describe(value)}"
    check_key = map_type._key_type_info.check
    check_value = map_type._value_type_info.check
    for k, v in value.items():
        reason = check_key(k)
        if reason is not None:
            return f"key {k!r}: {reason}"
        reason = check_value(v)
        if reason is not None:
            return f"value of key {k!r}: {reason}"
    return None


# ---------------------------------------------------------------------- row / tuple


def _check_fields(
    types: Sequence[TypeInformation], values: Sequence[Any], labels: Sequence[str]
) -> str | None:
    for field_type, item, label in zip(types, values, labels):
        reason = field_type.check(item)
        if reason is not None:
            return f"field {label}: {reason}"
    return None


def check_row(row_type: RowTypeInfo, value: Any) -> str | None:
    """Check for ``ROW``: a Row (named rows matched by the type's field names), a tuple
    or list of the right arity, or a dict read by field name."""
    if value is None:
        return None
    types = row_type._field_types
    n = len(types)
    names = row_type._field_names
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
        return _check_fields(types, [value.get(x) for x in row_type.get_field_names()], labels)
    else:
        return f"expected Row, tuple or list for ROW, got {describe(value)}"
    if len(values) != n:
        return f"expected {n} fields for ROW, got {len(values)}: {describe(value)}"
    return _check_fields(types, values, labels)


def check_tuple(field_types: Sequence[TypeInformation], value: Any) -> str | None:
    """Check for ``TUPLE``: a tuple, list or Row with one fitting value per field."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list, Row)):
        return f"expected tuple or list for TUPLE, got {describe(value)}"
    n = len(field_types)
    if len(value) != n:
        return f"expected {n} fields for TUPLE, got {len(value)}: {describe(value)}"
    return _check_fields(field_types, list(value), [str(i) for i in range(n)])
