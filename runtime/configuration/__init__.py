"""Typed configuration options and the ``flink-conf.toml`` loader.

The loader is imported lazily (PEP 562 ``__getattr__``) because it depends on
:mod:`runtime.common.configuration`, which itself imports
:mod:`runtime.configuration.config_option`; importing the loader eagerly here
would make ``import runtime.common.configuration`` circular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.configuration import options
from runtime.configuration.config_option import ConfigOption
from runtime.configuration.errors import ConfigurationError

if TYPE_CHECKING:
    from runtime.configuration.loader import (
        default_conf_toml,
        find_conf_dir,
        load_configuration,
        shipped_conf_toml,
    )

__all__ = [
    "ConfigOption",
    "ConfigurationError",
    "options",
    "load_configuration",
    "find_conf_dir",
    "default_conf_toml",
    "shipped_conf_toml",
]

_LAZY = {"load_configuration", "find_conf_dir", "default_conf_toml", "shipped_conf_toml"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from runtime.configuration import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
