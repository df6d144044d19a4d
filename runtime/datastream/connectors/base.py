"""Bases of the connectors used with ``env.from_source`` and ``DataStream.sink_to``
(PyFlink's ``pyflink.datastream.connectors.base``).

PyFlink's ``Source``/``Sink`` wrap Java connectors; here a connector is a Python object that
builds the operator reading or writing in each parallel subtask.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any

__all__ = ["Source", "Sink", "DeliveryGuarantee", "StreamTransformer", "SupportsPreprocessing"]


class Source:
    """Base of the sources usable with ``env.from_source``."""

    @property
    def bounded(self) -> bool:
        """Does the source end by itself (env.from_source makes the job bounded if all do)?"""
        return True

    def create_operator(self, name: str):
        raise NotImplementedError

    def get_java_function(self) -> Any:
        from runtime.compat.unsupported import java_only
        java_only(f"{type(self).__name__}.get_java_function()")


class Sink:
    """Base of the sinks usable with ``DataStream.sink_to``: builds the writer operator that
    runs in each parallel subtask of the sink."""

    def create_operator(self, name: str, input_type: Any = None):
        """The operator writing the records; ``input_type`` is the stream's declared type."""
        raise NotImplementedError

    def get_java_function(self) -> Any:
        from runtime.compat.unsupported import java_only
        java_only(f"{type(self).__name__}.get_java_function()")


class DeliveryGuarantee(Enum):
    """The guarantee a sink gives when the job recovers from a failure."""

    EXACTLY_ONCE = 0
    AT_LEAST_ONCE = 1
    NONE = 2


class StreamTransformer(ABC):
    """Rewrites the stream a sink receives (a sink's preprocessing step)."""

    @abstractmethod
    def apply(self, ds: Any) -> Any: ...


class SupportsPreprocessing(ABC):
    """A sink that may transform its input stream first (``get_transformer``)."""

    @abstractmethod
    def get_transformer(self) -> StreamTransformer | None: ...
