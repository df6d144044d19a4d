"""User function interfaces, named and shaped as PyFlink's ``pyflink.datastream.functions``.

Every API accepts either one of these classes or a plain callable; the graph layer resolves
them to a bound method once, so the hot path calls the user's function directly.

The classes are Generic where PyFlink's are (``class F(ProcessWindowFunction[tuple, tuple,
str, TimeWindow])``), the context interfaces are nested where PyFlink nests them
(``KeyedBroadcastProcessFunction.ReadOnlyContext``), and the window function interfaces live
here as in PyFlink (``runtime.datastream.window`` re-exports them).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from runtime.compat.unsupported import java_only, module_getattr, raise_not_supported
from runtime.datastream.async_functions import AsyncFunction, AsyncRetryPredicate, AsyncRetryStrategy
from runtime.datastream.function_base import Function
from runtime.datastream.timerservice import TimerService
from runtime.streaming.tasks.runtime_context import StreamingRuntimeContext

IN = TypeVar("IN")
OUT = TypeVar("OUT")
KEY = TypeVar("KEY")
IN1 = TypeVar("IN1")
IN2 = TypeVar("IN2")
W = TypeVar("W")
W2 = TypeVar("W2")

__all__ = [
    "AggregateFunction", "AllWindowFunction", "AsyncFunction", "AsyncRetryPredicate", "AsyncRetryStrategy",
    "BaseBroadcastProcessFunction", "BroadcastProcessFunction", "CoFlatMapFunction", "CoMapFunction",
    "CoProcessFunction", "FilterFunction", "FlatMapFunction", "Function", "KeyedBroadcastProcessFunction",
    "KeyedCoProcessFunction", "KeyedProcessFunction", "KeyedStateStore", "KeySelector", "MapFunction",
    "ParallelSourceFunction", "Partitioner", "ProcessAllWindowFunction", "ProcessFunction",
    "ProcessWindowFunction", "ReduceFunction", "RuntimeContext", "SinkFunction", "SourceFunction",
    "TimerService", "WindowFunction",
]


# ------------------------------------------------------------------------ runtime context
class KeyedStateStore(ABC):
    """Where keyed state is obtained (PyFlink's ``KeyedStateStore``)."""

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


class RuntimeContext(KeyedStateStore):
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


RuntimeContext.register(StreamingRuntimeContext)


# ------------------------------------------------------------------------------ basics
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


class AggregateFunction(Function):
    @abstractmethod
    def create_accumulator(self) -> Any: ...

    @abstractmethod
    def add(self, value: Any, accumulator: Any) -> Any: ...

    @abstractmethod
    def get_result(self, accumulator: Any) -> Any: ...

    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        raise NotImplementedError("merge() is needed for merging (session) windows")


# --------------------------------------------------------------------- sources and sinks
class _JavaWrapperGuard:
    """PyFlink's ``SourceFunction(java_source)`` / ``SinkFunction(java_sink)`` wrap Java
    functions by object or class name; here sources and sinks are written in Python, and a
    Java one is refused with the reason (before the ABC complains about abstract methods)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls.__name__ in ("SourceFunction", "SinkFunction") and (args or kwargs):
            java_only(f"{cls.__name__}(<a Java {cls.__name__[:-8].lower()} function>)")
        return super().__new__(cls)


class SinkFunction(_JavaWrapperGuard, Function):
    """A Python sink: ``invoke(value, context)`` per record.

    Sinks written for speed may also define ``invoke_batch(values)``; the engine prefers it.
    (PyFlink's ``SinkFunction`` only wraps Java sinks; writing one in Python is this engine's.)
    """

    def invoke(self, value: Any, context: Any) -> None:
        pass

    def get_java_function(self) -> Any:
        raise_not_supported("pyflink.datastream.functions.SinkFunction.get_java_function")


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


class SourceFunction(_JavaWrapperGuard, Function):
    """A Python source: ``run(ctx)`` emits with ``ctx.collect``; ``cancel()`` asks it to stop.

    A source runs with parallelism 1 unless it subclasses ``ParallelSourceFunction``.
    """

    @abstractmethod
    def run(self, ctx: SourceContext) -> None: ...

    def cancel(self) -> None:
        pass

    def get_java_function(self) -> Any:
        raise_not_supported("pyflink.datastream.functions.SourceFunction.get_java_function")


class ParallelSourceFunction(SourceFunction):
    pass


# --------------------------------------------------------------------- process functions
class ProcessFunction(Function):
    """``process_element(value, ctx)`` may ``yield`` outputs (and ``yield tag, value`` for side outputs)."""

    class Context(ABC):
        @abstractmethod
        def timer_service(self) -> TimerService: ...

        @abstractmethod
        def timestamp(self) -> int | None: ...

    @abstractmethod
    def process_element(self, value: Any, ctx: ProcessFunction.Context) -> Any: ...


class KeyedProcessFunction(Function):
    class Context(ABC):
        @abstractmethod
        def get_current_key(self) -> Any: ...

        @abstractmethod
        def timer_service(self) -> TimerService: ...

        @abstractmethod
        def timestamp(self) -> int | None: ...

    class OnTimerContext(Context):
        @abstractmethod
        def time_domain(self) -> Any: ...

    @abstractmethod
    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any: ...

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Any:
        pass


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
        def timer_service(self) -> TimerService: ...

        @abstractmethod
        def timestamp(self) -> int | None: ...

    @abstractmethod
    def process_element1(self, value: Any, ctx: CoProcessFunction.Context) -> Any: ...

    @abstractmethod
    def process_element2(self, value: Any, ctx: CoProcessFunction.Context) -> Any: ...


class KeyedCoProcessFunction(Function):
    class Context(ABC):
        @abstractmethod
        def get_current_key(self) -> Any: ...

        @abstractmethod
        def timer_service(self) -> TimerService: ...

        @abstractmethod
        def timestamp(self) -> int | None: ...

    class OnTimerContext(Context):
        @abstractmethod
        def time_domain(self) -> Any: ...

    @abstractmethod
    def process_element1(self, value: Any, ctx: KeyedCoProcessFunction.Context) -> Any: ...

    @abstractmethod
    def process_element2(self, value: Any, ctx: KeyedCoProcessFunction.Context) -> Any: ...

    def on_timer(self, timestamp: int, ctx: KeyedCoProcessFunction.OnTimerContext) -> Any:
        pass


# ------------------------------------------------------------------ broadcast state pattern
class BaseBroadcastProcessFunction(Function):
    """What the two broadcast process functions share: their context interfaces."""

    class BaseContext(ABC):
        @abstractmethod
        def timestamp(self) -> int | None: ...

        @abstractmethod
        def current_processing_time(self) -> int: ...

        @abstractmethod
        def current_watermark(self) -> int: ...

    class Context(BaseContext):
        """The broadcast side's context: the broadcast state is writable."""

        @abstractmethod
        def get_broadcast_state(self, state_descriptor: Any) -> Any: ...

    class ReadOnlyContext(BaseContext):
        """The non-broadcast side's context: the broadcast state is read-only."""

        @abstractmethod
        def get_broadcast_state(self, state_descriptor: Any) -> Any: ...


class BroadcastProcessFunction(BaseBroadcastProcessFunction, Generic[IN1, IN2, OUT]):
    class Context(BaseBroadcastProcessFunction.Context, ABC):
        pass

    class ReadOnlyContext(BaseBroadcastProcessFunction.ReadOnlyContext, ABC):
        pass

    @abstractmethod
    def process_element(self, value: Any, ctx: BroadcastProcessFunction.ReadOnlyContext) -> Any: ...

    @abstractmethod
    def process_broadcast_element(self, value: Any, ctx: BroadcastProcessFunction.Context) -> Any: ...


class KeyedBroadcastProcessFunction(BaseBroadcastProcessFunction, Generic[KEY, IN1, IN2, OUT]):
    class Context(BaseBroadcastProcessFunction.Context, ABC):
        pass

    class ReadOnlyContext(BaseBroadcastProcessFunction.ReadOnlyContext, ABC):
        @abstractmethod
        def timer_service(self) -> TimerService: ...

        @abstractmethod
        def get_current_key(self) -> Any: ...

    class OnTimerContext(ReadOnlyContext, ABC):
        @abstractmethod
        def time_domain(self) -> Any: ...

        @abstractmethod
        def get_current_key(self) -> Any: ...

    @abstractmethod
    def process_element(self, value: Any, ctx: KeyedBroadcastProcessFunction.ReadOnlyContext) -> Any: ...

    @abstractmethod
    def process_broadcast_element(self, value: Any, ctx: KeyedBroadcastProcessFunction.Context) -> Any: ...

    def on_timer(self, timestamp: int, ctx: KeyedBroadcastProcessFunction.OnTimerContext) -> Any:
        pass


# -------------------------------------------------------------------- window functions
class WindowFunction(Function, Generic[IN, OUT, KEY, W]):
    """``apply(key, window, inputs)`` over a fired window's elements; returns/yields outputs."""

    @abstractmethod
    def apply(self, key: KEY, window: W, inputs: Iterable[IN]) -> Iterable[OUT]: ...


class AllWindowFunction(Function, Generic[IN, OUT, W]):
    @abstractmethod
    def apply(self, window: W, inputs: Iterable[IN]) -> Iterable[OUT]: ...


class ProcessWindowFunction(Function, Generic[IN, OUT, KEY, W]):
    """``process(key, context, elements)`` with access to the window and its state."""

    class Context(ABC, Generic[W2]):
        @abstractmethod
        def window(self) -> W2: ...

        @abstractmethod
        def current_processing_time(self) -> int: ...

        @abstractmethod
        def current_watermark(self) -> int: ...

        @abstractmethod
        def window_state(self) -> KeyedStateStore: ...

        @abstractmethod
        def global_state(self) -> KeyedStateStore: ...

    @abstractmethod
    def process(self, key: KEY, context: ProcessWindowFunction.Context, elements: Iterable[IN]) -> Iterable[OUT]: ...

    def clear(self, context: ProcessWindowFunction.Context) -> None:
        pass


class ProcessAllWindowFunction(Function, Generic[IN, OUT, W]):
    class Context(ABC, Generic[W2]):
        @abstractmethod
        def window(self) -> W2: ...

        @abstractmethod
        def window_state(self) -> KeyedStateStore: ...

        @abstractmethod
        def global_state(self) -> KeyedStateStore: ...

    @abstractmethod
    def process(self, context: ProcessAllWindowFunction.Context, elements: Iterable[IN]) -> Iterable[OUT]: ...

    def clear(self, context: ProcessAllWindowFunction.Context) -> None:
        pass


def resolve(fn: Any, method: str, kind: str) -> Any:
    """Return the callable the hot path should invoke: ``fn.<method>`` for a Function object,
    ``fn`` itself for a plain callable. Anything else is a user error named precisely."""
    bound = getattr(fn, method, None)
    if isinstance(fn, Function) and bound is not None:
        return bound
    if callable(fn):
        return fn
    raise TypeError(f"{kind} must be a callable or a {kind} object, got {type(fn).__name__}")


#: PyFlink's bridge-internal names (InternalWindowFunction, JavaFunctionWrapper, ...) explain themselves
__getattr__ = module_getattr(__name__)
