"""``NumberSequenceSource(start, end)``: a bounded, parallel source of the longs start..end
(PyFlink's ``pyflink.datastream.connectors.number_seq``)."""
from __future__ import annotations

from runtime.datastream.connectors.base import Source

__all__ = ["NumberSequenceSource"]


class NumberSequenceSource(Source):
    def __init__(self, start: int, end: int) -> None:
        if end < start:
            raise ValueError(f"NumberSequenceSource: end ({end}) must not be below start ({start})")
        self.start = start
        self.end = end

    def create_operator(self, name: str):
        from runtime.streaming.sources import NumberSequenceSourceOperator
        return NumberSequenceSourceOperator(name, self.start, self.end)
