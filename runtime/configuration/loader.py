"""Finding, loading, validating and rendering ``flink-conf.toml``.

The loader turns the configuration directory's ``flink-conf.toml`` (and Flink's own
``config.yaml`` or ``flink-conf.yaml``, if the directory has them) plus the
command line's ``-D key=value`` properties into a
:class:`~runtime.common.configuration.Configuration`. Everything is validated
here, at load time, against :data:`~runtime.configuration.options.ALL_OPTIONS`:
a wrong type fails at once with the key, the value, the expected type and the
file, and an unknown key (usually a typo) is reported with the file and key and
then ignored, as Flink does.

TOML lets a user write ``[jobmanager.rpc]`` / ``port = 6123`` or
``jobmanager.rpc.port = 6123``; both become the same nested table after
parsing, so the loader flattens tables back into Flink's dotted key names.
YAML files are flattened the same way (nested or flat keys).

A conf dir taken over from Flink may hold ``config.yaml`` (Flink 2.x) or
``flink-conf.yaml`` (Flink 1.x; a directory with both is read as Flink 2 reads it:
``config.yaml`` only, and the other is reported). They are read with the same
validation, then ``flink-conf.toml`` on top; a key that the TOML file sets to another
value than the YAML file is reported (the TOML value applies). Keys of Flink's that
this engine has no use for (JVM memory, ...) are reported and ignored, one line each,
so nothing in a Flink configuration is ignored silently.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as _toml  # type: ignore[no-redef]

from runtime.configuration.config_option import (
    ConfigOption,
    format_duration_ms,
    format_memory_bytes,
)
from runtime.configuration.configuration import Configuration
from runtime.configuration.errors import ConfigurationError
from runtime.configuration.options import ALL_OPTIONS, option_for_key
from runtime.configuration.yaml_loader import YAML_FILE_NAMES, read_yaml

__all__ = [
    "CONF_FILE_NAME",
    "ENV_CONF_DIR_VARS",
    "SHIPPED_ACTIVE_VALUES",
    "find_conf_dir",
    "load_configuration",
    "default_conf_toml",
    "shipped_conf_toml",
]

#: Name of the configuration file inside the configuration directory.
CONF_FILE_NAME = "flink-conf.toml"

#: Environment variables naming the configuration directory, in priority order.
#: FLINK_CONF_DIR is honoured so existing Flink setups and scripts work.
ENV_CONF_DIR_VARS: tuple[str, ...] = ("PYFLINK_CONF_DIR", "FLINK_CONF_DIR")

#: Options set (uncommented) in the shipped ``conf/flink-conf.toml`` so that it
#: describes a working single-host standalone cluster out of the box.
SHIPPED_ACTIVE_VALUES: dict[str, object] = {
    "jobmanager.rpc.address": "localhost",
    "jobmanager.rpc.port": 6123,
    "rest.port": 8081,
    "taskmanager.numberOfTaskSlots": 1,
    "parallelism.default": 1,
}

Warn = Callable[[str], None]


def _stderr_warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


# --------------------------------------------------------------------------
# finding the configuration directory
# --------------------------------------------------------------------------


def _existing_dir(path: str, source: str) -> Path:
    directory = Path(path).expanduser()
    if not directory.exists():
        raise ConfigurationError(f"configuration directory {directory} does not exist (from {source})")
    if not directory.is_dir():
        raise ConfigurationError(f"configuration directory {directory} is not a directory (from {source})")
    return directory


def find_conf_dir(cli_conf_dir: str | None) -> Path | None:
    """Locate the configuration directory, as Flink's CLI does.

    Order: ``--conf-dir``, ``$PYFLINK_CONF_DIR``, ``$FLINK_CONF_DIR``, then
    ``./conf`` if it contains ``flink-conf.toml``, ``config.yaml`` or ``flink-conf.yaml``. An explicitly named
    directory that does not exist is an error rather than a silent fall-back:
    the user asked for it, so running with defaults instead would surprise.
    ``./conf`` is only a guess, hence the extra check that it holds a conf
    file. Returns None when nothing is found: built-in defaults apply.

    Raises:
        ConfigurationError: ``--conf-dir`` or an environment variable names a
            directory that does not exist.
    """
    if cli_conf_dir:
        return _existing_dir(cli_conf_dir, "--conf-dir")
    for var in ENV_CONF_DIR_VARS:
        value = os.environ.get(var)
        if value:
            return _existing_dir(value, var)
    local = Path.cwd() / "conf"
    if any((local / name).is_file() for name in (CONF_FILE_NAME, *YAML_FILE_NAMES)):
        return local
    return None


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------

_TOML_LOCATION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)\s*$")


def _toml_error(path: Path, text: str, exc: Exception) -> ConfigurationError:
    """One-line error naming the file, line and parser message."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    line: int | None = getattr(exc, "lineno", None)  # Python 3.14+ exposes it
    match = _TOML_LOCATION_RE.search(message)
    if match:
        line = line or int(match.group(1))
        message = message[: match.start()]
    elif _TOML_END_RE.search(message):
        line = line or max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        message = _TOML_END_RE.sub("", message) + " at end of file"
    where = f"{path}, line {line}" if line else str(path)
    return ConfigurationError(f"invalid TOML in {where}: {message}")


