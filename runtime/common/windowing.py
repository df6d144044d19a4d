"""Window types (TimeWindow, CountWindow, GlobalWindow) and TriggerResult.

Shared by the window API (``runtime.datastream.window``, which re-exports them under
PyFlink's names) and the WindowOperator, so they live below both, as Flink keeps the types
it shares between API and runtime in its core module.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any

MAX_LONG = 2**63 - 1


def _ms(t: Any) -> int:
    """Milliseconds of a Time/Duration (or a plain number of ms)."""
    if t is None:
        return 0
    if hasattr(t, "to_milliseconds"):
        return int(t.to_milliseconds())
    return int(t)


class Window(ABC):
    @abstractmethod
    def max_timestamp(self) -> int: ...


class TimeWindow(tuple, Window):
    """A [start, end) interval of time. A tuple underneath, so hashing and comparing windows
    (done per record when windows are dict keys) runs at C speed."""

    __slots__ = ()

    def __new__(cls, start: int, end: int) -> TimeWindow:
        return tuple.__new__(cls, (start, end))

    def __getnewargs__(self) -> tuple[int, int]:
        return (self[0], self[1])

    @property
    def start(self) -> int:
        return self[0]

    @property
    def end(self) -> int:
        return self[1]

    def max_timestamp(self) -> int:
        return self[1] - 1

    def intersects(self, other: TimeWindow) -> bool:
        return self[0] <= other[1] and self[1] >= other[0]

    def cover(self, other: TimeWindow) -> TimeWindow:
        return TimeWindow(min(self[0], other[0]), max(self[1], other[1]))

    @staticmethod
    def get_window_start_with_offset(timestamp: int, offset: int, window_size: int) -> int:
        return timestamp - (timestamp - offset + window_size) % window_size

    @staticmethod
    def merge_windows(windows: Any, callback: Any) -> None:
        """Flink's merge rule for time windows: sort by start, grow a group while the next
        window intersects it, and call ``callback.merge(members, cover)`` for each group of
        more than one window."""
        groups: list[tuple[list[TimeWindow], TimeWindow]] = []
        for w in sorted(windows, key=lambda w: w[0]):
            if groups and groups[-1][1].intersects(w):
                members, cover = groups[-1]
                members.append(w)
                groups[-1] = (members, cover.cover(w))
            else:
                groups.append(([w], w))
        for members, cover in groups:
            if len(members) > 1:
                callback.merge(members, cover)

    def __repr__(self) -> str:
        return f"TimeWindow(start={self[0]}, end={self[1]})"


class CountWindow(Window):
    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        self.id = id

    def max_timestamp(self) -> int:
        return MAX_LONG

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CountWindow) and self.id == other.id

    def __hash__(self) -> int:
        return hash(("count", self.id))

    def __lt__(self, other: CountWindow) -> bool:
        return self.id < other.id

    def __repr__(self) -> str:
        return f"CountWindow(id={self.id})"


class GlobalWindow(Window):
    _instance: GlobalWindow | None = None

    def __new__(cls) -> GlobalWindow:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @staticmethod
    def get() -> GlobalWindow:
        return GlobalWindow()

    def max_timestamp(self) -> int:
        return MAX_LONG

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GlobalWindow)

    def __hash__(self) -> int:
        return hash("GlobalWindow")

    def __lt__(self, other: object) -> bool:
        return False

    def __reduce__(self):
        return (GlobalWindow, ())

    def __repr__(self) -> str:
        return "GlobalWindow"


class TriggerResult(Enum):
    CONTINUE = (False, False)
    FIRE_AND_PURGE = (True, True)
    FIRE = (True, False)
    PURGE = (False, True)

    def is_fire(self) -> bool:
        return self.value[0]

    def is_purge(self) -> bool:
        return self.value[1]
