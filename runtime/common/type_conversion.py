"""Values as PyFlink hands them on: converted by their declared type.

In PyFlink a record with a declared type crosses into Java and back whenever it leaves a
chain of Python functions (a typed source, a network exchange such as ``key_by``, a Java
operator such as a sink). The round trip changes the Python value in ways jobs see:

* ``Types.ROW``/``ROW_NAMED``: tuples, lists, dicts and Rows become :class:`Row` objects with
  the type's field names (``f0``, ``f1``, … for ``ROW``) and their row kind;
* ``FLOAT`` is rounded to 32 bits (``110.1`` → ``110.0999984741211``); ``DOUBLE``/``FLOAT``
  turn ints into floats; ``INT``/``LONG``/``SHORT``/``BYTE`` turn bools into ints;
* ``SQL_TIME``/``SQL_TIMESTAMP`` keep milliseconds (microseconds are cut), without time zone;
* ``BIG_DEC`` has no negative zero; ``LIST``/arrays become lists (byte arrays ``bytes``),
  ``TUPLE`` tuples, and ``MAP`` a dict in the order Java's ``HashMap`` iterates it.

:func:`make_converter` returns a function converting a whole batch (a list) that way, and
checks every value against the type (out-of-range ints, wrong types, wrong arity) with a
:class:`TypeConversionError` whose message names the value and the reason. It works a batch
at a time: for the common basic types the check and conversion are single C-level passes
(``set(map(type, batch))``, ``min``/``max``, ``array('f', batch)``) and a batch that needs no
change is returned as it is; tuples are converted column by column. Where PyFlink itself is
wrong (it silently wraps ``Types.INT()`` values that do not fit 32 bits, and corrupts
``BIG_INT`` values beyond 64 bits) this follows Flink's types and rejects or keeps the value
(see docs/pyflink-compatibility.md).
"""
from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from array import array
from collections.abc import Callable
from typing import Any

from runtime.common.java_format import java_hashmap_order
from runtime.common.row import Row, RowKind
from runtime.common.typecheck import describe

Batch = Callable[[list], list]
Convert = Callable[[Any], Any]

__all__ = ["TypeConversionError", "make_converter", "convert_value"]

_NONE = type(None)
_INT_RANGES = {
    "BYTE": (-(2**7), 2**7 - 1),
    "SHORT": (-(2**15), 2**15 - 1),
    "INT": (-(2**31), 2**31 - 1),
    "LONG": (-(2**63), 2**63 - 1),
}


class TypeConversionError(ValueError):
    """A value that does not fit its declared type (the message says which and why)."""


def _fail(type_info: Any, value: Any, reason: str | None = None) -> TypeConversionError:
    if reason is None:
        reason = type_info.check(value) if hasattr(type_info, "check") else None
    if reason is None:
        reason = f"cannot convert {describe(value)} to {type_info}"
    return TypeConversionError(reason)


# ------------------------------------------------------------------------ element level
def _element(t: Any, collection: bool = False) -> Convert | None:
    """The per-value converter of type ``t``; ``None`` when values pass unchanged.
    ``collection``: the values are ``from_collection`` elements (see :func:`make_converter`);
    it concerns a map that is the element itself, nested values are converted as always."""
    from runtime.common.typeinfo import (
        BasicTypeInfo,
        ListTypeInfo,
        MapTypeInfo,
        PickledBytesTypeInfo,
        PrimitiveArrayTypeInfo,
        RowTypeInfo,
        TupleTypeInfo,
        _ArrayTypeInfo,
    )

    if t is None or isinstance(t, PickledBytesTypeInfo):
        return None
    if isinstance(t, BasicTypeInfo):
        return _basic_element(t)
    if isinstance(t, RowTypeInfo):
        return _row_element(t)
    if isinstance(t, TupleTypeInfo):
        return _tuple_element(t)
    if isinstance(t, ListTypeInfo):
        return _sequence_element(t, t.get_element_type(), False)
    if isinstance(t, _ArrayTypeInfo):
        elem = t.get_element_type()
        basic = getattr(elem, "_basic_type", None)
        as_bytes = isinstance(t, PrimitiveArrayTypeInfo) and basic is not None and basic.name == "BYTE"
        return _sequence_element(t, elem, as_bytes)
    if isinstance(t, MapTypeInfo):
        return _map_element(t, collection)
    return _sql_element(t)


