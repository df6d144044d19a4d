"""PyFlink's ``pyflink.common.Configuration``.

The engine's :class:`runtime.configuration.configuration.Configuration` (below every layer
that reads options) holds the data and the typed-option API; this subclass adds the rest of
PyFlink's methods (byte arrays, ``key_set``, ``from_dict``, ``parse_list_value``), so job code
and the engine share one class hierarchy and a job's configuration is accepted everywhere
an engine one is.
"""
from __future__ import annotations

import base64
from typing import Any

from runtime.configuration.configuration import Configuration as _EngineConfiguration

__all__ = ["Configuration"]


class Configuration(_EngineConfiguration):
    """Mirrors ``pyflink.common.Configuration`` (Flink's ``org.apache.flink.configuration.Configuration``)."""

    def __init__(self, other: _EngineConfiguration | None = None, j_configuration: Any = None) -> None:
        if j_configuration is not None:
            from runtime.compat.unsupported import java_only
            java_only("Configuration(j_configuration=...)")
        super().__init__(other)

    @classmethod
    def from_dict(cls, map: dict[str, str]) -> Configuration:
        """A configuration holding the entries of ``map``."""
        conf = cls()
        for key, value in dict(map).items():
            conf.set_string(str(key), value if isinstance(value, str) else str(value))
        return conf

    def key_set(self) -> set[str]:
        """The keys that have a value (PyFlink's name for :meth:`get_keys`)."""
        return self.get_keys()

    def add_all_to_dict(self, target_dict: dict) -> None:
        """Copy every entry, as strings, into ``target_dict``."""
        target_dict.update(self.to_dict())

    def set_bytearray(self, key: str, value: bytearray) -> Configuration:
        """Store bytes under ``key`` (as Flink does: base64 text, readable by ``get_bytearray``)."""
        self.set_string(key, base64.b64encode(bytes(value)).decode("ascii"))
        return self

    def get_bytearray(self, key: str, default_value: bytearray) -> bytearray:
        """The bytes stored under ``key``, or ``default_value``."""
        if not self.contains_key(key):
            return default_value
        raw = self.raw()[key]
        if isinstance(raw, (bytes, bytearray)):
            return bytearray(raw)
        return bytearray(base64.b64decode(str(raw)))

    @staticmethod
    def parse_list_value(value: str) -> list:
        """A list option's items: a YAML flow list (``[a, b]``, Flink 2's notation) or
        Flink 1's ``a;b``."""
        if not value:
            return []
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            from runtime.configuration.yaml_loader import parse_flow_list
            return parse_flow_list(text)
        return value.split(";")
