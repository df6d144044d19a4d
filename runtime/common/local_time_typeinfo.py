"""``LocalTimeTypeInfo``: Java's ``LocalDate``/``LocalTime``/``LocalDateTime`` types
(``pyflink.common.typeinfo.LocalTimeTypeInfo``); Python values are ``datetime.date``,
``datetime.time`` and naive ``datetime.datetime``. Printed as Java's ``toString`` prints
them (``2024-01-31``, ``12:30``, ``2024-01-31T12:30:05.123``)."""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from typing import Any

from runtime.common.typecheck import describe
from runtime.common.typeinfo import TypeInformation

__all__ = ["LocalTimeTypeInfo"]


class LocalTimeTypeInfo(TypeInformation):
    class TimeType(Enum):
        LOCAL_DATE = 0
        LOCAL_TIME = 1
        LOCAL_DATE_TIME = 2

    _PYTHON = {TimeType.LOCAL_DATE: _dt.date, TimeType.LOCAL_TIME: _dt.time, TimeType.LOCAL_DATE_TIME: _dt.datetime}

    def __init__(self, time_type: LocalTimeTypeInfo.TimeType) -> None:
        if not isinstance(time_type, LocalTimeTypeInfo.TimeType):
            raise TypeError(f"time_type must be a LocalTimeTypeInfo.TimeType, got {time_type!r}")
        self._time_type = time_type

    def get_time_type(self) -> LocalTimeTypeInfo.TimeType:
        return self._time_type

    def _key(self) -> tuple[Any, ...]:
        return ("local_time", self._time_type.name)

    def type_name(self) -> str:
        return self._time_type.name

    def check(self, value: Any) -> str | None:
        want = self._PYTHON[self._time_type]
        if value is None or isinstance(value, want):
            return None
        return f"expected datetime.{want.__name__} for {self._time_type.name}, got {describe(value)}"

    def __repr__(self) -> str:
        return f"LocalTimeTypeInfo({self._time_type.name})"
