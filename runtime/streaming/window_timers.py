"""The event-time timers of aligned windows (tumbling/sliding event time, EventTimeTrigger),
kept per window rather than per (key, window).

With the default trigger, every key of an aligned window has the same timers: one at the
window's end (fire) and one at end + allowed lateness (cleanup, the same instant without
lateness). So a timer here is a key appended to the bucket of (time, window): 8 bytes per
open window instead of a heap entry, a dedup-set entry and a (key, window) tuple (~200
bytes), and a watermark fires a whole window's keys in one call (batch-at-a-time).

The queue has the interface the checkpointing code uses on ``InternalTimerService`` queues
(``live`` yields ``(time, (key, window))``, ``add(time, (key, window))`` restores one), so a
snapshot has the same shape as the general path's and either path restores it.
Within one window, keys fire in the order of their first element (Flink's registration order).
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from runtime.streaming.timer_service import InternalTimerService


class WindowTimerQueue:
    __slots__ = ("heap", "buckets", "seq")

    def __init__(self) -> None:
        #: (time, creation order, window) of every non-empty bucket
        self.heap: list[tuple[int, int, Any]] = []
        #: (time, window) -> keys, in registration order
        self.buckets: dict[tuple[int, Any], list] = {}
        self.seq = itertools.count()

    def bucket(self, ts: int, window: Any) -> list:
        """The key list of (ts, window), created (and scheduled) if new: append keys to it."""
        slot = (ts, window)
        keys = self.buckets.get(slot)
        if keys is None:
            keys = self.buckets[slot] = []
            heapq.heappush(self.heap, (ts, next(self.seq), window))
        return keys

    def add(self, ts: int, key: tuple) -> None:
        k, window = key
        keys = self.bucket(ts, window)
        if k not in keys[-1:]:  # a restore never repeats a timer; this guards a second add in a row
            keys.append(k)

    def remove(self, ts: int, key: tuple) -> None:
        k, window = key
        keys = self.buckets.get((ts, window))
        if keys is not None and k in keys:
            keys.remove(k)

    @property
    def live(self) -> Iterator[tuple[int, tuple]]:
        for (ts, window), keys in self.buckets.items():
            for k in keys:
                yield ts, (k, window)

    def next_time(self) -> int | None:
        heap, buckets = self.heap, self.buckets
        while heap and not buckets.get((heap[0][0], heap[0][2])):
            ts, _, window = heapq.heappop(heap)
            buckets.pop((ts, window), None)
        return heap[0][0] if heap else None

    def __len__(self) -> int:
        return sum(len(keys) for keys in self.buckets.values())


class AlignedWindowTimerService(InternalTimerService):
    """``InternalTimerService`` whose event-time timers are a ``WindowTimerQueue``; a
    watermark hands each due bucket to ``on_window_timers(time, window, keys)``."""

    def __init__(self, on_window_timers: Callable[[int, Any, list], None],
                 on_processing_time: Callable[[int, Any], None]) -> None:
        super().__init__(self._unused, on_processing_time)
        self.windows = WindowTimerQueue()
        self.event = self.windows  # type: ignore[assignment]  # the queue's interface, per window
        self.on_window_timers = on_window_timers

    @staticmethod
    def _unused(ts: int, key: Any) -> None:  # pragma: no cover - timers fire per bucket
        raise AssertionError("aligned window timers fire per window")

    def advance_watermark(self, watermark: int) -> None:
        self.current_watermark = watermark
        heap, buckets = self.windows.heap, self.windows.buckets
        pop = heapq.heappop
        fire = self.on_window_timers
        while heap and heap[0][0] <= watermark:
            ts, _, window = pop(heap)
            keys = buckets.pop((ts, window), None)
            if keys:
                fire(ts, window, keys)
