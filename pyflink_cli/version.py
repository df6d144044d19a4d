"""``pyflink --version``: this package's version, the PyFlink API it follows, the Python."""
from __future__ import annotations

import sys


def package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version("pyflink-py")
        except PackageNotFoundError:
            pass
    except ImportError:  # pragma: no cover
        pass
    return "0.1.0"


def version_line() -> str:
    from runtime.compat.pyflink_version import __version__ as api
    python = ".".join(map(str, sys.version_info[:3]))
    return f"pyflink {package_version()} (PyFlink {api} API, Flink's CLI and cluster model; Python {python})"
