"""Key groups: the unit in which keyed state is partitioned and redistributed.

A key maps to one of ``max_parallelism`` key groups; key groups map to subtasks in
contiguous ranges, so changing parallelism moves whole key groups, never single keys.
Python's ``hash`` of str/bytes is salted per process, so every TaskManager runs with
``PYTHONHASHSEED=0``: producers on different machines must route a key identically.
"""
from __future__ import annotations

#: Fibonacci-hashing multiplier: spreads keys that share low bits (multiples of 128 ...).
MIX = 0x9E3779B1
MASK32 = 0xFFFFFFFF


def stable_hash(key: object) -> int:
    """``hash`` made identical across processes. With PYTHONHASHSEED=0, str/bytes/numbers
    already hash the same everywhere, but before Python 3.12 ``hash(None)`` is derived from
    the object's address, so None (also inside tuples) is given a fixed value here. Keys of
    user classes must define a value-based ``__hash__`` (as Flink requires ``hashCode``)."""
    if key is None:
        return 0x6E6F6E65
    if type(key) is tuple:
        h = 0x345678
        for item in key:
            h = ((h ^ stable_hash(item)) * 1000003) & 0xFFFFFFFFFFFFFFFF
        return h
    return hash(key)


def assign_to_key_group(key: object, max_parallelism: int) -> int:
    return (((stable_hash(key) * MIX) & MASK32) * max_parallelism) >> 32


def operator_index_for_key_group(max_parallelism: int, parallelism: int, key_group: int) -> int:
    return key_group * parallelism // max_parallelism


def key_group_range(max_parallelism: int, parallelism: int, operator_index: int) -> range:
    start = (operator_index * max_parallelism + parallelism - 1) // parallelism
    end = ((operator_index + 1) * max_parallelism + parallelism - 1) // parallelism
    return range(start, end)


def channel_table(max_parallelism: int, parallelism: int) -> list[int]:
    """key group → consumer subtask, precomputed so routing a record is one list lookup."""
    return [operator_index_for_key_group(max_parallelism, parallelism, kg) for kg in range(max_parallelism)]


class KeyChannelCache(dict):
    """key → consumer channel, memoised: routing a seen key costs one dict lookup instead of
    hashing and mixing it again. Cleared when it grows past ``limit`` keys so memory stays
    bounded for high-cardinality keys."""

    def __init__(self, max_parallelism: int, parallelism: int, limit: int = 65536) -> None:
        super().__init__()
        self.max_parallelism = max_parallelism
        self.table = channel_table(max_parallelism, parallelism)
        self.limit = limit

    def __missing__(self, key: object) -> int:
        if len(self) >= self.limit:
            self.clear()
        channel = self.table[(((stable_hash(key) * MIX) & MASK32) * self.max_parallelism) >> 32]
        self[key] = channel
        return channel
