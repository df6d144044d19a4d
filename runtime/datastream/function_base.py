"""``Function``, the base of every user function (PyFlink's ``pyflink.datastream.functions.Function``).

Its own module so that the function interfaces split over several modules (``functions``,
``async_functions``) share it without importing each other.
"""
from __future__ import annotations

from abc import ABC
from typing import Any


class Function(ABC):  # noqa: B024 - marker base, like PyFlink's
    """Base of every user function: ``open`` before the first record, ``close`` at the end."""

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass
