"""Key groups: the unit in which keyed state is partitioned and redistributed.

A key maps to one of ``max_parallelism`` key groups; key groups map to subtasks in
contiguous ranges, so changing parallelism moves whole key groups, never single keys.

A key's group must be the same in every process that ever handles it: the producers of a
keyed exchange on different TaskManagers, and any later process that restores a checkpoint or
savepoint of its state (an embedded run restoring a cluster's savepoint, a newer Python).
Python's ``hash`` of str and bytes is salted per process (``PYTHONHASHSEED``) and its algorithm
changed in 3.11, so strings and bytes are hashed here with CRC-32 of their UTF-8 bytes, as
Flink hashes a key by its own ``hashCode`` rather than by an address. Numbers, None and tuples
of those hash the same everywhere. (TaskManagers still run with ``PYTHONHASHSEED=0``, for keys
of other types whose hash comes from strings, e.g. a frozenset or a user class.)

``KEY_HASH_VERSION`` is written with every keyed snapshot: state written under another
version (before this hashing, 1) is redistributed by its keys on restore, as when rescaling.
"""
from __future__ import annotations

from collections.abc import Iterable
from zlib import crc32

#: the key → key-group function of this version; 1: Python's hash of str/bytes (before CRC-32)
KEY_HASH_VERSION = 2

#: Fibonacci-hashing multiplier: spreads keys that share low bits (multiples of 128 ...).
MIX = 0x9E3779B1
MASK32 = 0xFFFFFFFF


def stable_hash(key: object) -> int:
    """``hash`` made identical across processes and Python versions: CRC-32 for str and
    bytes, a fixed value for None (before Python 3.12 ``hash(None)`` is derived from the
    object's address), tuples from their items. Keys of user classes must define a
    value-based ``__hash__`` (as Flink requires ``hashCode``)."""
    t = type(key)
    if t is str:
        return crc32(key.encode("utf-8", "surrogatepass"))  # type: ignore[attr-defined]
    if t is bytes:
        return crc32(key)  # type: ignore[arg-type]
    if key is None:
        return 0x6E6F6E65
    if t is tuple:
        h = 0x345678
        for item in key:  # type: ignore[attr-defined]
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
    bounded for high-cardinality keys.

    With more distinct keys than that the memo only costs: every record misses it and goes
    through ``__missing__`` (a Python call per record, ~0.8 µs with 1 M string keys). After two
    clears :meth:`channels` computes the channels directly (~0.25 µs) and tries the memo again
    every ``RETRY_BATCHES`` batches, in case the keys have become few again."""

    RETRY_BATCHES = 1000

    def __init__(self, max_parallelism: int, parallelism: int, limit: int = 65536) -> None:
        super().__init__()
        self.max_parallelism = max_parallelism
        self.table = channel_table(max_parallelism, parallelism)
        self.limit = limit
        self.clears = 0
        self._direct_batches = 0

    def __missing__(self, key: object) -> int:
        if len(self) >= self.limit:
            self.clear()
            self.clears += 1
        # assign_to_key_group written out, as in channels(): a miss costs one call less
        channel = self.table[(((stable_hash(key) * MIX) & MASK32) * self.max_parallelism) >> 32]
        self[key] = channel
        return channel

    def channels(self, keys: list) -> Iterable[int]:
        """The channel of each key, in order (an iterator over the memo, or a list)."""
        if self.clears < 2:
            return map(self.__getitem__, keys)
        self._direct_batches += 1
        if self._direct_batches >= self.RETRY_BATCHES:
            self._direct_batches = self.clears = 0
            self.clear()
        # assign_to_key_group written out: one function call per record less
        table, maxp, h = self.table, self.max_parallelism, stable_hash
        return [table[(((h(k) * MIX) & MASK32) * maxp) >> 32] for k in keys]
