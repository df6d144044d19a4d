"""Bases of the connectors used with ``env.from_source`` and ``DataStream.sink_to``
(PyFlink's ``pyflink.datastream.connectors.base``)."""
from __future__ import annotations

from typing import Any

from runtime.datastream.connectors.number_seq import Source

__all__ = ["Source", "Sink"]


class Sink:
    """Base of the sinks usable with ``DataStream.sink_to``: builds the writer operator that
    runs in each parallel subtask of the sink."""

    def create_operator(self, name: str, input_type: Any = None):
        """The operator writing the records; ``input_type`` is the stream's declared type."""
        raise NotImplementedError
