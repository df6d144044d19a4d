"""Window assigners: which windows an element belongs to, and each one's default trigger."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from runtime.common.time import Time
from runtime.common.windowing import MAX_LONG, CountWindow, GlobalWindow, TimeWindow, Window, _ms
from runtime.datastream.window.serializers import (
    CountWindowSerializer,
    GlobalWindowSerializer,
    TimeWindowSerializer,
)
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


T = TypeVar("T")
W = TypeVar("W", bound=Window)
W2 = TypeVar("W2")


class WindowAssigner(ABC, Generic[T, W]):
    """Which windows an element belongs to (PyFlink's ``WindowAssigner[T, W]``)."""

    class WindowAssignerContext(ABC):
        @abstractmethod
        def get_current_processing_time(self) -> int: ...

        @abstractmethod
        def get_runtime_context(self) -> Any: ...

    @abstractmethod
    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]: ...

    @abstractmethod
    def get_default_trigger(self, env: Any) -> Trigger: ...

    def get_window_serializer(self) -> Any:
        """The serializer of this assigner's windows (PyFlink ships windows to Java with it;
        windows here are plain picklable Python objects, so it is informational)."""
        return TimeWindowSerializer()

    @abstractmethod
    def is_event_time(self) -> bool: ...


class MergingWindowAssigner(WindowAssigner[T, W]):
    """An assigner whose windows merge (sessions): ``merge_windows(windows, callback)`` calls
    ``callback.merge(to_be_merged, merge_result)`` for every group that merges."""

    class MergeCallback(ABC, Generic[W2]):
        @abstractmethod
        def merge(self, to_be_merged: Iterable[W2], merge_result: W2) -> None: ...

    def merge_windows(self, windows: Iterable[W], callback: MergingWindowAssigner.MergeCallback[W]) -> None:
        """Merge overlapping time windows (Flink's rule, ``TimeWindow.merge_windows``)."""
        TimeWindow.merge_windows(windows, callback)


class TumblingEventTimeWindows(WindowAssigner[T, TimeWindow]):
    def __init__(self, size: int, offset: int) -> None:
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

    def get_default_trigger(self, env):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"TumblingEventTimeWindows({self.size})"


class TumblingProcessingTimeWindows(TumblingEventTimeWindows[T]):
    @staticmethod
    def of(size: Time, offset: Time | None = None) -> TumblingProcessingTimeWindows:
        return TumblingProcessingTimeWindows(_ms(size), _ms(offset))

    def assign_windows(self, element, timestamp, context):
        now = context.get_current_processing_time()
        start = TimeWindow.get_window_start_with_offset(now, self.offset, self.size)
        return [TimeWindow(start, start + self.size)]

    def get_default_trigger(self, env):
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"TumblingProcessingTimeWindows({self.size})"


class SlidingEventTimeWindows(WindowAssigner[T, TimeWindow]):
    def __init__(self, size: int, slide: int, offset: int) -> None:
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

    def get_default_trigger(self, env):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"SlidingEventTimeWindows({self.size}, {self.slide})"


class SlidingProcessingTimeWindows(SlidingEventTimeWindows[T]):
    @staticmethod
    def of(size: Time, slide: Time, offset: Time | None = None) -> SlidingProcessingTimeWindows:
        return SlidingProcessingTimeWindows(_ms(size), _ms(slide), _ms(offset))

    def assign_windows(self, element, timestamp, context):
        return self._windows(context.get_current_processing_time())

    def get_default_trigger(self, env):
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"SlidingProcessingTimeWindows({self.size}, {self.slide})"


class SessionWindowTimeGapExtractor(ABC):
    """The gap of the session an element opens (``with_dynamic_gap``)."""

    @abstractmethod
    def extract(self, element: Any) -> int: ...


def _session_gap(size: Any) -> int:
    gap = _ms(size)
    if gap <= 0:
        raise ValueError("a session gap must be positive")
    return gap


class EventTimeSessionWindows(MergingWindowAssigner[T, TimeWindow]):
    """Sessions of event time: an element opens [t, t + gap); overlapping sessions merge."""

    def __init__(self, session_gap: int) -> None:
        self.gap = session_gap

    @staticmethod
    def with_gap(size: Time) -> EventTimeSessionWindows:
        return EventTimeSessionWindows(_session_gap(size))

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> DynamicEventTimeSessionWindows:
        return DynamicEventTimeSessionWindows(extractor)

    def assign_windows(self, element, timestamp, context):
        _require_timestamp(timestamp)
        return [TimeWindow(timestamp, timestamp + self.gap)]

    def get_default_trigger(self, env):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"EventTimeSessionWindows({self.gap})"


