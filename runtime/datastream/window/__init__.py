"""Windows, assigners and triggers, named as PyFlink's ``pyflink.datastream.window``.

Assigners say which windows an element belongs to; triggers say when a window's contents
are evaluated (FIRE) and/or discarded (PURGE). The WindowOperator
(``runtime.streaming.window_operator``) runs them per key, keeps window contents as keyed
state and uses the keyed timer service for event- and processing-time triggers.
"""
from runtime.common.time import Time
from runtime.datastream.window.assigners import (
    CountSlidingWindowAssigner,
    CountTumblingWindowAssigner,
    DynamicEventTimeSessionWindows,
    DynamicProcessingTimeSessionWindows,
    EventTimeSessionWindows,
    GlobalWindows,
    MergingWindowAssigner,
    ProcessingTimeSessionWindows,
    SessionWindowTimeGapExtractor,
    SlidingEventTimeWindows,
    SlidingProcessingTimeWindows,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
    WindowAssigner,
)
from runtime.datastream.window.functions import (
    AllWindowFunction,
    Min,
    ProcessAllWindowFunction,
    ProcessWindowFunction,
    WindowFunction,
)
from runtime.datastream.window.serializers import CountWindowSerializer, GlobalWindowSerializer, TimeWindowSerializer
from runtime.datastream.window.triggers import (
    ContinuousEventTimeTrigger,
    ContinuousProcessingTimeTrigger,
    CountTrigger,
    EventTimeTrigger,
    NeverTrigger,
    ProcessingTimeTrigger,
    PurgingTrigger,
    Trigger,
    TriggerResult,
)
from runtime.datastream.window.windows import MAX_LONG, CountWindow, GlobalWindow, TimeWindow, Window

__all__ = [
    "Window", "TimeWindow", "CountWindow", "GlobalWindow", "TriggerResult", "Trigger", "EventTimeTrigger",
    "ProcessingTimeTrigger", "CountTrigger", "PurgingTrigger", "ContinuousEventTimeTrigger",
    "ContinuousProcessingTimeTrigger", "WindowAssigner", "MergingWindowAssigner", "TumblingEventTimeWindows",
    "TumblingProcessingTimeWindows", "SlidingEventTimeWindows", "SlidingProcessingTimeWindows",
    "EventTimeSessionWindows", "ProcessingTimeSessionWindows", "SessionWindowTimeGapExtractor", "GlobalWindows",
    "CountTumblingWindowAssigner", "CountSlidingWindowAssigner", "WindowFunction", "AllWindowFunction",
    "ProcessWindowFunction", "ProcessAllWindowFunction", "Time", "DynamicEventTimeSessionWindows",
    "DynamicProcessingTimeSessionWindows", "Min", "TimeWindowSerializer", "CountWindowSerializer",
    "GlobalWindowSerializer",
]

from runtime.compat.unsupported import module_getattr as _module_getattr  # noqa: E402

#: PyFlink's bridge internals (WindowOperationDescriptor, mod_inverse, ...) explain themselves
__getattr__ = _module_getattr(__name__)
