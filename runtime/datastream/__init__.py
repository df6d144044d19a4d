"""The DataStream API, named as PyFlink's ``pyflink.datastream``.

A PyFlink job imports ``from pyflink.datastream import X`` (mapped onto this package by
``runtime.compat``) or ``from runtime.datastream import X``; every name exported here keeps
PyFlink's spelling and signature. Names are loaded on first access, so a process that needs
one of them (a TaskManager unpickling an operator, the CLI building a plan) does not import
all of them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.util.lazy_names import import_on_first_use

_FUNCTIONS = "runtime.datastream.functions"
_WINDOW = "runtime.datastream.window"
_EXPORTS = {
    # streams and the environment
    "StreamExecutionEnvironment": "runtime.datastream.stream_execution_environment",
    "DataStream": "runtime.datastream.data_stream",
    "DataStreamSink": "runtime.datastream.data_stream",
    "KeyedStream": "runtime.datastream.data_stream",
    "CachedDataStream": "runtime.datastream.data_stream",
    "WindowedStream": "runtime.datastream.windowed_stream",
    "AllWindowedStream": "runtime.datastream.windowed_stream",
    "ConnectedStreams": "runtime.datastream.connected_streams",
    "BroadcastStream": "runtime.datastream.connected_streams",
    "BroadcastConnectedStream": "runtime.datastream.connected_streams",
    "AsyncDataStream": "runtime.datastream.async_data_stream",
    # functions
    "Function": _FUNCTIONS,
    "MapFunction": _FUNCTIONS,
    "CoMapFunction": _FUNCTIONS,
    "FlatMapFunction": _FUNCTIONS,
    "CoFlatMapFunction": _FUNCTIONS,
    "ReduceFunction": _FUNCTIONS,
    "FilterFunction": _FUNCTIONS,
    "ProcessFunction": _FUNCTIONS,
    "KeyedProcessFunction": _FUNCTIONS,
    "CoProcessFunction": _FUNCTIONS,
    "KeyedCoProcessFunction": _FUNCTIONS,
    "WindowFunction": _FUNCTIONS,
    "AllWindowFunction": _FUNCTIONS,
    "ProcessWindowFunction": _FUNCTIONS,
    "ProcessAllWindowFunction": _FUNCTIONS,
    "AggregateFunction": _FUNCTIONS,
    "BroadcastProcessFunction": _FUNCTIONS,
    "KeyedBroadcastProcessFunction": _FUNCTIONS,
    "AsyncFunction": _FUNCTIONS,
    "AsyncRetryPredicate": _FUNCTIONS,
    "AsyncRetryStrategy": _FUNCTIONS,
    "RuntimeContext": _FUNCTIONS,
    "KeySelector": _FUNCTIONS,
    "Partitioner": _FUNCTIONS,
    "SourceFunction": _FUNCTIONS,
    "ParallelSourceFunction": _FUNCTIONS,
    "SinkFunction": _FUNCTIONS,
    "TimerService": "runtime.datastream.timerservice",
    # configuration objects
    "CheckpointingMode": "runtime.datastream.checkpointing_mode",
    "CheckpointConfig": "runtime.datastream.checkpoint_config",
    "ExternalizedCheckpointRetention": "runtime.datastream.externalized_checkpoint_retention",
    "ExecutionConfig": "runtime.common.execution_config",
    "TimeCharacteristic": "runtime.datastream.time_characteristic",
    "RuntimeExecutionMode": "runtime.common.job",
    "StateBackend": "runtime.datastream.state_backend",
    "HashMapStateBackend": "runtime.datastream.state_backend",
    "EmbeddedRocksDBStateBackend": "runtime.datastream.state_backend",
    "CustomStateBackend": "runtime.datastream.state_backend",
    "CheckpointStorage": "runtime.datastream.checkpoint_storage",
    "JobManagerCheckpointStorage": "runtime.datastream.checkpoint_storage",
    "FileSystemCheckpointStorage": "runtime.datastream.checkpoint_storage",
    "CustomCheckpointStorage": "runtime.datastream.checkpoint_storage",
    "SlotSharingGroup": "runtime.datastream.slot_sharing_group",
    "MemorySize": "runtime.datastream.slot_sharing_group",
    # windows, time, side outputs
    "Window": _WINDOW,
    "TimeWindow": _WINDOW,
    "CountWindow": _WINDOW,
    "GlobalWindow": _WINDOW,
    "WindowAssigner": _WINDOW,
    "MergingWindowAssigner": _WINDOW,
    "TriggerResult": _WINDOW,
    "Trigger": _WINDOW,
    "TimeDomain": "runtime.datastream.time_domain",
    "OutputTag": "runtime.datastream.output_tag",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return import_on_first_use(globals(), _EXPORTS, name)
    from runtime.compat.unsupported import module_getattr
    return module_getattr(__name__)(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs
    from runtime.common.execution_config import ExecutionConfig
    from runtime.common.job import RuntimeExecutionMode
    from runtime.datastream.async_data_stream import AsyncDataStream
    from runtime.datastream.checkpoint_config import CheckpointConfig
    from runtime.datastream.checkpoint_storage import (
        CheckpointStorage,
        CustomCheckpointStorage,
        FileSystemCheckpointStorage,
        JobManagerCheckpointStorage,
    )
    from runtime.datastream.checkpointing_mode import CheckpointingMode
    from runtime.datastream.connected_streams import BroadcastConnectedStream, BroadcastStream, ConnectedStreams
    from runtime.datastream.data_stream import CachedDataStream, DataStream, DataStreamSink, KeyedStream
    from runtime.datastream.externalized_checkpoint_retention import ExternalizedCheckpointRetention
    from runtime.datastream.functions import (
        AggregateFunction,
        AllWindowFunction,
        AsyncFunction,
        AsyncRetryPredicate,
        AsyncRetryStrategy,
        BroadcastProcessFunction,
        CoFlatMapFunction,
        CoMapFunction,
        CoProcessFunction,
        FilterFunction,
        FlatMapFunction,
        Function,
        KeyedBroadcastProcessFunction,
        KeyedCoProcessFunction,
        KeyedProcessFunction,
        KeySelector,
        MapFunction,
        ParallelSourceFunction,
        Partitioner,
        ProcessAllWindowFunction,
        ProcessFunction,
        ProcessWindowFunction,
        ReduceFunction,
        RuntimeContext,
        SinkFunction,
        SourceFunction,
        WindowFunction,
    )
    from runtime.datastream.output_tag import OutputTag
    from runtime.datastream.slot_sharing_group import MemorySize, SlotSharingGroup
    from runtime.datastream.state_backend import (
        CustomStateBackend,
        EmbeddedRocksDBStateBackend,
        HashMapStateBackend,
        StateBackend,
    )
    from runtime.datastream.stream_execution_environment import StreamExecutionEnvironment
    from runtime.datastream.time_characteristic import TimeCharacteristic
    from runtime.datastream.time_domain import TimeDomain
    from runtime.datastream.timerservice import TimerService
    from runtime.datastream.window import (
        CountWindow,
        GlobalWindow,
        MergingWindowAssigner,
        TimeWindow,
        Trigger,
        TriggerResult,
        Window,
        WindowAssigner,
    )
    from runtime.datastream.windowed_stream import AllWindowedStream, WindowedStream
