"""PyFlink's internal representation of rows and tuples (``RowTypeInfo.to_internal_type``
and friends): a row is a tuple of its kind's value followed by its fields, read by the
type's field names from a Row, dict or object; fields that need conversion are converted
by their own type. Kept for code that calls these hooks; the engine converts values with
:mod:`runtime.common.type_conversion`."""

from __future__ import annotations

from typing import Any

from runtime.common.row import Row, RowKind


def _fields(type_info: Any, obj: Any) -> tuple[int, list[Any]]:
    names = type_info.get_field_names()
    if isinstance(obj, dict):
        return RowKind.INSERT.value, [obj.get(n) for n in names]
    if isinstance(obj, Row):
        kind = obj.get_row_kind().value
        if obj._fields is not None:
            return kind, [obj[n] for n in names]
        return kind, list(obj)
    if isinstance(obj, (tuple, list)):
        return RowKind.INSERT.value, list(obj)
    if hasattr(obj, "__dict__"):
        return RowKind.INSERT.value, [vars(obj).get(n) for n in names]
    raise ValueError(f"Unexpected tuple {obj!r} with RowTypeInfo")


def row_to_internal(type_info: Any, obj: Any) -> Any:
    if obj is None:
        return None
    kind, values = _fields(type_info, obj)
    types = type_info.get_field_types()
    return (kind,) + tuple(t.to_internal_type(v) if t.need_conversion() else v for t, v in zip(types, values))


def row_from_internal(type_info: Any, obj: Any) -> Any:
    if obj is None or isinstance(obj, (tuple, list)):
        return obj
    types = type_info.get_field_types()
    return tuple(t.from_internal_type(v) if t.need_conversion() else v for t, v in zip(types, obj))


def tuple_to_internal(type_info: Any, obj: Any) -> Any:
    if obj is None:
        return None
    if not isinstance(obj, (list, tuple, Row)):
        raise ValueError(f"Unexpected tuple {obj!r} with TupleTypeInfo")
    types = type_info.get_field_types()
    return tuple(t.to_internal_type(v) if t.need_conversion() else v for t, v in zip(types, obj))


def tuple_from_internal(type_info: Any, obj: Any) -> Any:
    if obj is None or isinstance(obj, (tuple, list)):
        return obj
    types = type_info.get_field_types()
    return tuple(t.from_internal_type(v) if t.need_conversion() else v for t, v in zip(types, obj))
