"""Typed configuration options.

A :class:`ConfigOption` is the single source of truth for one configuration key:
its Flink name, its type, its default and a one-line description. The loader
uses it to validate values at load time (so a typo fails when the cluster
starts, not an hour later when a code path first reads the key), the
:class:`~runtime.common.configuration.Configuration` uses it to parse stored raw
values on access, and the renderer uses it to document every key in the
shipped ``flink-conf.toml``.

Raw values come from two places with different shapes: TOML gives native
ints, floats, bools and strings, while the command line (``-D key=value``)
always gives strings. :meth:`ConfigOption.parse` accepts both, so the two
sources behave the same.

Durations are normalised to integer milliseconds and memory sizes to integer
bytes, because those are the units the engine computes with; the accepted
spellings follow Flink's ``TimeUtils`` and ``MemorySize`` (``"10 s"``,
``"1 min"``, ``"64 mb"``, ``"1g"``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.configuration.errors import ConfigurationError

__all__ = [
    "ConfigOption",
    "OPTION_TYPES",
    "parse_duration_ms",
    "parse_memory_bytes",
    "parse_port_range",
    "port_candidates",
    "format_duration_ms",
    "format_memory_bytes",
    "format_raw_value",
]

#: The option types :meth:`ConfigOption.parse` understands.
OPTION_TYPES: tuple[str, ...] = ("int", "float", "bool", "str", "duration", "memory", "portrange")

# Unit spellings -> milliseconds. Flink's TimeUtils accepts the same long and
# short names; "m" means minutes for durations (as in Flink), never months.
_DURATION_UNITS: dict[str, int] = {}
_names: tuple[str, ...]
for _names, _factor in (
    (("ms", "milli", "millis", "millisecond", "milliseconds"), 1),
    (("s", "sec", "secs", "second", "seconds"), 1000),
    (("m", "min", "mins", "minute", "minutes"), 60_000),
    (("h", "hour", "hours"), 3_600_000),
    (("d", "day", "days"), 86_400_000),
):
    for _name in _names:
        _DURATION_UNITS[_name] = _factor

# Unit spellings -> bytes. Binary multiples, like Flink's MemorySize.
_MEMORY_UNITS: dict[str, int] = {}
for _names, _factor in (
    (("b", "bytes"), 1),
    (("k", "kb", "kibibytes"), 1 << 10),
    (("m", "mb", "mebibytes"), 1 << 20),
    (("g", "gb", "gibibytes"), 1 << 30),
    (("t", "tb", "tebibytes"), 1 << 40),
):
    for _name in _names:
        _MEMORY_UNITS[_name] = _factor

_AMOUNT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Zµ]*)\s*$")

# What each type is called in error messages ("expected an integer").
_EXPECTED: dict[str, str] = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "duration": "a duration such as '100 ms', '10 s', '1 min' (a bare number means milliseconds)",
    "memory": "a memory size such as '64 mb', '1g', '512m' (a bare number means bytes)",
    "portrange": "a port, a range such as '50100-50200', or a comma-separated list of both (0: any free port)",
}


def format_raw_value(value: object) -> str:
    """Render a raw value for an error message, the way the user wrote it.

    Strings are quoted so that empty or blank values are visible; booleans use
    TOML's lowercase spelling rather than Python's.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return repr(value)


def _amount(text: str, units: dict[str, int], default_factor: int) -> int | None:
    """Parse ``<number> [unit]`` into an integer count of the base unit, or None."""
    match = _AMOUNT_RE.match(text)
    if match is None:
        return None
    number, unit = match.group(1), match.group(2).lower()
    if unit:
        factor = units.get(unit)
        if factor is None:
            return None
    else:
        factor = default_factor
    if "." in number:
        # Fractions are allowed only when they land on a whole base unit
        # ("1.5 s" is fine, "1.5 ms" is not): the engine works in whole units.
        scaled = float(number) * factor
        if scaled != int(scaled):
            return None
        return int(scaled)
    return int(number) * factor


def parse_duration_ms(value: object) -> int | None:
    """Convert an int (milliseconds) or a duration string to milliseconds.

    Returns None when the value is not a valid duration, so callers can build
    an error message that names the key and the source.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        return _amount(value, _DURATION_UNITS, 1)
    return None


def parse_memory_bytes(value: object) -> int | None:
    """Convert an int (bytes) or a memory-size string to bytes, or None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        return _amount(value, _MEMORY_UNITS, 1)
    return None


def format_duration_ms(ms: int) -> str:
    """Render milliseconds with the largest unit that divides them exactly.

    Used by the conf renderer so the shipped file reads ``"5 min"`` rather than
    ``300000``; the output always parses back to the same value.
    """
    for unit, factor in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms and ms % factor == 0:
            return f"{ms // factor} {unit}"
    return f"{ms} ms"


