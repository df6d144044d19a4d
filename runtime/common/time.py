"""``Time``, ``Duration`` and ``Instant`` with PyFlink's names and Java's semantics.

PyFlink's versions wrap ``java.time`` objects through py4j; here they are small value
objects holding integers, so they are cheap to build, hash and pickle (window assigners
and watermark strategies carry them into task processes).

Precision follows Java: ``Duration`` and ``Instant`` count nanoseconds, ``Time`` counts
milliseconds. Conversions to milliseconds round the way Java does (``Duration.toMillis``
truncates toward zero, ``Instant.toEpochMilli`` floors), so a value that crosses the
Python/Java boundary in a real PyFlink job gives the same number here.
"""

from __future__ import annotations

import datetime as _dt
from functools import total_ordering
from typing import Any

__all__ = ["Time", "Duration", "Instant"]

_NANOS_PER_SECOND = 1_000_000_000
_NANOS_PER_MILLI = 1_000_000


def _trunc_div(a: int, b: int) -> int:
    """Integer division rounding toward zero, as Java's ``/`` on longs does."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _scaled(amount: int | float, per_unit: int, what: str) -> int:
    """Return ``amount * per_unit`` as an int (nanoseconds or milliseconds). Floats
    are accepted for convenience (Java only takes longs) and rounded to the nearest
    unit; bools and non-numbers are rejected so a mistake fails at the call site."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError(f"{what} must be a number, got {type(amount).__name__} {amount!r}")
    if isinstance(amount, int):
        return amount * per_unit
    if amount != amount or amount in (float("inf"), float("-inf")):
        raise ValueError(f"{what} must be finite, got {amount!r}")
    return round(amount * per_unit)


@total_ordering
class Time:
    """A span of time in milliseconds, as used by PyFlink's window assigners.

    ``Time.seconds(5)`` and friends are the factory methods job code calls;
    ``str(Time.seconds(5))`` is ``"5000 ms"`` like Java's ``Time.toString``.
    """

    __slots__ = ("_milliseconds",)

    def __init__(self, milliseconds: int) -> None:
        self._milliseconds = int(milliseconds)

    def to_milliseconds(self) -> int:
        """Return the span in milliseconds."""
        return self._milliseconds

    @staticmethod
    def milliseconds(milliseconds: int) -> Time:
        """A span of ``milliseconds`` milliseconds."""
        return Time(milliseconds)

    @staticmethod
    def seconds(seconds: int) -> Time:
        """A span of ``seconds`` seconds."""
        return Time(_scaled(seconds, 1000, "seconds"))

    @staticmethod
    def minutes(minutes: int) -> Time:
        """A span of ``minutes`` minutes."""
        return Time(_scaled(minutes, 60_000, "minutes"))

    @staticmethod
    def hours(hours: int) -> Time:
        """A span of ``hours`` hours."""
        return Time(_scaled(hours, 3_600_000, "hours"))

    @staticmethod
    def days(days: int) -> Time:
        """A span of ``days`` days."""
        return Time(_scaled(days, 86_400_000, "days"))

    def to_duration(self) -> Duration:
        """The same span as a :class:`Duration` (engine code mixes the two)."""
        return Duration.of_millis(self._milliseconds)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Time) and self._milliseconds == other._milliseconds

    def __lt__(self, other: Time) -> bool:
        if not isinstance(other, Time):
            return NotImplemented
        return self._milliseconds < other._milliseconds

    def __hash__(self) -> int:
        return hash(("Time", self._milliseconds))

    def __str__(self) -> str:
        return f"{self._milliseconds} ms"

    def __repr__(self) -> str:
        return f"Time.milliseconds({self._milliseconds})"

    def __reduce__(self) -> tuple[Any, ...]:
        return Time, (self._milliseconds,)


