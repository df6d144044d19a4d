"""Windows, assigners and triggers, named as PyFlink's ``pyflink.datastream.window``.

Assigners say which windows an element belongs to; triggers say when a window's contents
are evaluated (FIRE) and/or discarded (PURGE). The WindowOperator
(``runtime.streaming.window_operator``) runs them per key, keeps window contents as keyed
state and uses the keyed timer service for event- and processing-time triggers.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any, Iterable

from runtime.common.time import Time

MAX_LONG = 2**63 - 1


def _ms(t: Any) -> int:
    if t is None:
        return 0
    if hasattr(t, "to_milliseconds"):
        return int(t.to_milliseconds())
    return int(t)


# ------------------------------------------------------------------------------- windows
class Window(ABC):
    @abstractmethod
    def max_timestamp(self) -> int: ...


class TimeWindow(Window):
    __slots__ = ("start", "end")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def max_timestamp(self) -> int:
        return self.end - 1

    def intersects(self, other: "TimeWindow") -> bool:
        return self.start <= other.end and self.end >= other.start

    def cover(self, other: "TimeWindow") -> "TimeWindow":
        return TimeWindow(min(self.start, other.start), max(self.end, other.end))

    @staticmethod
    def get_window_start_with_offset(timestamp: int, offset: int, window_size: int) -> int:
        return timestamp - (timestamp - offset + window_size) % window_size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeWindow) and self.start == other.start and self.end == other.end

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __lt__(self, other: "TimeWindow") -> bool:
        return (self.start, self.end) < (other.start, other.end)

    def __repr__(self) -> str:
        return f"TimeWindow(start={self.start}, end={self.end})"


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

    def __lt__(self, other: "CountWindow") -> bool:
        return self.id < other.id

    def __repr__(self) -> str:
        return f"CountWindow(id={self.id})"


class GlobalWindow(Window):
    _instance: "GlobalWindow | None" = None

    def __new__(cls) -> "GlobalWindow":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @staticmethod
    def get() -> "GlobalWindow":
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


# ------------------------------------------------------------------------------- triggers
class TriggerResult(Enum):
    CONTINUE = (False, False)
    FIRE_AND_PURGE = (True, True)
    FIRE = (True, False)
    PURGE = (False, True)

    def is_fire(self) -> bool:
        return self.value[0]

    def is_purge(self) -> bool:
        return self.value[1]


class Trigger(ABC):
    class TriggerContext(ABC):
        """What a trigger may do: timers, watermark, per-window state."""

    class OnMergeContext(TriggerContext):
        pass

    @abstractmethod
    def on_element(self, element: Any, timestamp: int, window: Window, ctx: Any) -> TriggerResult: ...

    @abstractmethod
    def on_processing_time(self, time: int, window: Window, ctx: Any) -> TriggerResult: ...

    @abstractmethod
    def on_event_time(self, time: int, window: Window, ctx: Any) -> TriggerResult: ...

    def can_merge(self) -> bool:
        return False

    def on_merge(self, window: Window, ctx: Any) -> None:
        raise RuntimeError("this trigger does not support merging windows")

    @abstractmethod
    def clear(self, window: Window, ctx: Any) -> None: ...


class EventTimeTrigger(Trigger):
    """Fires once the watermark passes the window's end (at once for late elements)."""

    @staticmethod
    def create() -> "EventTimeTrigger":
        return EventTimeTrigger()

    def on_element(self, element, timestamp, window, ctx):
        if window.max_timestamp() <= ctx.get_current_watermark():
            return TriggerResult.FIRE
        ctx.register_event_time_timer(window.max_timestamp())
        return TriggerResult.CONTINUE

    def on_event_time(self, time, window, ctx):
        return TriggerResult.FIRE if time == window.max_timestamp() else TriggerResult.CONTINUE

    def on_processing_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window, ctx) -> None:
        if window.max_timestamp() > ctx.get_current_watermark():
            ctx.register_event_time_timer(window.max_timestamp())

    def clear(self, window, ctx) -> None:
        ctx.delete_event_time_timer(window.max_timestamp())

    def __repr__(self) -> str:
        return "EventTimeTrigger()"


