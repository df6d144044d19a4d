"""User function interfaces, named as PyFlink's ``pyflink.datastream.functions``.

Every API accepts either one of these classes or a plain callable; the graph layer resolves
them to a bound method once, so the hot path calls the user's function directly.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from runtime.streaming.tasks.runtime_context import StreamingRuntimeContext


class RuntimeContext(ABC):
    """What a function learns about the parallel instance it runs in (``open(runtime_context)``).

    The interface of PyFlink's RuntimeContext; the object a task hands to ``open`` is a
    ``runtime.streaming.tasks.runtime_context.StreamingRuntimeContext``.
    """

    @abstractmethod
    def get_task_name(self) -> str: ...

    @abstractmethod
    def get_number_of_parallel_subtasks(self) -> int: ...

    @abstractmethod
    def get_max_number_of_parallel_subtasks(self) -> int: ...

    @abstractmethod
    def get_index_of_this_subtask(self) -> int: ...

    @abstractmethod
    def get_attempt_number(self) -> int: ...

    @abstractmethod
    def get_task_name_with_subtasks(self) -> str: ...

    @abstractmethod
    def get_job_parameter(self, key: str, default_value: str) -> str: ...

    @abstractmethod
    def get_metrics_group(self) -> Any: ...

    @abstractmethod
    def get_state(self, state_descriptor: Any) -> Any: ...

    @abstractmethod
    def get_list_state(self, state_descriptor: Any) -> Any: ...

    @abstractmethod
    def get_map_state(self, state_descriptor: Any) -> Any: ...

    @abstractmethod
    def get_reducing_state(self, state_descriptor: Any) -> Any: ...

    @abstractmethod
    def get_aggregating_state(self, state_descriptor: Any) -> Any: ...


RuntimeContext.register(StreamingRuntimeContext)


class Function(ABC):  # noqa: B024 - marker base, like PyFlink's
    def open(self, runtime_context: RuntimeContext) -> None:
        pass

    def close(self) -> None:
        pass


class MapFunction(Function):
    @abstractmethod
    def map(self, value: Any) -> Any: ...


class FlatMapFunction(Function):
    @abstractmethod
    def flat_map(self, value: Any) -> Iterable[Any]: ...


class FilterFunction(Function):
    @abstractmethod
    def filter(self, value: Any) -> bool: ...


class ReduceFunction(Function):
    @abstractmethod
    def reduce(self, value1: Any, value2: Any) -> Any: ...


class KeySelector(Function):
    @abstractmethod
    def get_key(self, value: Any) -> Any: ...


class Partitioner(Function):
    @abstractmethod
    def partition(self, key: Any, num_partitions: int) -> int: ...


class SinkFunction(Function):
    """A Python sink: ``invoke(value, context)`` per record.

    Sinks written for speed may also define ``invoke_batch(values)``; the engine prefers it.
    """

    def invoke(self, value: Any, context: Any) -> None:
        pass


class SourceContext:
    """Handed to ``SourceFunction.run``; ``collect`` buffers records into batches."""

    def collect(self, element: Any) -> None:
        raise NotImplementedError

    def collect_with_timestamp(self, element: Any, timestamp: int) -> None:
        raise NotImplementedError

    def emit_watermark(self, watermark: Any) -> None:
        raise NotImplementedError

    def mark_as_temporarily_idle(self) -> None:
        pass


class SourceFunction(Function):
    """A Python source: ``run(ctx)`` emits with ``ctx.collect``; ``cancel()`` asks it to stop.

    A source runs with parallelism 1 unless it subclasses ``ParallelSourceFunction``.
    """

    @abstractmethod
    def run(self, ctx: SourceContext) -> None: ...

    def cancel(self) -> None:
        pass


class ParallelSourceFunction(SourceFunction):
    pass


class ProcessFunction(Function):
    """``process_element(value, ctx)`` may ``yield`` outputs (and ``yield tag, value`` for side outputs)."""

    class Context(ABC):
        @abstractmethod
        def timer_service(self): ...

        @abstractmethod
        def timestamp(self) -> int | None: ...

    @abstractmethod
    def process_element(self, value: Any, ctx: ProcessFunction.Context): ...


class KeyedProcessFunction(Function):
    class Context(ABC):
        @abstractmethod
        def get_current_key(self): ...

        @abstractmethod
        def timer_service(self): ...

        @abstractmethod
        def timestamp(self) -> int | None: ...

    class OnTimerContext(Context):
        @abstractmethod
        def time_domain(self): ...

    @abstractmethod
    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context): ...

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        pass


class AggregateFunction(Function):
    @abstractmethod
    def create_accumulator(self) -> Any: ...

    @abstractmethod
    def add(self, value: Any, accumulator: Any) -> Any: ...

    @abstractmethod
    def get_result(self, accumulator: Any) -> Any: ...

    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        raise NotImplementedError("merge() is needed for merging (session) windows")


class CoMapFunction(Function):
    @abstractmethod
    def map1(self, value: Any) -> Any: ...

    @abstractmethod
    def map2(self, value: Any) -> Any: ...


class CoFlatMapFunction(Function):
    @abstractmethod
    def flat_map1(self, value: Any) -> Iterable[Any]: ...

    @abstractmethod
    def flat_map2(self, value: Any) -> Iterable[Any]: ...


class CoProcessFunction(Function):
    class Context(ABC):
        @abstractmethod
        def timestamp(self) -> int | None: ...

        @abstractmethod
        def timer_service(self): ...

    @abstractmethod
    def process_element1(self, value: Any, ctx: CoProcessFunction.Context): ...

    @abstractmethod
    def process_element2(self, value: Any, ctx: CoProcessFunction.Context): ...


class KeyedCoProcessFunction(Function):
    class Context(ABC):
        @abstractmethod
        def get_current_key(self): ...

        @abstractmethod
        def timer_service(self): ...

        @abstractmethod
        def timestamp(self) -> int | None: ...

    class OnTimerContext(Context):
        @abstractmethod
        def time_domain(self): ...

    @abstractmethod
    def process_element1(self, value: Any, ctx: KeyedCoProcessFunction.Context): ...

    @abstractmethod
    def process_element2(self, value: Any, ctx: KeyedCoProcessFunction.Context): ...

    def on_timer(self, timestamp: int, ctx: KeyedCoProcessFunction.OnTimerContext):
        pass


class BroadcastProcessFunction(Function):
    @abstractmethod
    def process_element(self, value: Any, ctx: Any): ...

    @abstractmethod
    def process_broadcast_element(self, value: Any, ctx: Any): ...


class KeyedBroadcastProcessFunction(Function):
    @abstractmethod
    def process_element(self, value: Any, ctx: Any): ...

    @abstractmethod
    def process_broadcast_element(self, value: Any, ctx: Any): ...

    def on_timer(self, timestamp: int, ctx: Any):
        pass


def __getattr__(name: str) -> Any:
    # PyFlink also exposes the window function interfaces from ``pyflink.datastream.functions``
    if name in ("WindowFunction", "AllWindowFunction", "ProcessWindowFunction", "ProcessAllWindowFunction"):
        from runtime.datastream.window import functions as window_functions
        return getattr(window_functions, name)
    raise AttributeError(f"module 'runtime.datastream.functions' has no attribute {name!r}")


def resolve(fn: Any, method: str, kind: str) -> Any:
    """Return the callable the hot path should invoke: ``fn.<method>`` for a Function object,
    ``fn`` itself for a plain callable. Anything else is a user error named precisely."""
    bound = getattr(fn, method, None)
    if isinstance(fn, Function) and bound is not None:
        return bound
    if callable(fn):
        return fn
    raise TypeError(f"{kind} must be a callable or a {kind} object, got {type(fn).__name__}")
