"""The SQL date/time types of ``pyflink.common.typeinfo`` (``Types.SQL_DATE()``, ``SQL_TIME()``,
``SQL_TIMESTAMP()``), with PyFlink's internal conversion hooks; re-exported by
:mod:`runtime.common.typeinfo`, where PyFlink has them."""

from __future__ import annotations

import datetime as _dt
import time as _time
from typing import Any

from runtime.common.typecheck import check_date, check_time, check_timestamp
from runtime.common.typeinfo import TypeInformation

__all__ = ["SqlTimeTypeInfo", "DateTypeInfo", "TimeTypeInfo", "TimestampTypeInfo"]


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

    #: ``date.toordinal()`` of 1970-01-01: dates are days since then internally
    EPOCH_ORDINAL = _dt.datetime(1970, 1, 1).toordinal()

    def need_conversion(self) -> bool:
        return True

    def to_internal_type(self, d: Any) -> Any:
        return None if d is None else d.toordinal() - self.EPOCH_ORDINAL

    def from_internal_type(self, v: Any) -> Any:
        return None if v is None else _dt.date.fromordinal(v + self.EPOCH_ORDINAL)

    def _key(self) -> tuple[Any, ...]:
        return ("sql", "DATE")

    def type_name(self) -> str:
        return "SQL_DATE"

    def check(self, value: Any) -> str | None:
        return check_date(value)

    def __repr__(self) -> str:
        return "DateTypeInfo"


class TimeTypeInfo(SqlTimeTypeInfo):
    """A time of day; Python values are ``datetime.time``."""

    #: the local time zone's offset at the epoch in microseconds (PyFlink's constant: naive
    #: times are taken as local times internally)
    EPOCH_ORDINAL = _time.localtime(0).tm_gmtoff * 10**6

    def need_conversion(self) -> bool:
        return True

    def to_internal_type(self, t: Any) -> Any:
        """Microseconds since midnight UTC."""
        if t is None:
            return None
        if t.tzinfo is not None:
            offset = t.utcoffset() or _dt.timedelta()
            shift = (offset.days * 86400 + offset.seconds) * 10**6 + offset.microseconds
        else:
            shift = self.EPOCH_ORDINAL
        return ((t.hour * 60 + t.minute) * 60 + t.second) * 10**6 + t.microsecond - shift

    def from_internal_type(self, t: Any) -> Any:
        if t is None:
            return None
        seconds, micros = divmod(t + self.EPOCH_ORDINAL, 10**6)
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return _dt.time(hours, minutes, seconds, micros)

    def _key(self) -> tuple[Any, ...]:
        return ("sql", "TIME")

    def type_name(self) -> str:
        return "SQL_TIME"

    def check(self, value: Any) -> str | None:
        return check_time(value)

    def __repr__(self) -> str:
        return "TimeTypeInfo"


class TimestampTypeInfo(SqlTimeTypeInfo):
    """A date and time; Python values are ``datetime.datetime``."""

    def need_conversion(self) -> bool:
        return True

    def to_internal_type(self, dt: Any) -> Any:
        """Microseconds since the epoch (naive datetimes are local times)."""
        if dt is None:
            return None
        seconds: float
        if dt.tzinfo:
            import calendar  # here: a job file that only names the type does not pay for it
            seconds = calendar.timegm(dt.utctimetuple())
        else:
            seconds = _time.mktime(dt.timetuple())
        return int(seconds) * 10**6 + dt.microsecond

    def from_internal_type(self, ts: Any) -> Any:
        if ts is None:
            return None
        return _dt.datetime.fromtimestamp(ts // 10**6).replace(microsecond=ts % 10**6)

    def _key(self) -> tuple[Any, ...]:
        return ("sql", "TIMESTAMP")

    def type_name(self) -> str:
        return "SQL_TIMESTAMP"

    def check(self, value: Any) -> str | None:
        return check_timestamp(value)

    def __repr__(self) -> str:
        return "TimestampTypeInfo"
