"""CliFrontend: finds the configuration directory, loads the configuration, applies ``-D``
and command-line shortcuts, and turns errors into one clear line and exit code 1."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from runtime.configuration import options as opts
from runtime.configuration.configuration import Configuration
from runtime.configuration.errors import ConfigurationError
from runtime.configuration.loader import find_conf_dir, load_configuration


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 1."""


def fail(message: str, code: int = 1) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


@dataclass
class CliFrontend:
    config: Configuration
    conf_dir: Path | None
    dynamic: list[str]

    @classmethod
    def load(cls, conf_dir: str | None, dynamic: list[str] | None, overrides: dict[str, Any] | None = None) -> CliFrontend:
        dynamic = list(dynamic or [])
        try:
            found = find_conf_dir(conf_dir)
            config = load_configuration(found, dynamic, warn=lambda m: print(f"warning: {m}", file=sys.stderr))
            for key, value in (overrides or {}).items():
                if value is not None:
                    opt = opts.ALL_OPTIONS[key]
                    opt.parse(value, "the command line")
                    config.set_string(key, str(value).lower() if isinstance(value, bool) else str(value))
                    dynamic.append(f"{key}={str(value).lower() if isinstance(value, bool) else value}")
        except ConfigurationError as exc:
            fail(str(exc))
        return cls(config, found.resolve() if found else None, dynamic)

    @property
    def jobmanager_host(self) -> str:
        return self.config.get(opts.JOBMANAGER_RPC_ADDRESS)

    @property
    def jobmanager_port(self) -> int:
        return self.config.get(opts.JOBMANAGER_RPC_PORT)

    @property
    def jobmanager_address(self) -> str:
        return f"{self.jobmanager_host}:{self.jobmanager_port}"

    @property
    def pid_dir(self) -> Path:
        return Path(self.config.get(opts.ENV_PID_DIR)).expanduser()

    @property
    def log_dir(self) -> Path:
        return Path(self.config.get(opts.ENV_LOG_DIR)).expanduser()

    @property
    def keys_dir(self) -> Path:
        return Path(self.config.get(opts.SECURITY_INTERNAL_KEYS_DIR)).expanduser()

    def security(self) -> Any:
        """The CLI's socket security (its ``client`` CURVE key pair and the JobManager's public
        key); missing keys are one error line saying what to copy or start."""
        from runtime.security.internal_keys import ROLE_CLIENT
        from runtime.security.socket_security import SocketSecurity
        try:
            return SocketSecurity.from_config(self.config, ROLE_CLIENT)
        except ConfigurationError as exc:
            fail(str(exc))

    def process_args(self) -> list[str]:
        """Command-line arguments that give a child process this command's configuration
        directory; the ``-D`` properties go through :meth:`properties_pipe` (never on a
        command line, where every user of the host could read secrets)."""
        return ["--conf-dir", str(self.conf_dir)] if self.conf_dir is not None else []

    def properties_pipe(self) -> Any:
        from runtime.util.process_utils import PropertiesPipe
        return PropertiesPipe(self.dynamic)
