"""``NumberSequenceSource(start, end)``: a bounded, parallel source of the longs start..end."""
from __future__ import annotations


class Source:
    """Base of the sources usable with ``env.from_source``."""

    bounded = True

    def create_operator(self, name: str):
        raise NotImplementedError


class NumberSequenceSource(Source):
    def __init__(self, start: int, end: int) -> None:
        if end < start:
            raise ValueError(f"NumberSequenceSource: end ({end}) must not be below start ({start})")
        self.start = start
        self.end = end

    def create_operator(self, name: str):
        from runtime.streaming.sources import NumberSequenceSourceOperator
        return NumberSequenceSourceOperator(name, self.start, self.end)
