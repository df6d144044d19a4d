"""Window assigners: which windows an element belongs to, and each one's default trigger."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from runtime.common.time import Time
from runtime.common.windowing import MAX_LONG, CountWindow, GlobalWindow, TimeWindow, Window, _ms
from runtime.datastream.window.triggers import (
    CountTrigger,
    EventTimeTrigger,
    NeverTrigger,
    ProcessingTimeTrigger,
    PurgingTrigger,
    Trigger,
)


def _require_timestamp(timestamp: Any) -> None:
    if timestamp is None or timestamp <= -MAX_LONG:
        raise ValueError("record has no timestamp: use assign_timestamps_and_watermarks (or a WatermarkStrategy "
                         "on the source) before an event-time window")


class WindowAssigner(ABC):
    class WindowAssignerContext(ABC):
        @abstractmethod
        def get_current_processing_time(self) -> int: ...

    @abstractmethod
    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]: ...

    @abstractmethod
    def get_default_trigger(self, env: Any = None) -> Trigger: ...

    @abstractmethod
    def is_event_time(self) -> bool: ...


class MergingWindowAssigner(WindowAssigner):
    def merge_windows(self, windows: Iterable[TimeWindow]) -> list[tuple[list[TimeWindow], TimeWindow]]:
        """Groups of overlapping windows and the window covering each group (Flink's rule:
        sort by start, merge a window into the current group while it intersects)."""
        ordered = sorted(windows, key=lambda w: w.start)
        merged: list[tuple[list[TimeWindow], TimeWindow]] = []
        for w in ordered:
            if merged and merged[-1][1].intersects(w):
                members, cover = merged[-1]
                members.append(w)
                merged[-1] = (members, cover.cover(w))
            else:
                merged.append(([w], w))
        return merged


class TumblingEventTimeWindows(WindowAssigner):
    def __init__(self, size: int, offset: int = 0) -> None:
        if size <= 0 or abs(offset) >= size:
            raise ValueError("TumblingEventTimeWindows need 0 < size and |offset| < size")
        self.size = size
        self.offset = offset

    @staticmethod
    def of(size: Time, offset: Time | None = None) -> TumblingEventTimeWindows:
        return TumblingEventTimeWindows(_ms(size), _ms(offset))

    def assign_windows(self, element, timestamp, context):
        _require_timestamp(timestamp)
        start = TimeWindow.get_window_start_with_offset(timestamp, self.offset, self.size)
        return [TimeWindow(start, start + self.size)]

    def get_default_trigger(self, env=None):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"TumblingEventTimeWindows({self.size})"


class TumblingProcessingTimeWindows(TumblingEventTimeWindows):
    @staticmethod
    def of(size: Time, offset: Time | None = None) -> TumblingProcessingTimeWindows:
        return TumblingProcessingTimeWindows(_ms(size), _ms(offset))

    def assign_windows(self, element, timestamp, context):
        now = context.get_current_processing_time()
        start = TimeWindow.get_window_start_with_offset(now, self.offset, self.size)
        return [TimeWindow(start, start + self.size)]

    def get_default_trigger(self, env=None):
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"TumblingProcessingTimeWindows({self.size})"


class SlidingEventTimeWindows(WindowAssigner):
    def __init__(self, size: int, slide: int, offset: int = 0) -> None:
        if size <= 0 or slide <= 0 or abs(offset) >= slide:
            raise ValueError("SlidingEventTimeWindows need 0 < size, 0 < slide and |offset| < slide")
        self.size = size
        self.slide = slide
        self.offset = offset

    @staticmethod
    def of(size: Time, slide: Time, offset: Time | None = None) -> SlidingEventTimeWindows:
        return SlidingEventTimeWindows(_ms(size), _ms(slide), _ms(offset))

    def _windows(self, timestamp: int) -> list[TimeWindow]:
        last_start = TimeWindow.get_window_start_with_offset(timestamp, self.offset, self.slide)
        out = []
        start = last_start
        while start > timestamp - self.size:
            out.append(TimeWindow(start, start + self.size))
            start -= self.slide
        return out

    def assign_windows(self, element, timestamp, context):
        _require_timestamp(timestamp)
        return self._windows(timestamp)

    def get_default_trigger(self, env=None):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"SlidingEventTimeWindows({self.size}, {self.slide})"


class SlidingProcessingTimeWindows(SlidingEventTimeWindows):
    @staticmethod
    def of(size: Time, slide: Time, offset: Time | None = None) -> SlidingProcessingTimeWindows:
        return SlidingProcessingTimeWindows(_ms(size), _ms(slide), _ms(offset))

    def assign_windows(self, element, timestamp, context):
        return self._windows(context.get_current_processing_time())

    def get_default_trigger(self, env=None):
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"SlidingProcessingTimeWindows({self.size}, {self.slide})"


class SessionWindowTimeGapExtractor(ABC):
    @abstractmethod
    def extract(self, element: Any) -> int: ...


class EventTimeSessionWindows(MergingWindowAssigner):
    def __init__(self, gap: int = 0, extractor: Any = None) -> None:
        self.gap = gap
        self.extractor = extractor

    @staticmethod
    def with_gap(size: Time) -> EventTimeSessionWindows:
        gap = _ms(size)
        if gap <= 0:
            raise ValueError("a session gap must be positive")
        return EventTimeSessionWindows(gap)

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> EventTimeSessionWindows:
        return EventTimeSessionWindows(0, extractor)

    def _gap(self, element: Any) -> int:
        if self.extractor is None:
            return self.gap
        ex = self.extractor
        gap = _ms(ex.extract(element) if hasattr(ex, "extract") else ex(element))
        if gap <= 0:
            raise ValueError(f"dynamic session gap must be positive, got {gap}")
        return gap

    def assign_windows(self, element, timestamp, context):
        _require_timestamp(timestamp)
        return [TimeWindow(timestamp, timestamp + self._gap(element))]

    def get_default_trigger(self, env=None):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"EventTimeSessionWindows({self.gap})"


class ProcessingTimeSessionWindows(EventTimeSessionWindows):
    @staticmethod
    def with_gap(size: Time) -> ProcessingTimeSessionWindows:
        gap = _ms(size)
        if gap <= 0:
            raise ValueError("a session gap must be positive")
        return ProcessingTimeSessionWindows(gap)

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> ProcessingTimeSessionWindows:
        return ProcessingTimeSessionWindows(0, extractor)

    def assign_windows(self, element, timestamp, context):
        now = context.get_current_processing_time()
        return [TimeWindow(now, now + self._gap(element))]

    def get_default_trigger(self, env=None):
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"ProcessingTimeSessionWindows({self.gap})"


class GlobalWindows(WindowAssigner):
    @staticmethod
    def create() -> GlobalWindows:
        return GlobalWindows()

    def assign_windows(self, element, timestamp, context):
        return [GlobalWindow()]

    def get_default_trigger(self, env=None):
        return NeverTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "GlobalWindows()"


class CountTumblingWindowAssigner(WindowAssigner):
    """``count_window(size)``: the n-th element of a key goes to window n // size."""

    def __init__(self, size: int) -> None:
        if size <= 0:
            raise ValueError("count window size must be positive")
        self.size = size

    @staticmethod
    def of(window_size: int) -> CountTumblingWindowAssigner:
        return CountTumblingWindowAssigner(window_size)

    def assign_windows(self, element, timestamp, context):
        n = context.next_count()
        return [CountWindow(n // self.size)]

    def get_default_trigger(self, env=None):
        return PurgingTrigger(CountTrigger(self.size))

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"CountTumblingWindowAssigner({self.size})"


class CountSlidingWindowAssigner(WindowAssigner):
    """``count_window(size, slide)``: window k holds a key's elements k*slide ..
    k*slide+size-1 and fires once it is full, i.e. full windows every ``slide`` elements."""

    def __init__(self, size: int, slide: int) -> None:
        if size <= 0 or slide <= 0:
            raise ValueError("count window size and slide must be positive")
        self.size = size
        self.slide = slide

    @staticmethod
    def of(window_size: int, window_slide: int) -> CountSlidingWindowAssigner:
        return CountSlidingWindowAssigner(window_size, window_slide)

    def assign_windows(self, element, timestamp, context):
        n = context.next_count()
        last = n // self.slide
        first = max(0, -(-(n - self.size + 1) // self.slide))
        return [CountWindow(k) for k in range(first, last + 1)]

    def get_default_trigger(self, env=None):
        return PurgingTrigger(CountTrigger(self.size))

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"CountSlidingWindowAssigner({self.size}, {self.slide})"


