"""Errors of the security setup: one line naming what is wrong and what to do."""
from __future__ import annotations

from runtime.configuration.errors import ConfigurationError


class SecurityConfigurationError(ConfigurationError):
    """Keys missing or unreadable, a keys directory others can read, bad TLS files."""
