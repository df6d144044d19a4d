"""The DataStream API, named as PyFlink's ``pyflink.datastream``."""
from runtime.common.job import RuntimeExecutionMode
from runtime.datastream.connected_streams import BroadcastConnectedStream, BroadcastStream, ConnectedStreams
from runtime.datastream.data_stream import DataStream, DataStreamSink, KeyedStream
from runtime.datastream.execution_config import CheckpointConfig, CheckpointingMode, ExecutionConfig, TimeCharacteristic
from runtime.datastream.functions import (
    AggregateFunction,
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
    ProcessFunction,
    ReduceFunction,
    RuntimeContext,
    SinkFunction,
    SourceFunction,
)
from runtime.datastream.output_tag import OutputTag
from runtime.datastream.stream_execution_environment import StreamExecutionEnvironment
from runtime.datastream.time_domain import TimeDomain
from runtime.datastream.windowed_stream import AllWindowedStream, WindowedStream
from runtime.streaming.timer_service import TimerServiceFacade as TimerService

__all__ = [
    "StreamExecutionEnvironment", "DataStream", "DataStreamSink", "KeyedStream", "MapFunction",
    "FlatMapFunction", "FilterFunction", "ReduceFunction", "KeySelector", "ProcessFunction",
    "KeyedProcessFunction", "SinkFunction", "SourceFunction", "ParallelSourceFunction", "Partitioner",
    "RuntimeContext", "Function", "AggregateFunction", "CoMapFunction", "CoFlatMapFunction", "CoProcessFunction",
    "KeyedCoProcessFunction", "BroadcastProcessFunction", "KeyedBroadcastProcessFunction", "OutputTag",
    "TimeDomain", "RuntimeExecutionMode", "ConnectedStreams", "BroadcastStream", "BroadcastConnectedStream",
    "TimerService", "WindowedStream", "AllWindowedStream", "CheckpointConfig", "CheckpointingMode", "ExecutionConfig",
    "TimeCharacteristic",
]
