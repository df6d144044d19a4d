"""A key/value configuration with PyFlink's ``Configuration`` API.

Job code written for PyFlink calls ``Configuration().set_string(...)`` /
``get_integer(...)``; the engine wants typed access through
:class:`~runtime.configuration.config_option.ConfigOption`. One class serves
both: values are stored raw, exactly as set (a TOML int, a ``-D`` string, a
bool from ``set_boolean``), and converted when read. Storing raw keeps the
original spelling for ``to_dict()`` and for error messages, and lets a value
set as a string (``"10 s"``) be read as a typed duration.
"""

from __future__ import annotations

from typing import Any

from runtime.configuration.config_option import ConfigOption

__all__ = ["Configuration"]

_SOURCE = "configuration"


def _to_string(value: object) -> str:
    """Render a raw value the way Flink prints it (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return str(value)


class Configuration:
    """Mutable string-keyed configuration, mirroring PyFlink's ``Configuration``.

    Keys are Flink's dotted names. Setters return ``self`` so calls chain, as
    in PyFlink. Typed getters (``get_integer`` etc.) convert stored strings, so
    a value from the command line can be read with any getter that fits it.
    """

    def __init__(self, other: Configuration | None = None) -> None:
        """Create an empty configuration, or a copy of ``other``."""
        self._data: dict[str, object] = dict(other._data) if other is not None else {}

    # ------------------------------------------------------------------
    # PyFlink API: strings
    # ------------------------------------------------------------------

    def set_string(self, key: str, value: str) -> Configuration:
        """Store ``value`` under ``key``."""
        self._data[key] = value
        return self

    def get_string(self, key: str, default_value: str) -> str:
        """Return the value of ``key`` as a string, or ``default_value`` if unset."""
        if key not in self._data:
            return default_value
        return _to_string(self._data[key])

    # ------------------------------------------------------------------
    # PyFlink API: typed values
    # ------------------------------------------------------------------

    def set_integer(self, key: str, value: int) -> Configuration:
        """Store an integer under ``key``."""
        self._data[key] = value
        return self

    def get_integer(self, key: str, default_value: int) -> int:
        """Return ``key`` as an int, converting a stored string.

        Raises:
            ConfigurationError: The stored value is not an integer.
        """
        if key not in self._data:
            return default_value
        return ConfigOption(key, "int", default_value, "").parse(self._data[key], _SOURCE)

    def set_boolean(self, key: str, value: bool) -> Configuration:
        """Store a bool under ``key``."""
        self._data[key] = value
        return self

    def get_boolean(self, key: str, default_value: bool) -> bool:
        """Return ``key`` as a bool; strings ``true``/``false`` in any case convert.

        Raises:
            ConfigurationError: The stored value is not a boolean.
        """
        if key not in self._data:
            return default_value
        return ConfigOption(key, "bool", default_value, "").parse(self._data[key], _SOURCE)

    def set_float(self, key: str, value: float) -> Configuration:
        """Store a float under ``key``."""
        self._data[key] = value
        return self

    def get_float(self, key: str, default_value: float) -> float:
        """Return ``key`` as a float, converting ints and numeric strings.

        Raises:
            ConfigurationError: The stored value is not a number.
        """
        if key not in self._data:
            return default_value
        return ConfigOption(key, "float", default_value, "").parse(self._data[key], _SOURCE)

    # ------------------------------------------------------------------
    # PyFlink API: keys and bulk operations
    # ------------------------------------------------------------------

    def get_keys(self) -> set[str]:
        """Return the set of keys that have a value."""
        return set(self._data)

    def keys(self) -> set[str]:
        """Alias of :meth:`get_keys`."""
        return self.get_keys()

    def contains_key(self, key: str) -> bool:
        """Whether ``key`` has a value."""
        return key in self._data

    def remove_config(self, key: str) -> bool:
        """Remove ``key``; return whether it was present."""
        return self._data.pop(key, _MISSING) is not _MISSING

    def add_all(self, other: Configuration, prefix: str | None = None) -> Configuration:
        """Copy every entry of ``other`` into this one, keys prefixed by ``prefix``."""
        for key, value in other._data.items():
            self._data[f"{prefix}{key}" if prefix else key] = value
        return self

    def to_dict(self) -> dict[str, str]:
        """Return all entries with values rendered as strings (as PyFlink does)."""
        return {key: _to_string(value) for key, value in self._data.items()}

    # ------------------------------------------------------------------
    # engine API: typed options
    # ------------------------------------------------------------------

    def get(self, option: ConfigOption) -> Any:
        """Return the option's value parsed to its type, or its default.

        The option's deprecated keys are consulted after its own key, so a
        configuration built from an old-style file still answers.

        Raises:
            ConfigurationError: The stored value is invalid for the option.
        """
        for key in (option.key, *option.deprecated_keys):
            if key in self._data:
                return option.parse(self._data[key], _SOURCE)
        return option.default_value()

    def set(self, option_or_key: ConfigOption | str, value: object) -> Configuration:
        """Store a raw value under an option's key (or a plain key).

        Not validated here: values are checked when read, the same way for
        every source.
        """
        key = option_or_key.key if isinstance(option_or_key, ConfigOption) else option_or_key
        self._data[key] = value
        return self

    def raw(self) -> dict[str, object]:
        """Return a copy of the stored raw values."""
        return dict(self._data)

    # ------------------------------------------------------------------
    # dunder
    # ------------------------------------------------------------------

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Configuration):
            return NotImplemented
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        return f"Configuration({self.to_dict()!r})"

    def __str__(self) -> str:
        return str(self.to_dict())


class _Missing:
    """Sentinel type for :meth:`Configuration.remove_config`."""


_MISSING = _Missing()