def format_memory_bytes(n: int) -> str:
    """Render bytes with the largest binary unit that divides them exactly."""
    for unit, factor in (("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10)):
        if n and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} b"


def _parse_int(value: object) -> int | None:
    # bool is a subclass of int; "rest.port = true" is a mistake, not 1.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def _parse_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return None


def _parse_str(value: object) -> str | None:
    # Only real strings: a number where an address or path is expected is
    # almost always a mistake (e.g. a port written under an address key).
    return value if isinstance(value, str) else None


def parse_port_range(value: object) -> str | None:
    """Flink's port lists (``NetUtils.getPortRangeFromString``): ``0``, ``6124``,
    ``50100-50200`` or ``50100-50110,50200``. Returned normalised (no spaces); None when
    malformed. :func:`port_candidates` expands it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value <= 65535 else None
    if not isinstance(value, str) or not value.strip():
        return None
    parts = []
    for part in value.split(","):
        m = re.fullmatch(r"\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?", part)
        if m is None:
            return None
        low = int(m.group(1))
        high = int(m.group(2)) if m.group(2) is not None else low
        if not 0 <= low <= high <= 65535 or (low == 0 and high != 0):
            return None
        parts.append(f"{low}-{high}" if high != low else str(low))
    return ",".join(parts)


def port_candidates(spec: str) -> list[int]:
    """The ports of a normalised port range in order (``[0]`` means "any free port")."""
    out: list[int] = []
    for part in spec.split(","):
        low, _, high = part.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


_PARSERS: dict[str, Callable[[object], Any]] = {
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "str": _parse_str,
    "duration": parse_duration_ms,
    "memory": parse_memory_bytes,
    "portrange": parse_port_range,
}


@dataclass(frozen=True)
class ConfigOption:
    """One configuration key: its Flink name, type, default and documentation.

    Attributes:
        key: The dotted Flink key, e.g. ``"jobmanager.rpc.port"``.
        type: One of :data:`OPTION_TYPES`.
        default: The default value, already in the parsed type (ms for
            durations, bytes for memory). May be a zero-argument callable for
            defaults that depend on the host (CPU count, temp dir, user name);
            use :meth:`default_value` to resolve it.
        description: One line, rendered as the comment above the key in the
            generated ``flink-conf.toml``.
        deprecated_keys: Older Flink names still accepted for this option.
        default_doc: For computed defaults: a human description of how the
            default is computed (rendered as ``# default: ...``).
        example: For computed defaults: a sample value shown in the generated
            conf file, since the real default differs per host.
        validator: Optional extra check applied after type conversion. It
            receives the converted value and returns the (possibly normalised)
            value, or raises ``ValueError`` whose message completes
            "expected ..." in the error.
    """

    key: str
    type: str
    default: object
    description: str
    deprecated_keys: tuple[str, ...] = ()
    default_doc: str = ""
    example: object = None
    validator: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES:
            raise ValueError(f"option {self.key!r}: unknown type {self.type!r}")

    @property
    def has_computed_default(self) -> bool:
        """Whether the default is computed at runtime (a callable)."""
        return callable(self.default)

    def default_value(self) -> Any:
        """Return the default, calling it first if it is computed.

        Computed defaults are resolved on each call rather than at import time,
        so e.g. a test that changes the temp directory sees the change.
        """
        if callable(self.default):
            return self.default()
        return self.default

    def expected(self) -> str:
        """Describe the accepted values, for error messages."""
        return _EXPECTED[self.type]

    def parse(self, value: object, source: str) -> Any:
        """Convert a raw value from ``source`` to this option's type.

        Args:
            value: The raw value: a TOML scalar (int, float, bool, str) or a
                command-line string.
            source: Where the value came from (a file path, ``"-D"``, ...);
                only used in the error message.

        Raises:
            ConfigurationError: The value cannot be converted or fails the
                option's validator. The message names the key, the value, the
                expected type and the source.
        """
        parsed = _PARSERS[self.type](value)
        if parsed is None:
            raise self._error(value, source, self.expected())
        if self.validator is not None:
            try:
                parsed = self.validator(parsed)
            except ValueError as exc:
                raise self._error(value, source, str(exc)) from None
        return parsed

    def _error(self, value: object, source: str, expected: str) -> ConfigurationError:
        from runtime.configuration.sensitive import HIDDEN_CONTENT, is_sensitive
        shown = HIDDEN_CONTENT if is_sensitive(self.key) else format_raw_value(value)
        return ConfigurationError(f"invalid value {shown} for '{self.key}' in {source}: expected {expected}")