def _checked(t: Any, convert: Callable[[Any], Any]) -> Convert:
    check = t.check

    def conv(v: Any) -> Any:
        if v is None:
            return None
        reason = check(v)
        if reason is not None:
            raise _fail(t, v, reason)
        return convert(v)

    return conv


def _basic_element(t: Any) -> Convert | None:
    name = t.get_basic_type().name
    if name in _INT_RANGES or name == "BIG_INT":
        return _checked(t, int)
    if name in ("FLOAT",):
        return _checked(t, lambda v: array("f", (float(v),))[0])
    if name == "DOUBLE":
        return _checked(t, float)
    if name == "BIG_DEC":
        return _checked(t, _to_decimal)
    return _checked(t, lambda v: v)


def _to_decimal(v: Any) -> _decimal.Decimal:
    d = v if isinstance(v, _decimal.Decimal) else _decimal.Decimal(str(v))
    return d.copy_abs() if d.is_zero() and d.is_signed() else d  # BigDecimal has no -0


def _ms_time(v: _dt.time) -> _dt.time:
    return v.replace(microsecond=v.microsecond // 1000 * 1000, tzinfo=None)


def _ms_timestamp(v: _dt.datetime) -> _dt.datetime:
    return v.replace(microsecond=v.microsecond // 1000 * 1000, tzinfo=None)


def _to_date(v: Any) -> _dt.date:
    return v.date() if isinstance(v, _dt.datetime) else v


def _sql_element(t: Any) -> Convert | None:
    name = t.type_name() if hasattr(t, "type_name") else ""
    if name == "SQL_DATE":
        return _checked(t, _to_date)
    if name == "SQL_TIME":
        return _checked(t, _ms_time)
    if name == "SQL_TIMESTAMP":
        return _checked(t, _ms_timestamp)
    if hasattr(t, "check"):
        return _checked(t, lambda v: v)
    return None


def _sequence_element(t: Any, elem: Any, as_bytes: bool) -> Convert:
    inner = _element(elem)

    def conv(v: Any) -> Any:
        if v is None:
            return None
        if as_bytes:
            if isinstance(v, (bytes, bytearray)):
                return bytes(v)
            if not isinstance(v, (list, tuple)):
                raise _fail(t, v)
            try:
                return bytes(b & 0xFF for b in _range_checked(v, "BYTE", t))
            except TypeError:
                raise _fail(t, v) from None
        if not isinstance(v, (list, tuple)):
            raise _fail(t, v)
        if inner is None:
            return list(v)
        try:
            return [inner(x) for x in v]
        except TypeConversionError as exc:
            raise TypeConversionError(f"element of {t}: {exc}") from None

    return conv


def _range_checked(values: Any, name: str, t: Any) -> Any:
    lo, hi = _INT_RANGES[name]
    for b in values:
        if not isinstance(b, int) or not lo <= b <= hi:
            raise _fail(t, values, f"byte array element {b!r} is not a BYTE ({lo}..{hi})")
    return values


def _map_element(t: Any, collection: bool) -> Convert:
    """Maps become Java HashMaps on the way; the dict comes back in their iteration order.
    A ``from_collection`` element that is a map is unpickled in Java (entries put in reverse
    order, into a default-sized HashMap); every other map goes through a map sized for its
    entries, filled in order (Flink's MapSerializer)."""
    from runtime.common.formatting import java_hash_for

    kconv = _element(t.get_key_type())
    vconv = _element(t.get_value_type())
    jhash = java_hash_for(t.get_key_type())

    def conv(v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, dict):
            raise _fail(t, v)
        try:
            items = [(kconv(k) if kconv else k, vconv(x) if vconv else x) for k, x in v.items()]
        except TypeConversionError as exc:
            raise TypeConversionError(f"in {t}: {exc}") from None
        if jhash is not None and len(items) > 1:
            if collection:
                items.reverse()
            items = java_hashmap_order(items, jhash, sized=not collection)
        return dict(items)

    return conv


def _tuple_element(t: Any) -> Convert:
    types = t.get_field_types()
    convs = [_element(ft) for ft in types]
    n = len(types)

    def conv(v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, (tuple, list, Row)) or len(v) != n:
            raise _fail(t, v)
        out = []
        for i, (c, x) in enumerate(zip(convs, v)):
            try:
                out.append(c(x) if c is not None else x)
            except TypeConversionError as exc:
                raise TypeConversionError(f"field {i} of {t}: {exc}") from None
        return tuple(out)

    return conv


def _row_values(t: Any, v: Any, names: list[str], explicit: bool) -> tuple[list, RowKind]:
    """A row value's fields in the type's order (named rows and dicts are read by name)."""
    if isinstance(v, Row):
        fields = v._fields
        if explicit and fields is not None and fields != names:
            try:
                return [v[n] for n in names], v._row_kind
            except KeyError:
                raise _fail(t, v) from None
        return list(v._values), v._row_kind
    if isinstance(v, (tuple, list)):
        return list(v), RowKind.INSERT
    if isinstance(v, dict):
        return [v.get(n) for n in names], RowKind.INSERT
    raise _fail(t, v)


def _row_element(t: Any) -> Convert:
    names = t.get_field_names()
    explicit = t.has_explicit_field_names()
    types = t.get_field_types()
    convs = [_element(ft) for ft in types]
    n = len(types)

    def conv(v: Any) -> Any:
        if v is None:
            return None
        values, kind = _row_values(t, v, names, explicit)
        if len(values) != n:
            raise TypeConversionError(f"{t} needs {n} fields, but {describe(v)} has {len(values)}")
        for i, c in enumerate(convs):
            if c is not None:
                try:
                    values[i] = c(values[i])
                except TypeConversionError as exc:
                    raise TypeConversionError(f"field {names[i]!r} of {t}: {exc}") from None
        return _new_row(names, values, kind)

    return conv


def _new_row(names: list[str], values: list, kind: RowKind) -> Row:
    row = object.__new__(Row)
    object.__setattr__(row, "_fields", names)
    object.__setattr__(row, "_values", values)
    object.__setattr__(row, "_row_kind", kind)
    return row


# -------------------------------------------------------------------------- batch level
def _basic_batch(t: Any, element: Convert) -> Batch:
    """Fast paths for the basic types: one C-level pass decides whether the whole batch
    fits unchanged (or converts in C); anything else goes value by value."""
    name = t.get_basic_type().name

    def slow(values: list) -> list:
        return [element(v) for v in values]

    if name in _INT_RANGES:
        lo, hi = _INT_RANGES[name]

        def ints(values: list) -> list:
            if values and set(map(type, values)) == {int} and lo <= min(values) and max(values) <= hi:
                return values
            return slow(values)

        return ints
    if name == "FLOAT":
        def floats(values: list) -> list:
            kinds = set(map(type, values))
            if kinds <= {float, int}:
                return array("f", values).tolist()
            return slow(values)

        return floats
    exact = {"STRING": str, "DOUBLE": float, "BOOLEAN": bool, "BIG_INT": int}.get(name)
    if exact is not None:
        accepted = {exact, _NONE}

        def same(values: list) -> list:
            if set(map(type, values)) <= accepted:
                return values
            return slow(values)

        return same
    return slow


def _tuple_batch(t: Any, element: Convert) -> Batch:
    types = t.get_field_types()
    n = len(types)
    columns = [_batch_of(ft) for ft in types]

    def batch(values: list) -> list:
        if not values or set(map(type, values)) != {tuple} or set(map(len, values)) != {n}:
            return [element(v) for v in values]
        cols = list(zip(*values))
        changed = False
        new_cols: list = []
        for i, (conv, col) in enumerate(zip(columns, cols)):
            if conv is None:
                new_cols.append(col)
                continue
            column = list(col)
            try:
                out = conv(column)
            except TypeConversionError as exc:
                raise TypeConversionError(f"field {i} of {t}: {exc}") from None
            if out is not column:
                changed = True
            new_cols.append(out)
        return list(zip(*new_cols)) if changed else values

    return batch


# slot descriptors: C-level stores
_ROW_FIELDS = Row.__dict__["_fields"].__set__
_ROW_VALUES = Row.__dict__["_values"].__set__
_ROW_KIND = Row.__dict__["_row_kind"].__set__
_new = object.__new__


def _row_batch(t: Any, element: Convert) -> Batch:
    """Rows column by column (each column with its batch converter and fast paths), then one
    Row per record built through the slot descriptors; unusual batches (dicts, named rows in
    another field order, wrong arity) go record by record."""
    names = t.get_field_names()
    explicit = t.has_explicit_field_names()
    types = t.get_field_types()
    n = len(types)
    columns = [_batch_of(ft) for ft in types]
    insert = RowKind.INSERT

    def build(values: tuple, kind: RowKind = insert) -> Row:
        row = _new(Row)
        _ROW_FIELDS(row, names)
        _ROW_VALUES(row, list(values))
        _ROW_KIND(row, kind)
        return row

    def batch(values: list) -> list:
        if not values:
            return values
        classes = set(map(type, values))
        kinds: Any = None
        if classes == {tuple} or classes == {list}:
            records = values
        elif classes == {Row}:
            fields = [r._fields for r in values]
            if explicit and fields.count(None) + fields.count(names) != len(fields):
                return [element(v) for v in values]
            records = [r._values for r in values]
            kinds = [r._row_kind for r in values]
        else:
            return [element(v) for v in values]
        if set(map(len, records)) != {n}:
            return [element(v) for v in values]
        cols = list(zip(*records))
        new_cols: list = []
        for i, (conv, col) in enumerate(zip(columns, cols)):
            if conv is None:
                new_cols.append(col)
                continue
            try:
                new_cols.append(conv(list(col)))
            except TypeConversionError as exc:
                raise TypeConversionError(f"field {names[i]!r} of {t}: {exc}") from None
        if kinds is None:
            return list(map(build, zip(*new_cols)))
        return list(map(build, zip(*new_cols), kinds))

    return batch


def _batch_of(t: Any, collection: bool = False) -> Batch | None:
    from runtime.common.typeinfo import BasicTypeInfo, RowTypeInfo, TupleTypeInfo

    element = _element(t, collection)
    if element is None:
        return None
    if isinstance(t, BasicTypeInfo):
        return _basic_batch(t, element)
    if isinstance(t, TupleTypeInfo):
        return _tuple_batch(t, element)
    if isinstance(t, RowTypeInfo) and not collection:
        return _row_batch(t, element)
    return lambda values: [element(v) for v in values]


_CACHE: dict[Any, Batch | None] = {}


def make_converter(type_info: Any, collection: bool = False) -> Batch | None:
    """A function converting a batch of values of ``type_info`` as PyFlink's Java round
    trip does (and checking them), or ``None`` when values pass unchanged (no type,
    ``PICKLED_BYTE_ARRAY``). ``collection``: for ``from_collection``'s elements, which PyFlink
    unpickles in Java (the only difference: the order of map entries). Cached per type."""
    if type_info is None:
        return None
    try:
        key = (type_info._key(), str(type_info), collection)
    except (AttributeError, NotImplementedError):
        return _batch_of(type_info, collection)
    if key not in _CACHE:
        converter = _batch_of(type_info, collection)
        if len(_CACHE) >= 1024:
            return converter
        _CACHE[key] = converter
    return _CACHE[key]


def convert_value(type_info: Any, value: Any) -> Any:
    """One value converted (and checked) by its type."""
    element = _element(type_info)
    return value if element is None else element(value)
