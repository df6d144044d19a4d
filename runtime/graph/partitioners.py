"""Stream partitioners: how records of one edge are spread over the consumer subtasks.

They are plain descriptions (kind, distribution pattern, key function); the RecordWriter in
the producing task implements the routing for each kind a batch at a time.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

POINTWISE = "POINTWISE"
ALL_TO_ALL = "ALL_TO_ALL"


@dataclass
class StreamPartitioner:
    kind: str  # FORWARD, REBALANCE, RESCALE, SHUFFLE, BROADCAST, HASH, CUSTOM
    explicit: bool = True

    @property
    def pattern(self) -> str:
        return POINTWISE if self.kind in ("FORWARD", "RESCALE") else ALL_TO_ALL

    def __str__(self) -> str:
        return self.kind


@dataclass
class KeyGroupStreamPartitioner(StreamPartitioner):
    key_fn: Callable[[Any], Any] | None = None
    max_parallelism: int = 128

    def __init__(self, key_fn: Callable[[Any], Any], max_parallelism: int = 128) -> None:
        super().__init__("HASH")
        self.key_fn = key_fn
        self.max_parallelism = max_parallelism


@dataclass
class CustomPartitionerWrapper(StreamPartitioner):
    partition_fn: Callable[[Any, int], int] | None = None
    key_fn: Callable[[Any], Any] | None = None

    def __init__(self, partition_fn: Callable[[Any, int], int], key_fn: Callable[[Any], Any]) -> None:
        super().__init__("CUSTOM")
        self.partition_fn = partition_fn
        self.key_fn = key_fn


def pointwise_pairs(producers: int, consumers: int) -> list[tuple[int, int]]:
    """(producer, consumer) subtask pairs of a POINTWISE edge, as Flink connects them:
    equal parallelism 1:1, otherwise contiguous fan-in or fan-out groups."""
    if producers == consumers:
        return [(i, i) for i in range(producers)]
    pairs = []
    if producers > consumers:
        for p in range(producers):
            pairs.append((p, p * consumers // producers))
    else:
        for c in range(consumers):
            pairs.append((c * producers // consumers, c))
    return pairs
