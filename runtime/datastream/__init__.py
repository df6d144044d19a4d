"""The DataStream API, named as PyFlink's ``pyflink.datastream``."""
from runtime.datastream.data_stream import DataStream, DataStreamSink, KeyedStream
from runtime.datastream.functions import (
    FilterFunction, FlatMapFunction, Function, KeyedProcessFunction, KeySelector, MapFunction,
    ParallelSourceFunction, Partitioner, ProcessFunction, ReduceFunction, RuntimeContext, SinkFunction,
    SourceFunction,
)
from runtime.datastream.stream_execution_environment import StreamExecutionEnvironment

__all__ = [
    "StreamExecutionEnvironment", "DataStream", "DataStreamSink", "KeyedStream", "MapFunction",
    "FlatMapFunction", "FilterFunction", "ReduceFunction", "KeySelector", "ProcessFunction",
    "KeyedProcessFunction", "SinkFunction", "SourceFunction", "ParallelSourceFunction", "Partitioner",
    "RuntimeContext", "Function",
]
