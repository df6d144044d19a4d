"""Java ``DateTimeFormatter`` patterns (``"yyyy-MM-dd--HH"``) rendered in Python.

The file sink's ``DateTimeBucketAssigner`` takes a Java pattern; this module compiles such a
pattern once into a list of field renderers and formats a ``datetime`` with it (strftime is
not used: its directives differ in padding and are platform dependent).

Supported letters (Java meaning, count = how many times the letter repeats):

=====  ==========================================================================
y u    year: ``yy`` two digits, otherwise the year padded to the count
M L    month: ``M`` 1, ``MM`` 01, ``MMM`` Jan, ``MMMM`` January
d      day of month        D  day of year        H  hour 0-23       h  hour 1-12
k      hour 1-24           K  hour 0-11          m  minute          s  second
S      fraction of second, as many digits as letters
E      day of week: up to 3 letters ``Mon``, 4 ``Monday``       a  ``AM``/``PM``
Z      offset ``+0100``    X x  offset ``+01``/``+0100``/``+01:00`` (X prints ``Z`` for 0)
z      zone abbreviation   VV zone id
=====  ==========================================================================

Text in single quotes is literal (``''`` is a quote); other non-letters are literal. Any
other letter raises ``ValueError`` naming it, so a pattern never renders silently wrong.
English names are used for months and days (Java's default for the root locale).
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable

__all__ = ["compile_pattern", "resolve_zone"]

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

Render = Callable[[_dt.datetime], str]


def _pad(value: int, count: int) -> str:
    return str(value).zfill(count)


def _offset(dt: _dt.datetime, colon: bool, minutes: str = "always", zulu: bool = False) -> str:
    off = dt.utcoffset() or _dt.timedelta(0)
    total = int(off.total_seconds()) // 60
    if zulu and total == 0:
        return "Z"
    sign = "+" if total >= 0 else "-"
    h, m = divmod(abs(total), 60)
    if minutes == "optional" and m == 0:
        return f"{sign}{h:02d}"
    return f"{sign}{h:02d}{':' if colon else ''}{m:02d}"


def _field(letter: str, n: int) -> Render:
    if letter in "yu":
        if n == 2:
            return lambda dt: _pad(dt.year % 100, 2)
        return lambda dt: _pad(dt.year, n)
    if letter in "ML":
        if n <= 2:
            return lambda dt: _pad(dt.month, n)
        if n == 3:
            return lambda dt: _MONTHS[dt.month - 1][:3]
        return lambda dt: _MONTHS[dt.month - 1]
    simple = {
        "d": lambda dt: dt.day,
        "D": lambda dt: dt.timetuple().tm_yday,
        "H": lambda dt: dt.hour,
        "h": lambda dt: (dt.hour % 12) or 12,
        "k": lambda dt: dt.hour or 24,
        "K": lambda dt: dt.hour % 12,
        "m": lambda dt: dt.minute,
        "s": lambda dt: dt.second,
    }
    if letter in simple:
        get = simple[letter]
        return lambda dt: _pad(get(dt), n)
    if letter == "S":
        return lambda dt: f"{dt.microsecond:06d}{'0' * max(0, n - 6)}"[:n]
    if letter == "E":
        if n <= 3:
            return lambda dt: _DAYS[dt.weekday()][:3]
        return lambda dt: _DAYS[dt.weekday()]
    if letter == "a":
        return lambda dt: "AM" if dt.hour < 12 else "PM"
    if letter == "Z":
        if n <= 3:
            return lambda dt: _offset(dt, False)
        return lambda dt: "GMT" + _offset(dt, True) if dt.utcoffset() else "GMT"
    if letter in "Xx":
        zulu = letter == "X"
        if n == 1:
            return lambda dt: _offset(dt, False, "optional", zulu)
        return lambda dt: _offset(dt, n >= 3, "always", zulu)
    if letter == "z":
        return lambda dt: dt.tzname() or ""
    if letter == "V" and n == 2:
        return lambda dt: str(getattr(dt.tzinfo, "key", None) or dt.tzname() or "")
    raise ValueError(f"date-time pattern letter {letter * n!r} is not supported")


_TOKEN = re.compile(r"'(?:[^']|'')*'|''|([A-Za-z])\1*|[^A-Za-z']+")


def compile_pattern(pattern: str) -> Render:
    """A function rendering a ``datetime`` with the Java pattern ``pattern``."""
    parts: list[Render | str] = []
    pos = 0
    for m in _TOKEN.finditer(pattern):
        if m.start() != pos:
            break
        tok = m.group(0)
        pos = m.end()
        if tok == "''":
            parts.append("'")
        elif tok.startswith("'"):
            parts.append(tok[1:-1].replace("''", "'"))
        elif tok[0].isalpha():
            parts.append(_field(tok[0], len(tok)))
        else:
            if any(c in "[]{}#" for c in tok):
                raise ValueError(f"date-time pattern {pattern!r}: {tok!r} (optional sections, reserved "
                                 "characters) is not supported")
            parts.append(tok)
    if pos != len(pattern):
        raise ValueError(f"date-time pattern {pattern!r}: unterminated quote at position {pos}")

    def render(dt: _dt.datetime) -> str:
        return "".join(p if isinstance(p, str) else p(dt) for p in parts)

    return render


_OFFSET = re.compile(r"^(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$")


def resolve_zone(timezone_id: str | None) -> _dt.tzinfo | None:
    """Java ``ZoneId.of``: ``None`` is the local zone; ``Z``/``UTC``/``GMT``, offsets such as
    ``+08:00`` or ``GMT-08:00``, and region ids such as ``Europe/Berlin`` are accepted."""
    if timezone_id is None:
        return None
    tz = timezone_id.strip()
    if tz in ("Z", "UTC", "GMT", "UT"):
        return _dt.timezone.utc
    m = _OFFSET.match(tz)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        delta = _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return _dt.timezone(sign * delta)
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(tz)
    except Exception as exc:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError on odd keys
        raise ValueError(f"unknown time zone id {timezone_id!r}") from exc
