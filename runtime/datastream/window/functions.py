"""The window function interfaces; PyFlink defines them in ``pyflink.datastream.functions``
(so do we: ``runtime.datastream.functions``) and this module re-exports them, plus
PyFlink's ``Min`` reduce function."""
from __future__ import annotations

from typing import Any

from runtime.datastream.functions import (
    AllWindowFunction,
    ProcessAllWindowFunction,
    ProcessWindowFunction,
    ReduceFunction,
    WindowFunction,
)

__all__ = ["AllWindowFunction", "ProcessAllWindowFunction", "ProcessWindowFunction", "WindowFunction", "Min"]


class Min(ReduceFunction):
    """The smaller of two values (PyFlink's ``pyflink.datastream.window.Min``)."""

    def reduce(self, value1: Any, value2: Any) -> Any:
        return min(value1, value2)