class ProcessingTimeTrigger(Trigger):
    @staticmethod
    def create() -> "ProcessingTimeTrigger":
        return ProcessingTimeTrigger()

    def on_element(self, element, timestamp, window, ctx):
        ctx.register_processing_time_timer(window.max_timestamp())
        return TriggerResult.CONTINUE

    def on_event_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def on_processing_time(self, time, window, ctx):
        return TriggerResult.FIRE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window, ctx) -> None:
        if window.max_timestamp() > ctx.get_current_processing_time():
            ctx.register_processing_time_timer(window.max_timestamp())

    def clear(self, window, ctx) -> None:
        ctx.delete_processing_time_timer(window.max_timestamp())

    def __repr__(self) -> str:
        return "ProcessingTimeTrigger()"


class CountTrigger(Trigger):
    """Fires when the window holds ``count`` elements (since its last firing)."""

    def __init__(self, count: int) -> None:
        self.count = count
        from runtime.datastream.state import ReducingStateDescriptor
        self._desc = ReducingStateDescriptor("count", lambda a, b: a + b)

    @staticmethod
    def of(count: int) -> "CountTrigger":
        return CountTrigger(count)

    def on_element(self, element, timestamp, window, ctx):
        state = ctx.get_partitioned_state(self._desc)
        state.add(1)
        if state.get() >= self.count:
            state.clear()
            return TriggerResult.FIRE
        return TriggerResult.CONTINUE

    def on_event_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def on_processing_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window, ctx) -> None:
        ctx.merge_partitioned_state(self._desc)

    def clear(self, window, ctx) -> None:
        ctx.get_partitioned_state(self._desc).clear()

    def __repr__(self) -> str:
        return f"CountTrigger({self.count})"


class PurgingTrigger(Trigger):
    """Turns every FIRE of the nested trigger into FIRE_AND_PURGE."""

    def __init__(self, nested_trigger: Trigger) -> None:
        self.nested_trigger = nested_trigger

    @staticmethod
    def of(nested_trigger: Trigger) -> "PurgingTrigger":
        return PurgingTrigger(nested_trigger)

    @staticmethod
    def _purge(result: TriggerResult) -> TriggerResult:
        return TriggerResult.FIRE_AND_PURGE if result.is_fire() else result

    def on_element(self, element, timestamp, window, ctx):
        return self._purge(self.nested_trigger.on_element(element, timestamp, window, ctx))

    def on_event_time(self, time, window, ctx):
        return self._purge(self.nested_trigger.on_event_time(time, window, ctx))

    def on_processing_time(self, time, window, ctx):
        return self._purge(self.nested_trigger.on_processing_time(time, window, ctx))

    def can_merge(self) -> bool:
        return self.nested_trigger.can_merge()

    def on_merge(self, window, ctx) -> None:
        self.nested_trigger.on_merge(window, ctx)

    def clear(self, window, ctx) -> None:
        self.nested_trigger.clear(window, ctx)

    def __repr__(self) -> str:
        return f"PurgingTrigger({self.nested_trigger!r})"


