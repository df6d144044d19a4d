"""Errors raised by the configuration layer.

A single exception type lets the CLI and the process entry points catch every
configuration problem in one place and print its one-line message instead of a
traceback: a bad config file is a user error, not a bug.
"""

from __future__ import annotations

__all__ = ["ConfigurationError"]


class ConfigurationError(Exception):
    """A configuration value, file or directory is invalid.

    The message is always a single line that names what was wrong and where it
    came from (file path, ``-D`` or environment variable), so it can be shown
    to the user verbatim.
    """
