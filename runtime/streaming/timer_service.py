"""Internal timer service of a keyed operator: event-time and processing-time timers.

Timers are per (timestamp, key) and deduplicated; each domain keeps a heap ordered by
timestamp and registration order (keys need not be comparable) plus a set of live timers,
so deleting is O(1) and a deleted timer is skipped when it surfaces. Event-time timers fire
when the watermark passes them, in timestamp order; processing-time timers fire from the
task loop's tick once the wall clock reaches them. Both sets are plain data and are part of
a snapshot (grouped by key group like keyed state).
"""
from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any

from runtime.io.network.elements import MIN_WATERMARK


def now_ms() -> int:
    return int(time.time() * 1000)


class _TimerQueue:
    def __init__(self) -> None:
        self.heap: list[tuple[int, int, Any]] = []
        self.live: set[tuple[int, Any]] = set()
        self.seq = itertools.count()

    def add(self, ts: int, key: Any) -> None:
        entry = (ts, key)
        if entry not in self.live:
            self.live.add(entry)
            heapq.heappush(self.heap, (ts, next(self.seq), key))

    def remove(self, ts: int, key: Any) -> None:
        self.live.discard((ts, key))

    def pop_due(self, upto: int) -> tuple[int, Any] | None:
        heap = self.heap
        while heap and heap[0][0] <= upto:
            ts, _, key = heapq.heappop(heap)
            if (ts, key) in self.live:
                self.live.discard((ts, key))
                return ts, key
        return None

    def next_time(self) -> int | None:
        heap = self.heap
        while heap and (heap[0][0], heap[0][2]) not in self.live:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def __len__(self) -> int:
        return len(self.live)


class InternalTimerService:
    def __init__(self, on_event_time: Callable[[int, Any], None], on_processing_time: Callable[[int, Any], None]) -> None:
        self.event = _TimerQueue()
        self.processing = _TimerQueue()
        self.on_event_time = on_event_time
        self.on_processing_time = on_processing_time
        self.current_watermark = MIN_WATERMARK

    def register_event_time_timer(self, key: Any, ts: int) -> None:
        self.event.add(int(ts), key)

    def delete_event_time_timer(self, key: Any, ts: int) -> None:
        self.event.remove(int(ts), key)

    def register_processing_time_timer(self, key: Any, ts: int) -> None:
        self.processing.add(int(ts), key)

    def delete_processing_time_timer(self, key: Any, ts: int) -> None:
        self.processing.remove(int(ts), key)

    def advance_watermark(self, watermark: int) -> None:
        self.current_watermark = watermark
        heap = self.event.heap
        live = self.event.live
        pop = heapq.heappop
        fire = self.on_event_time
        # timers registered while firing are seen too: the heap top is re-read every turn
        while heap and heap[0][0] <= watermark:
            ts, _, key = pop(heap)
            entry = (ts, key)
            if entry in live:
                live.remove(entry)
                fire(ts, key)

    def advance_processing_time(self, now: int | None = None) -> None:
        """Fire processing-time timers whose millisecond has fully passed (ts < now), as
        Flink's timer service does, so an element arriving at a window's last millisecond
        is still in it when the window fires."""
        now = (now_ms() if now is None else now) - 1
        due = self.processing.pop_due
        fire = self.on_processing_time
        while True:
            timer = due(now)
            if timer is None:
                return
            fire(*timer)

    def next_processing_time(self) -> int | None:
        """Wall-clock ms at which the next processing-time timer may fire (after its ms)."""
        nxt = self.processing.next_time()
        return None if nxt is None else nxt + 1

    def snapshot(self) -> dict[str, list[tuple[int, Any]]]:
        return {"event": sorted(self.event.live, key=lambda e: e[0]),
                "processing": sorted(self.processing.live, key=lambda e: e[0])}

    def restore(self, data: dict[str, list[tuple[int, Any]]], keep: Callable[[Any], bool]) -> None:
        for ts, key in data.get("event", []):
            if keep(key):
                self.event.add(ts, key)
        for ts, key in data.get("processing", []):
            if keep(key):
                self.processing.add(ts, key)


class TimerServiceFacade:
    """The user-facing ``TimerService`` bound to the operator's current key."""

    __slots__ = ("_svc", "_backend")

    def __init__(self, svc: InternalTimerService, backend: Any) -> None:
        self._svc = svc
        self._backend = backend

    def current_processing_time(self) -> int:
        return now_ms()

    def current_watermark(self) -> int:
        return self._svc.current_watermark

    def register_processing_time_timer(self, timestamp: int) -> None:
        self._svc.register_processing_time_timer(self._backend.current_key, timestamp)

    def register_event_time_timer(self, timestamp: int) -> None:
        self._svc.event.add(timestamp if type(timestamp) is int else int(timestamp), self._backend.current_key)

    def delete_processing_time_timer(self, timestamp: int) -> None:
        self._svc.delete_processing_time_timer(self._backend.current_key, timestamp)

    def delete_event_time_timer(self, timestamp: int) -> None:
        self._svc.delete_event_time_timer(self._backend.current_key, timestamp)
