"""PyFlink's ``pyflink.datastream.utils``: ``ResultTypeQueryable``; the rest of PyFlink's module
converts between Java and Python objects and is on the not-supported list."""
from __future__ import annotations

from typing import Any

from runtime.compat.unsupported import module_getattr

__all__ = ["ResultTypeQueryable"]


class ResultTypeQueryable:
    """An object (a source, a format) that knows the type of what it produces."""

    def get_produced_type(self) -> Any:
        raise NotImplementedError


__getattr__ = module_getattr(__name__)
