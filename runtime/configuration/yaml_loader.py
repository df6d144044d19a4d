"""Reading Flink's YAML configuration files: ``config.yaml`` (Flink 2.x, standard YAML with
nested or flat keys) and ``flink-conf.yaml`` (Flink 1.x: one ``key: value`` per line).

Both are parsed with PyYAML's safe loader, imported only when such a file exists (it costs
about 10 ms, which commands reading only ``flink-conf.toml`` do not pay). Nested mappings
are flattened into Flink's dotted keys by the loader, exactly as TOML tables are. A file
that is not valid YAML, or is not a mapping at its top level, is refused with the file,
the line and the parser's message; if PyYAML is missing, the message says how to install it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.configuration.errors import ConfigurationError

#: Flink 2.x's configuration file, then Flink 1.x's
YAML_FILE_NAMES = ("config.yaml", "flink-conf.yaml")


def _yaml() -> Any:
    try:
        import yaml
    except ModuleNotFoundError:
        raise ConfigurationError("reading Flink's YAML configuration needs PyYAML: install it with "
                                 "`pip install pyyaml`, or write the options into flink-conf.toml") from None
    return yaml


def read_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML configuration file (empty for an empty file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"cannot read {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    yaml = _yaml()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigurationError(f"invalid YAML in {where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"invalid configuration in {path}: expected 'key: value' entries at the top "
                                 f"level, found a {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def parse_flow_list(text: str) -> list:
    """A YAML flow sequence such as ``[a, b, 'c d']`` (Flink 2's notation for list options)."""
    value = _yaml().safe_load(text)
    return list(value) if isinstance(value, list) else [value]
