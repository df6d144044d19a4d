"""The options the ``pyflink`` commands share, with Flink's spellings (``-m``/``--jobmanager``,
``-t``/``--target``, ``-D``), and how they become configuration overrides."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from pyflink_cli.frontend import CliFrontend, fail

#: every command answers -h as well as --help (Flink's CLI uses -h)
CONTEXT = {"help_option_names": ["-h", "--help"]}

ConfDir = Annotated[Optional[str], typer.Option(
    "--conf-dir", metavar="DIR", help="configuration directory (flink-conf.toml, or Flink's config.yaml)")]
Dyn = Annotated[Optional[list[str]], typer.Option(
    "-D", metavar="KEY=VALUE", help="configuration override (repeatable)")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output (one JSON document on stdout)")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="show Python tracebacks")]
JobManager = Annotated[Optional[str], typer.Option(
    "-m", "--jobmanager", metavar="HOST:PORT", help="address of the JobManager to talk to (overrides "
    "jobmanager.rpc.address/port)")]


def jobmanager_overrides(address: str | None) -> dict[str, Any]:
    """``-m HOST:PORT`` as configuration overrides (one clear error for a bad address)."""
    if not address:
        return {}
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"-m/--jobmanager expects HOST:PORT (e.g. localhost:6123), got {address!r}")
    return {"jobmanager.rpc.address": host, "jobmanager.rpc.port": int(port)}


def frontend(conf_dir: str | None, dynamic: list[str] | None, jobmanager: str | None = None,
             **overrides: Any) -> CliFrontend:
    """Load the configuration of a command: conf dir, ``-D``, ``-m`` and command options."""
    values = {k.replace("_", "."): v for k, v in overrides.items()}
    values.update(jobmanager_overrides(jobmanager))
    return CliFrontend.load(conf_dir, dynamic, values)