class ContinuousEventTimeTrigger(Trigger):
    """Fires every ``interval`` of event time within the window, and at its end."""

    def __init__(self, interval: int) -> None:
        self.interval = interval
        from runtime.datastream.state import ReducingStateDescriptor
        self._desc = ReducingStateDescriptor("fire-time", min)

    @staticmethod
    def of(interval: Any) -> "ContinuousEventTimeTrigger":
        return ContinuousEventTimeTrigger(_ms(interval))

    def on_element(self, element, timestamp, window, ctx):
        if window.max_timestamp() <= ctx.get_current_watermark():
            return TriggerResult.FIRE
        ctx.register_event_time_timer(window.max_timestamp())
        state = ctx.get_partitioned_state(self._desc)
        if state.get() is None:
            start = timestamp - (timestamp % self.interval)
            next_fire = start + self.interval
            ctx.register_event_time_timer(next_fire)
            state.add(next_fire)
        return TriggerResult.CONTINUE

    def on_event_time(self, time, window, ctx):
        if time == window.max_timestamp():
            return TriggerResult.FIRE
        state = ctx.get_partitioned_state(self._desc)
        fire = state.get()
        if fire is not None and fire == time:
            state.clear()
            state.add(time + self.interval)
            ctx.register_event_time_timer(time + self.interval)
            return TriggerResult.FIRE
        return TriggerResult.CONTINUE

    def on_processing_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window, ctx) -> None:
        ctx.merge_partitioned_state(self._desc)
        fire = ctx.get_partitioned_state(self._desc).get()
        if fire is not None:
            ctx.register_event_time_timer(fire)

    def clear(self, window, ctx) -> None:
        state = ctx.get_partitioned_state(self._desc)
        fire = state.get()
        if fire is not None:
            ctx.delete_event_time_timer(fire)
        state.clear()

    def __repr__(self) -> str:
        return f"ContinuousEventTimeTrigger({self.interval})"


class ContinuousProcessingTimeTrigger(Trigger):
    """Fires every ``interval`` of processing time while the window is open."""

    def __init__(self, interval: int) -> None:
        self.interval = interval
        from runtime.datastream.state import ReducingStateDescriptor
        self._desc = ReducingStateDescriptor("fire-time", min)

    @staticmethod
    def of(interval: Any) -> "ContinuousProcessingTimeTrigger":
        return ContinuousProcessingTimeTrigger(_ms(interval))

    def on_element(self, element, timestamp, window, ctx):
        state = ctx.get_partitioned_state(self._desc)
        if state.get() is None:
            now = ctx.get_current_processing_time()
            next_fire = now - (now % self.interval) + self.interval
            ctx.register_processing_time_timer(next_fire)
            state.add(next_fire)
        return TriggerResult.CONTINUE

    def on_event_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def on_processing_time(self, time, window, ctx):
        state = ctx.get_partitioned_state(self._desc)
        fire = state.get()
        if fire is not None and fire == time:
            state.clear()
            state.add(time + self.interval)
            ctx.register_processing_time_timer(time + self.interval)
            return TriggerResult.FIRE
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window, ctx) -> None:
        ctx.merge_partitioned_state(self._desc)
        fire = ctx.get_partitioned_state(self._desc).get()
        if fire is not None:
            ctx.register_processing_time_timer(fire)

    def clear(self, window, ctx) -> None:
        state = ctx.get_partitioned_state(self._desc)
        fire = state.get()
        if fire is not None:
            ctx.delete_processing_time_timer(fire)
        state.clear()

    def __repr__(self) -> str:
        return f"ContinuousProcessingTimeTrigger({self.interval})"


class NeverTrigger(Trigger):
    """GlobalWindows' default: never fires by itself (use another trigger)."""

    def on_element(self, element, timestamp, window, ctx):
        return TriggerResult.CONTINUE

    def on_event_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def on_processing_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window, ctx) -> None:
        pass

    def clear(self, window, ctx) -> None:
        pass


# ------------------------------------------------------------------------------- assigners
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
    def of(size: Time, offset: Time | None = None) -> "TumblingEventTimeWindows":
        return TumblingEventTimeWindows(_ms(size), _ms(offset))

    def assign_windows(self, element, timestamp, context):
        if timestamp is None or timestamp <= -MAX_LONG:
            raise ValueError("record has no timestamp: use assign_timestamps_and_watermarks (or a WatermarkStrategy "
                             "on the source) before an event-time window")
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
    def of(size: Time, offset: Time | None = None) -> "TumblingProcessingTimeWindows":
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
    def of(size: Time, slide: Time, offset: Time | None = None) -> "SlidingEventTimeWindows":
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
        if timestamp is None or timestamp <= -MAX_LONG:
            raise ValueError("record has no timestamp: use assign_timestamps_and_watermarks (or a WatermarkStrategy "
                             "on the source) before an event-time window")
        return self._windows(timestamp)

    def get_default_trigger(self, env=None):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"SlidingEventTimeWindows({self.size}, {self.slide})"


