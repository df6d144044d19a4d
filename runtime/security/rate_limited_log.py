"""Logging that a hostile or broken peer cannot turn into a flood.

Refused peers and malformed frames are logged once per key (peer address, kind of
problem) per interval, and at most ``burst`` distinct keys per interval overall; what is
suppressed is counted and reported with the next line that gets through. The table of
keys is bounded, so a peer that varies its address cannot grow it either.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

__all__ = ["RateLimitedLog"]


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, interval: float = 60.0, burst: int = 20,
                 max_keys: int = 4096) -> None:
        self.logger = logger
        self.interval = interval
        self.burst = burst
        self.max_keys = max_keys
        self._seen: OrderedDict[object, float] = OrderedDict()
        self._window_start = 0.0
        self._window_count = 0
        self._suppressed = 0
        self._lock = threading.Lock()  # used from the event loop, the network thread and the ZAP thread

    def log(self, level: int, key: object, message: str, *args: object, exc_info: bool = False) -> bool:
        """Log ``message % args`` unless ``key`` was logged within the interval or the
        burst is used up; returns whether it was logged."""
        now = time.monotonic()
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last < self.interval:
                self._suppressed += 1
                return False
            if now - self._window_start >= self.interval:
                self._window_start, self._window_count = now, 0
            if self._window_count >= self.burst:
                self._suppressed += 1
                return False
            self._window_count += 1
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            suppressed, self._suppressed = self._suppressed, 0
        if suppressed:
            message += " (%d similar message(s) suppressed)"
            args = (*args, suppressed)
        self.logger.log(level, message, *args, exc_info=exc_info)
        return True

    def warning(self, key: object, message: str, *args: object) -> bool:
        return self.log(logging.WARNING, key, message, *args)
