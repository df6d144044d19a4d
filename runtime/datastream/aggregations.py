"""Rolling aggregations of ``KeyedStream.sum/min/max/min_by/max_by``.

As in Flink, ``sum``/``min``/``max`` keep the other fields of the first record of the key
and replace only the aggregated field; ``min_by``/``max_by`` return the whole record holding
the extreme value (the earliest one on ties).
"""
from __future__ import annotations

from typing import Any

from runtime.common.row import Row


def _get(value: Any, field: int | str) -> Any:
    if isinstance(field, str):
        if isinstance(value, Row):
            return value[field]
        if isinstance(value, dict):
            return value[field]
        return getattr(value, field)
    if isinstance(value, (tuple, list, Row)):
        return value[field]
    if field == 0:
        return value
    raise TypeError(f"cannot take field {field} of a {type(value).__name__}")


def _named_fields(value: Any) -> list[str]:
    return list(value._fields)


def _replace(value: Any, field: int | str, new: Any) -> Any:
    if isinstance(value, Row):
        values = list(value)
        idx = field if isinstance(field, int) else (value._fields or []).index(field)
        values[idx] = new
        out = Row(*values)
        if value._fields is not None:
            out.set_field_names(list(value._fields))
        out.set_row_kind(value.get_row_kind())
        return out
    if isinstance(value, tuple):
        idx = field if isinstance(field, int) else _named_fields(value).index(field)
        items = list(value)
        items[idx] = new
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        as_list = list(value)
        as_list[field] = new  # type: ignore[index]
        return as_list
    if isinstance(value, dict):
        as_dict = dict(value)
        as_dict[field] = new
        return as_dict
    if field == 0:
        return new
    raise TypeError(f"cannot set field {field} of a {type(value).__name__}")


class SumAggregator:
    def __init__(self, field: int | str) -> None:
        self.field = field

    def __call__(self, acc: Any, value: Any) -> Any:
        f = self.field
        return _replace(acc, f, _get(acc, f) + _get(value, f))


class MinMaxAggregator:
    def __init__(self, field: int | str, is_min: bool, by: bool) -> None:
        self.field = field
        self.is_min = is_min
        self.by = by

    def __call__(self, acc: Any, value: Any) -> Any:
        f = self.field
        a, v = _get(acc, f), _get(value, f)
        better = v < a if self.is_min else v > a
        if self.by:
            return value if better else acc
        return _replace(acc, f, v) if better else acc