class SlidingProcessingTimeWindows(SlidingEventTimeWindows):
    @staticmethod
    def of(size: Time, slide: Time, offset: Time | None = None) -> "SlidingProcessingTimeWindows":
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
    def with_gap(size: Time) -> "EventTimeSessionWindows":
        gap = _ms(size)
        if gap <= 0:
            raise ValueError("a session gap must be positive")
        return EventTimeSessionWindows(gap)

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> "EventTimeSessionWindows":
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
        if timestamp is None or timestamp <= -MAX_LONG:
            raise ValueError("record has no timestamp: use assign_timestamps_and_watermarks (or a WatermarkStrategy "
                             "on the source) before an event-time window")
        return [TimeWindow(timestamp, timestamp + self._gap(element))]

    def get_default_trigger(self, env=None):
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"EventTimeSessionWindows({self.gap})"


class ProcessingTimeSessionWindows(EventTimeSessionWindows):
    @staticmethod
    def with_gap(size: Time) -> "ProcessingTimeSessionWindows":
        gap = _ms(size)
        if gap <= 0:
            raise ValueError("a session gap must be positive")
        return ProcessingTimeSessionWindows(gap)

    @staticmethod
    def with_dynamic_gap(extractor: SessionWindowTimeGapExtractor) -> "ProcessingTimeSessionWindows":
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
    def create() -> "GlobalWindows":
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
    def of(window_size: int) -> "CountTumblingWindowAssigner":
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
    def of(window_size: int, window_slide: int) -> "CountSlidingWindowAssigner":
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


# ------------------------------------------------------------------------------- functions
class WindowFunction(ABC):
    @abstractmethod
    def apply(self, key: Any, window: Window, inputs: Iterable[Any]) -> Iterable[Any]: ...

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


class AllWindowFunction(ABC):
    @abstractmethod
    def apply(self, window: Window, inputs: Iterable[Any]) -> Iterable[Any]: ...

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessWindowFunction(ABC):
    class Context(ABC):
        @abstractmethod
        def window(self) -> Window: ...

        @abstractmethod
        def current_processing_time(self) -> int: ...

        @abstractmethod
        def current_watermark(self) -> int: ...

        @abstractmethod
        def window_state(self) -> Any: ...

        @abstractmethod
        def global_state(self) -> Any: ...

    @abstractmethod
    def process(self, key: Any, context: "ProcessWindowFunction.Context", elements: Iterable[Any]) -> Iterable[Any]: ...

    def clear(self, context: "ProcessWindowFunction.Context") -> None:
        pass

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessAllWindowFunction(ABC):
    class Context(ProcessWindowFunction.Context, ABC):
        pass

    @abstractmethod
    def process(self, context: "ProcessAllWindowFunction.Context", elements: Iterable[Any]) -> Iterable[Any]: ...

    def clear(self, context: Any) -> None:
        pass

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass


__all__ = [
    "Window", "TimeWindow", "CountWindow", "GlobalWindow", "TriggerResult", "Trigger", "EventTimeTrigger",
    "ProcessingTimeTrigger", "CountTrigger", "PurgingTrigger", "ContinuousEventTimeTrigger",
    "ContinuousProcessingTimeTrigger", "WindowAssigner", "MergingWindowAssigner", "TumblingEventTimeWindows",
    "TumblingProcessingTimeWindows", "SlidingEventTimeWindows", "SlidingProcessingTimeWindows",
    "EventTimeSessionWindows", "ProcessingTimeSessionWindows", "SessionWindowTimeGapExtractor", "GlobalWindows",
    "CountTumblingWindowAssigner", "CountSlidingWindowAssigner", "WindowFunction", "AllWindowFunction",
    "ProcessWindowFunction", "ProcessAllWindowFunction", "Time",
]