@total_ordering
class Duration:
    """A time-based amount of time (Java's ``java.time.Duration``), in nanoseconds.

    Used for watermark out-of-orderness bounds, idleness timeouts and configuration
    values. ``str()`` gives Java's ISO-8601 form (``PT1.5S``) because that is what a
    Flink user sees when a Duration is printed or logged.
    """

    __slots__ = ("_nanos",)

    def __init__(self, nanos: int = 0) -> None:
        if isinstance(nanos, bool) or not isinstance(nanos, int):
            raise TypeError(f"Duration takes integral nanoseconds, got {nanos!r}")
        self._nanos = nanos

    @staticmethod
    def of_days(days: int) -> Duration:
        """A duration of ``days`` standard 24-hour days."""
        return Duration(_scaled(days, 86_400 * _NANOS_PER_SECOND, "days"))

    @staticmethod
    def of_hours(hours: int) -> Duration:
        """A duration of ``hours`` hours."""
        return Duration(_scaled(hours, 3_600 * _NANOS_PER_SECOND, "hours"))

    @staticmethod
    def of_minutes(minutes: int) -> Duration:
        """A duration of ``minutes`` minutes."""
        return Duration(_scaled(minutes, 60 * _NANOS_PER_SECOND, "minutes"))

    @staticmethod
    def of_seconds(seconds: int) -> Duration:
        """A duration of ``seconds`` seconds."""
        return Duration(_scaled(seconds, _NANOS_PER_SECOND, "seconds"))

    @staticmethod
    def of_millis(millis: int) -> Duration:
        """A duration of ``millis`` milliseconds."""
        return Duration(_scaled(millis, _NANOS_PER_MILLI, "millis"))

    @staticmethod
    def of_nanos(nanos: int) -> Duration:
        """A duration of ``nanos`` nanoseconds."""
        return Duration(_scaled(nanos, 1, "nanos"))

    @staticmethod
    def from_timedelta(delta: _dt.timedelta) -> Duration:
        """Convert a ``datetime.timedelta`` (exact, microsecond precision)."""
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return Duration(micros * 1000)

    def to_milliseconds(self) -> int:
        """Whole milliseconds, truncated toward zero (Java's ``Duration.toMillis``)."""
        return _trunc_div(self._nanos, _NANOS_PER_MILLI)

    def to_nanos(self) -> int:
        """The exact length in nanoseconds."""
        return self._nanos

    def to_seconds(self) -> float:
        """The length in seconds as a float (handy for ``time.sleep`` and timeouts)."""
        return self._nanos / _NANOS_PER_SECOND

    def to_timedelta(self) -> _dt.timedelta:
        """Convert to ``datetime.timedelta`` (sub-microsecond part truncated toward zero)."""
        return _dt.timedelta(microseconds=_trunc_div(self._nanos, 1000))

    def is_negative(self) -> bool:
        """True for durations below zero."""
        return self._nanos < 0

    def is_zero(self) -> bool:
        """True for the zero duration."""
        return self._nanos == 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and self._nanos == other._nanos

    def __lt__(self, other: Duration) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self._nanos < other._nanos

    def __hash__(self) -> int:
        return hash(("Duration", self._nanos))

    def __reduce__(self) -> tuple[Any, ...]:
        return Duration, (self._nanos,)

    def __repr__(self) -> str:
        return f"Duration({self})"

    def __str__(self) -> str:
        """Java's ``Duration.toString``: ISO-8601 seconds-based, e.g. ``PT1H30M``,
        ``PT0.5S``, ``PT-0.5S``, ``PT0S``; days are shown as hours (``PT24H``)."""
        if self._nanos == 0:
            return "PT0S"
        seconds, nanos = divmod(self._nanos, _NANOS_PER_SECOND)  # Java's normal form
        effective = seconds + 1 if seconds < 0 and nanos > 0 else seconds
        hours = _trunc_div(effective, 3600)
        rem = effective - hours * 3600
        minutes = _trunc_div(rem, 60)
        secs = rem - minutes * 60
        out = ["PT"]
        if hours:
            out.append(f"{hours}H")
        if minutes:
            out.append(f"{minutes}M")
        if secs == 0 and nanos == 0 and len(out) > 1:
            return "".join(out)
        if seconds < 0 and nanos > 0:
            out.append("-0" if secs == 0 else str(secs))
        else:
            out.append(str(secs))
        if nanos > 0:
            frac = (2 * _NANOS_PER_SECOND - nanos) if seconds < 0 else (nanos + _NANOS_PER_SECOND)
            out.append("." + str(frac)[1:].rstrip("0"))
        out.append("S")
        return "".join(out)


@total_ordering
class Instant:
    """A point on the time line (Java's ``java.time.Instant``): seconds since the epoch
    plus a nanosecond adjustment in ``[0, 999_999_999]``.

    The type of ``Types.INSTANT()`` values. ``str()`` is Java's ISO-8601 form
    (``1970-01-01T00:00:00.100Z``), which is what Flink prints for an Instant field.
    """

    __slots__ = ("seconds", "nanos")

    def __init__(self, seconds: int, nanos: int) -> None:
        # Normalise like Java's Instant.ofEpochSecond(seconds, nanoAdjustment).
        extra, nanos = divmod(int(nanos), _NANOS_PER_SECOND)
        self.seconds = int(seconds) + extra
        self.nanos = nanos

    @staticmethod
    def of_epoch_milli(epoch_milli: int) -> Instant:
        """The instant ``epoch_milli`` milliseconds after 1970-01-01T00:00:00Z."""
        secs, millis = divmod(int(epoch_milli), 1000)
        return Instant(secs, millis * _NANOS_PER_MILLI)

    @staticmethod
    def of_epoch_second(epoch_second: int, nano_adjustment: int = 0) -> Instant:
        """The instant ``epoch_second`` seconds (plus nanoseconds) after the epoch."""
        return Instant(epoch_second, nano_adjustment)

    def to_epoch_milli(self) -> int:
        """Milliseconds since the epoch, floored (Java's ``Instant.toEpochMilli``)."""
        return (self.seconds * _NANOS_PER_SECOND + self.nanos) // _NANOS_PER_MILLI

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Instant)
            and self.seconds == other.seconds
            and self.nanos == other.nanos
        )

    def __lt__(self, other: Instant) -> bool:
        if not isinstance(other, Instant):
            return NotImplemented
        return (self.seconds, self.nanos) < (other.seconds, other.nanos)

    def __hash__(self) -> int:
        return hash(("Instant", self.seconds, self.nanos))

    def __reduce__(self) -> tuple[Any, ...]:
        return Instant, (self.seconds, self.nanos)

    def __repr__(self) -> str:
        return f"Instant<{self.seconds}, {self.nanos}>"

    def __str__(self) -> str:
        """ISO-8601 in UTC with 0, 3, 6 or 9 fraction digits, as ``Instant.toString``."""
        try:
            base = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=self.seconds)
            text = base.strftime("%Y-%m-%dT%H:%M:%S")
            if base.year < 1000:
                text = f"{base.year:04d}" + text[text.index("-"):]
        except OverflowError:
            return repr(self)
        if self.nanos:
            if self.nanos % 1_000_000 == 0:
                text += f".{self.nanos // 1_000_000:03d}"
            elif self.nanos % 1000 == 0:
                text += f".{self.nanos // 1000:06d}"
            else:
                text += f".{self.nanos:09d}"
        return text + "Z"