class ProcessingTimeSessionWindows(MergingWindowAssigner[T, TimeWindow]):
    """Sessions of processing time."""

    def __init__(self, session_gap: int) -> None:
        self.gap = session_gap

    @staticmethod
    def with_gap(size: Time) -> ProcessingTimeSessionWindows:
        return ProcessingTimeSessionWindows(_session_gap(size))

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> DynamicProcessingTimeSessionWindows:
        return DynamicProcessingTimeSessionWindows(extractor)

    def assign_windows(self, element, timestamp, context):
        now = context.get_current_processing_time()
        return [TimeWindow(now, now + self.gap)]

    def get_default_trigger(self, env):
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"ProcessingTimeSessionWindows({self.gap})"


def _dynamic_gap(extractor: Any, element: Any) -> int:
    gap = _ms(extractor.extract(element) if hasattr(extractor, "extract") else extractor(element))
    if gap <= 0:
        raise ValueError(f"dynamic session gap must be positive, got {gap}")
    return gap


class DynamicEventTimeSessionWindows(MergingWindowAssigner[T, TimeWindow]):
    """Event-time sessions whose gap the extractor computes per element."""

    def __init__(self, session_window_time_gap_extractor: SessionWindowTimeGapExtractor) -> None:
        self.extractor = session_window_time_gap_extractor

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> DynamicEventTimeSessionWindows:
        return DynamicEventTimeSessionWindows(extractor)

    def assign_windows(self, element, timestamp, context):
        _require_timestamp(timestamp)
        return [TimeWindow(timestamp, timestamp + _dynamic_gap(self.extractor, element))]

    def get_default_trigger(self, env):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "DynamicEventTimeSessionWindows()"


class DynamicProcessingTimeSessionWindows(MergingWindowAssigner[T, TimeWindow]):
    """Processing-time sessions whose gap the extractor computes per element."""

    def __init__(self, session_window_time_gap_extractor: SessionWindowTimeGapExtractor) -> None:
        self.extractor = session_window_time_gap_extractor

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> DynamicProcessingTimeSessionWindows:
        return DynamicProcessingTimeSessionWindows(extractor)

    def assign_windows(self, element, timestamp, context):
        now = context.get_current_processing_time()
        return [TimeWindow(now, now + _dynamic_gap(self.extractor, element))]

    def get_default_trigger(self, env):
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "DynamicProcessingTimeSessionWindows()"


class GlobalWindows(WindowAssigner[T, GlobalWindow]):
    def __init__(self) -> None:
        pass

    @staticmethod
    def create() -> GlobalWindows:
        return GlobalWindows()

    def assign_windows(self, element, timestamp, context):
        return [GlobalWindow()]

    def get_default_trigger(self, env):
        return NeverTrigger()

    def get_window_serializer(self) -> Any:
        return GlobalWindowSerializer()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "GlobalWindows()"


class CountTumblingWindowAssigner(WindowAssigner[T, CountWindow]):
    """``count_window(size)``: the n-th element of a key goes to window n // size."""

    def __init__(self, window_size: int) -> None:
        if window_size <= 0:
            raise ValueError("count window size must be positive")
        self.size = window_size

    @staticmethod
    def of(window_size: int) -> CountTumblingWindowAssigner:
        return CountTumblingWindowAssigner(window_size)

    def assign_windows(self, element, timestamp, context):
        n = context.next_count()
        return [CountWindow(n // self.size)]

    def get_default_trigger(self, env):
        return PurgingTrigger(CountTrigger(self.size))

    def get_window_serializer(self) -> Any:
        return CountWindowSerializer()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"CountTumblingWindowAssigner({self.size})"


class CountSlidingWindowAssigner(WindowAssigner[T, CountWindow]):
    """``count_window(size, slide)``: window k holds a key's elements k*slide ..
    k*slide+size-1 and fires once it is full, i.e. full windows every ``slide`` elements."""

    def __init__(self, window_size: int, window_slide: int) -> None:
        if window_size <= 0 or window_slide <= 0:
            raise ValueError("count window size and slide must be positive")
        self.size = window_size
        self.slide = window_slide

    @staticmethod
    def of(window_size: int, window_slide: int) -> CountSlidingWindowAssigner:
        return CountSlidingWindowAssigner(window_size, window_slide)

    def assign_windows(self, element, timestamp, context):
        n = context.next_count()
        last = n // self.slide
        first = max(0, -(-(n - self.size + 1) // self.slide))
        return [CountWindow(k) for k in range(first, last + 1)]

    def get_default_trigger(self, env):
        return PurgingTrigger(CountTrigger(self.size))

    def get_window_serializer(self) -> Any:
        return CountWindowSerializer()

    def is_event_time(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"CountSlidingWindowAssigner({self.size}, {self.slide})"