def _is_leaf_key(key: str) -> bool:
    """Whether ``key`` is an option's key and no other known key lives under it.

    The second condition matters for deprecated names such as
    ``high-availability``, which is also the table holding
    ``high-availability.type`` and ``high-availability.storageDir``.
    """
    if option_for_key(key) is None:
        return False
    below = key + "."
    return not any(
        name.startswith(below)
        for option in ALL_OPTIONS.values()
        for name in (option.key, *option.deprecated_keys)
    )


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Yield (dotted key, value) for every leaf of a parsed TOML document.

    A table sitting at a known option's key is not descended into: it is
    yielded as the value, so the user gets "invalid value ... expected an
    integer" rather than a confusing "unknown key rest.port.x".
    """
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and not _is_leaf_key(key):
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"cannot read {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise _toml_error(path, text, exc) from None


def _apply(
    conf: Configuration,
    entries: Iterable[tuple[str, object]],
    source: str,
    warn: Warn,
) -> None:
    """Validate ``entries`` from one source and store the known ones raw.

    Within one source a key's current name beats a deprecated name for the same
    option, whatever their order, so a half-migrated file behaves predictably.
    Across sources the later source wins (``-D`` over the file).
    """
    accepted: dict[str, tuple[str, object]] = {}
    for key, value in entries:
        option: ConfigOption | None = option_for_key(key)
        if option is None:
            warn(f"unknown configuration key '{key}' in {source} (ignored)")
            continue
        if key != option.key:
            warn(f"configuration key '{key}' in {source} is deprecated, use '{option.key}'")
        option.parse(value, source)  # raises ConfigurationError naming key, value, type, source
        previous = accepted.get(option.key)
        if previous is not None and previous[0] == option.key and key != option.key:
            continue
        accepted[option.key] = (key, value)
    for canonical, (_, value) in accepted.items():
        conf.set(canonical, value)


def _dynamic_entries(dynamic: list[str] | Mapping[str, str]) -> list[tuple[str, object]]:
    if isinstance(dynamic, Mapping):
        return [(str(k).strip(), v) for k, v in dynamic.items()]
    entries: list[tuple[str, object]] = []
    for arg in dynamic:
        key, sep, value = arg.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"invalid -D argument '{arg}': expected key=value")
        entries.append((key.strip(), value))
    return entries


def _load_yaml_files(conf_dir: Path, conf: Configuration, warn: Warn) -> dict[str, tuple[str, object]]:
    """Apply Flink's YAML configuration file of ``conf_dir`` (``config.yaml``, else
    ``flink-conf.yaml``, as Flink 2 chooses); returns {key: (file, value)} of what it set."""
    present = [conf_dir / name for name in YAML_FILE_NAMES if (conf_dir / name).is_file()]
    if not present:
        return {}
    path = present[0]
    for ignored in present[1:]:
        warn(f"{ignored} is not read: {path.name} is in the same directory (Flink 2 reads only {path.name})")
    entries = list(_flatten(read_yaml(path)))
    _apply(conf, entries, str(path), warn)
    out: dict[str, tuple[str, object]] = {}
    for key, value in entries:
        option = option_for_key(key)
        if option is not None:
            out[option.key] = (path.name, value)
    return out


def load_configuration(
    conf_dir: Path | None,
    dynamic: list[str] | Mapping[str, str] | None = None,
    warn: Warn | None = None,
) -> Configuration:
    """Load ``<conf_dir>/flink-conf.toml`` and apply ``-D`` overrides.

    Args:
        conf_dir: The directory from :func:`find_conf_dir`; None (or a
            directory without the file) means built-in defaults only.
        dynamic: ``-D`` properties, as ``"key=value"`` strings or a mapping.
        warn: Receives each warning (unknown or deprecated key); defaults to
            printing ``warning: ...`` on stderr.

    Returns:
        A Configuration holding the raw values that were set; unset options
        answer their defaults through ``Configuration.get``.

    Raises:
        ConfigurationError: The file is not valid TOML, a known key has a
            value of the wrong type, or a ``-D`` argument is malformed.
    """
    warn = warn or _stderr_warn
    conf = Configuration()
    if conf_dir is not None:
        from_yaml = _load_yaml_files(Path(conf_dir), conf, warn)
        path = Path(conf_dir) / CONF_FILE_NAME
        if path.is_file():
            entries = list(_flatten(_read_toml(path)))
            for key, value in entries:
                option = option_for_key(key)
                canonical = option.key if option is not None else key
                if canonical in from_yaml and from_yaml[canonical][1] != value:
                    warn(f"'{canonical}' is set in {from_yaml[canonical][0]} ({from_yaml[canonical][1]!r}) and in "
                         f"{path} ({value!r}); the value of {path.name} applies")
            _apply(conf, entries, str(path), warn)
    if dynamic:
        _apply(conf, _dynamic_entries(dynamic), "-D", warn)
    return conf


# --------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------

_HEADER = """\
# flink-conf.toml: pyflink configuration
#
# Keys are Apache Flink's configuration keys; options marked "project-specific"
# exist only in pyflink. Write them as dotted keys (jobmanager.rpc.port = 6123)
# or as TOML tables ([jobmanager.rpc] followed by port = 6123).
#
# Durations: "100 ms", "10 s", "1 min", "2 h", "1 d", or an integer of milliseconds.
# Memory sizes: "64 mb", "1g", "512m", "1024 kb", or an integer of bytes.
#
# Unknown keys are reported and ignored; values of the wrong type are errors.
# Any option can be overridden on the command line with -D key=value.
# The configuration directory is searched in this order: --conf-dir,
# $PYFLINK_CONF_DIR, $FLINK_CONF_DIR, ./conf (if it holds flink-conf.toml).
#
# Commented-out lines show each option's default.
"""


def _toml_value(option: ConfigOption, value: object) -> str:
    """Render a typed value as a TOML literal that parses back to it."""
    if option.type == "duration" and isinstance(value, int) and not isinstance(value, bool):
        return json.dumps(format_duration_ms(value))
    if option.type == "memory" and isinstance(value, int) and not isinstance(value, bool):
        return json.dumps(format_memory_bytes(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # JSON string escapes are a subset of TOML basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)


def _render_option(option: ConfigOption, active: Mapping[str, object]) -> list[str]:
    lines = [f"# {option.description}"]
    if option.deprecated_keys:
        lines.append("# deprecated key(s) also accepted: " + ", ".join(option.deprecated_keys))
    if option.key in active:
        lines.append(f"{option.key} = {_toml_value(option, active[option.key])}")
    elif option.has_computed_default:
        lines.append(f"# default: {option.default_doc or 'computed at startup'}")
        lines.append(f"# {option.key} = {_toml_value(option, option.example)}  # example")
    else:
        lines.append(f"# {option.key} = {_toml_value(option, option.default)}")
    return lines


def default_conf_toml(active: Mapping[str, object] | None = None) -> str:
    """Render a ``flink-conf.toml`` documenting every option in ALL_OPTIONS.

    Options are grouped under a comment header per first key segment; each is
    a description comment followed by a commented-out ``key = default`` line,
    so uncommenting a line never changes behaviour until the value is edited.

    Args:
        active: Options to render uncommented, with these (typed) values.
    """
    active = active or {}
    groups: dict[str, list[ConfigOption]] = {}
    for option in ALL_OPTIONS.values():
        groups.setdefault(option.key.split(".", 1)[0], []).append(option)

    out: list[str] = [_HEADER]
    for group, options in groups.items():
        out.append("#" + "=" * 78)
        out.append(f"# {group}")
        out.append("#" + "=" * 78)
        out.append("")
        for option in options:
            out.extend(_render_option(option, active))
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def shipped_conf_toml() -> str:
    """Render the repository's ``conf/flink-conf.toml``.

    Same as :func:`default_conf_toml`, with :data:`SHIPPED_ACTIVE_VALUES`
    uncommented so the shipped file runs a local standalone cluster as is.
    """
    text = default_conf_toml(SHIPPED_ACTIVE_VALUES)
    return text.replace(
        "# Commented-out lines show each option's default.\n",
        "# Commented-out lines show each option's default.\n"
        "# Generated by scripts/gen-conf.py; edit freely, or regenerate to reset.\n",
        1,
    )
