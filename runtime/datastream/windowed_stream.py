"""WindowedStream / AllWindowedStream: ``key_by(...).window(...)`` and ``window_all(...)``.

``window_all`` is a keyed window over a single constant key with parallelism 1, as in Flink.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.datastream import window as w
from runtime.datastream.window import (
    EventTimeTrigger,
    MergingWindowAssigner,
    SlidingEventTimeWindows,
    TumblingEventTimeWindows,
)
from runtime.graph.transformation import Transformation
from runtime.streaming.window_contents import AGGREGATE, LIST, REDUCE

if TYPE_CHECKING:
    from runtime.datastream.data_stream import DataStream, KeyedStream


def _null_key(value: Any) -> int:
    return 0


def _fn_name(f: Any) -> str:
    if f is None:
        return ""
    return type(f).__name__ if not hasattr(f, "__name__") else f.__name__


class WindowedStream:
    _all = False

    def __init__(self, keyed_stream: KeyedStream, window_assigner: Any) -> None:
        self._keyed_stream = keyed_stream
        self._assigner = window_assigner
        self._trigger: Any = None
        self._allowed_lateness = 0
        self._late_tag: Any = None

    def get_execution_environment(self):
        return self._keyed_stream._env

    def trigger(self, trigger: Any) -> WindowedStream:
        if isinstance(self._assigner, w.MergingWindowAssigner) and not trigger.can_merge():
            raise ValueError(f"a merging window assigner needs a trigger that can merge; {trigger!r} cannot")
        self._trigger = trigger
        return self

    def allowed_lateness(self, time_ms: Any) -> WindowedStream:
        ms = int(time_ms.to_milliseconds()) if hasattr(time_ms, "to_milliseconds") else int(time_ms)
        if ms < 0:
            raise ValueError("allowed lateness must not be negative")
        if ms and not self._assigner.is_event_time():
            raise ValueError("allowed lateness only applies to event-time windows")
        self._allowed_lateness = ms
        return self

    def side_output_late_data(self, output_tag: Any) -> WindowedStream:
        self._late_tag = output_tag
        return self

    def evictor(self, evictor: Any) -> WindowedStream:
        raise NotImplementedError("evictors are not supported yet")

    # ------------------------------------------------------------------ functions
    def _build(self, kind: str, function: Any, window_function: Any, output_type: Any, fname: str) -> DataStream:
        from runtime.datastream.data_stream import DataStream
        from runtime.streaming.window_operator import WindowOperator
        trigger = self._trigger or self._assigner.get_default_trigger(self._keyed_stream._env)
        name = f"Window({self._assigner!r}, {type(trigger).__name__}, {fname})"
        merging = isinstance(self._assigner, MergingWindowAssigner)
        assigner = MergeGroups(self._assigner) if merging else self._assigner
        op = WindowOperator(name, assigner, trigger, kind, function, window_function, self._allowed_lateness,
                            self._late_tag.tag_id if self._late_tag is not None else None, self._all, output_type,
                            merging=merging,
                            aligned=_aligned_event_time(self._assigner, trigger))
        src = self._keyed_stream
        t = Transformation(name, op, [src._transformation], output_type=output_type, non_parallel=self._all)
        src._env._add_transformation(t)
        return DataStream(src._env, t)

    def get_input_type(self) -> Any:
        """The type of the elements that enter the windows."""
        return self._keyed_stream._origin._transformation.output_type

    def reduce(self, reduce_function: Any, window_function: Any = None, output_type: Any = None) -> DataStream:
        from runtime.datastream.functions import resolve
        f = resolve(reduce_function, "reduce", "ReduceFunction")
        out = output_type if window_function is not None else (output_type or self.get_input_type())
        return self._build(REDUCE, f, window_function, out, "reduce")

    def aggregate(self, aggregate_function: Any, window_function: Any = None, accumulator_type: Any = None,
                  output_type: Any = None) -> DataStream:
        for m in ("create_accumulator", "add", "get_result"):
            if not hasattr(aggregate_function, m):
                raise TypeError(f"aggregate() takes an AggregateFunction (missing {m}()), got "
                                f"{type(aggregate_function).__name__}")
        return self._build(AGGREGATE, aggregate_function, window_function, output_type, "aggregate")

    def apply(self, window_function: Any, output_type: Any = None) -> DataStream:
        return self._build(LIST, None, window_function, output_type, "apply")

    def process(self, process_window_function: Any, output_type: Any = None) -> DataStream:
        if not hasattr(process_window_function, "process"):
            raise TypeError("process() takes a ProcessWindowFunction, got "
                            f"{type(process_window_function).__name__}")
        return self._build(LIST, None, process_window_function, output_type, "process")


class MergeGroups:
    """The WindowOperator's view of a merging assigner: ``merge_windows(windows)`` returns
    every group (members, cover), singletons included, while the assigner itself implements
    PyFlink's ``merge_windows(windows, callback)``, so assigners written for PyFlink work."""

    def __init__(self, assigner: Any) -> None:
        self.assigner = assigner

    def __getattr__(self, name: str) -> Any:
        if name == "assigner":  # during unpickling, before __dict__ is filled
            raise AttributeError(name)
        return getattr(self.assigner, name)

    def merge_windows(self, windows: list) -> list[tuple[list, Any]]:
        merges: list[tuple[list, Any]] = []

        class Collect(MergingWindowAssigner.MergeCallback):
            def merge(self, to_be_merged: Any, merge_result: Any) -> None:
                merges.append((list(to_be_merged), merge_result))

        self.assigner.merge_windows(windows, Collect())
        merged = {w for members, _ in merges for w in members}
        return merges + [([w], w) for w in windows if w not in merged]

    def __repr__(self) -> str:
        return repr(self.assigner)


class AllWindowedStream(WindowedStream):
    _all = True

    def __init__(self, data_stream: DataStream, window_assigner: Any) -> None:
        super().__init__(data_stream.key_by(_null_key), window_assigner)


def _aligned_event_time(assigner: Any, trigger: Any) -> bool:
    """Tumbling/sliding event-time windows with the default EventTimeTrigger are by far the
    most common case; the operator runs them on a per-record loop with the assignment and
    trigger inlined. Semantics are the EventTimeTrigger's: one timer at the window's end
    (registered with the window's first element), immediate firing for late elements within
    the allowed lateness, cleanup at end + lateness."""
    return (type(assigner) in (TumblingEventTimeWindows, SlidingEventTimeWindows)
            and type(trigger) is EventTimeTrigger)
