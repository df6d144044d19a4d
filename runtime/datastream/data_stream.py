"""DataStream, KeyedStream: PyFlink's DataStream API recording Transformations."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime.datastream import functions as fns
from runtime.datastream.aggregations import MinMaxAggregator, SumAggregator
from runtime.graph.partitioners import CustomPartitionerWrapper, KeyGroupStreamPartitioner, StreamPartitioner
from runtime.graph.transformation import CHAIN_HEAD, CHAIN_NEVER, Transformation
from runtime.streaming import operators as ops

if TYPE_CHECKING:
    from runtime.datastream.stream_execution_environment import StreamExecutionEnvironment


class DataStream:
    def __init__(self, env: StreamExecutionEnvironment, transformation: Transformation) -> None:
        self._env = env
        self._transformation = transformation

    # ------------------------------------------------------------------ properties
    def get_name(self) -> str:
        return self._transformation.name

    def name(self, name: str) -> DataStream:
        self._transformation.name = name
        if self._transformation.operator is not None:
            self._transformation.operator.name = name
        return self

    def uid(self, uid: str) -> DataStream:
        self._transformation.uid = uid
        return self

    def set_uid_hash(self, uid_hash: str) -> DataStream:
        return self.uid(uid_hash)

    def get_type(self) -> Any:
        return self._transformation.output_type

    def set_parallelism(self, parallelism: int) -> DataStream:
        if self._transformation.non_parallel and parallelism != 1:
            raise ValueError(f"operator '{self._transformation.name}' is non-parallel: its parallelism must be 1")
        if parallelism < 1:
            raise ValueError(f"parallelism of '{self._transformation.name}' must be at least 1, not {parallelism}")
        self._transformation.parallelism = parallelism
        return self

    def set_max_parallelism(self, max_parallelism: int) -> DataStream:
        if not 1 <= max_parallelism <= 32768:
            raise ValueError(f"max parallelism of '{self._transformation.name}' must be in 1..32768")
        self._transformation.max_parallelism = max_parallelism
        return self

    def disable_chaining(self) -> DataStream:
        self._transformation.chaining = CHAIN_NEVER
        return self

    def start_new_chain(self) -> DataStream:
        self._transformation.chaining = CHAIN_HEAD
        return self

    def slot_sharing_group(self, slot_sharing_group: Any) -> DataStream:
        self._transformation.slot_sharing_group = str(getattr(slot_sharing_group, "get_name", lambda: slot_sharing_group)())
        return self

    def get_execution_environment(self) -> StreamExecutionEnvironment:
        return self._env

    # ------------------------------------------------------------------ building
    def _add(self, name: str, operator: Any, output_type: Any = None, inputs: list[Transformation] | None = None,
             kind: str = "operator", cls: type | None = None) -> DataStream:
        t = Transformation(name, operator, inputs or [self._transformation], output_type=output_type, kind=kind,
                           parallelism=None)
        self._env._add_transformation(t)
        return (cls or DataStream)(self._env, t)

    def _partition(self, partitioner: StreamPartitioner) -> DataStream:
        t = Transformation(partitioner.kind, None, [self._transformation], kind="partition", partitioner=partitioner,
                           output_type=self._transformation.output_type)
        return DataStream(self._env, t)

    def map(self, func: Any, output_type: Any = None) -> DataStream:
        f = fns.resolve(func, "map", "MapFunction")
        return self._add("Map", ops.MapOperator("Map", f, func, output_type), output_type)

    def flat_map(self, func: Any, output_type: Any = None) -> DataStream:
        f = fns.resolve(func, "flat_map", "FlatMapFunction")
        return self._add("Flat Map", ops.FlatMapOperator("Flat Map", f, func, output_type), output_type)

    def filter(self, func: Any) -> DataStream:
        f = fns.resolve(func, "filter", "FilterFunction")
        return self._add("Filter", ops.FilterOperator("Filter", f, func), self._transformation.output_type)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        from runtime.streaming.process_operators import ProcessOperator
        if not isinstance(func, fns.ProcessFunction):
            raise TypeError(f"process() takes a ProcessFunction, got {type(func).__name__}")
        return self._add("Process", ProcessOperator("Process", func, output_type), output_type)

    def get_side_output(self, output_tag: Any) -> DataStream:
        t = Transformation(f"SideOutput: {output_tag.tag_id}", None, [self._transformation], kind="side_output",
                           output_type=output_tag.type_info)
        t.output_tag = output_tag.tag_id
        return DataStream(self._env, t)

    def assign_timestamps_and_watermarks(self, watermark_strategy: Any) -> DataStream:
        from runtime.streaming.process_operators import TimestampsAndWatermarksOperator
        interval = self._env._auto_watermark_interval()
        op = TimestampsAndWatermarksOperator("Timestamps/Watermarks", watermark_strategy, interval)
        out = self._add("Timestamps/Watermarks", op, self._transformation.output_type)
        out._transformation.inherit_parallelism = True  # as in Flink: runs beside its input, chained
        return out

    def connect(self, ds: Any) -> Any:
        from runtime.datastream.connected_streams import BroadcastConnectedStream, BroadcastStream, ConnectedStreams
        if isinstance(ds, BroadcastStream):
            return BroadcastConnectedStream(self, ds)
        return ConnectedStreams(self, ds)

    def key_by(self, key_selector: Any, key_type: Any = None) -> KeyedStream:
        f = fns.resolve(key_selector, "get_key", "KeySelector")
        part = self._partition(KeyGroupStreamPartitioner(f, self._env.get_max_parallelism()))
        return KeyedStream(self._env, part._transformation, self, f, key_type)

    def union(self, *streams: DataStream) -> DataStream:
        t = Transformation("Union", None, [self._transformation] + [s._transformation for s in streams], kind="union",
                           output_type=self._transformation.output_type)
        return DataStream(self._env, t)

    def window_all(self, window_assigner: Any) -> Any:
        from runtime.datastream.windowed_stream import AllWindowedStream
        return AllWindowedStream(self, window_assigner)

    def count_window_all(self, size: int, slide: int = 0) -> Any:
        from runtime.datastream import window as w
        assigner = w.CountTumblingWindowAssigner(size) if not slide else w.CountSlidingWindowAssigner(size, slide)
        return self.window_all(assigner)

    def rebalance(self) -> DataStream:
        return self._partition(StreamPartitioner("REBALANCE"))

    def rescale(self) -> DataStream:
        return self._partition(StreamPartitioner("RESCALE"))

    def shuffle(self) -> DataStream:
        return self._partition(StreamPartitioner("SHUFFLE"))

    def forward(self) -> DataStream:
        return self._partition(StreamPartitioner("FORWARD"))

    def broadcast(self, *broadcast_state_descriptors: Any) -> Any:
        if broadcast_state_descriptors:
            from runtime.datastream.connected_streams import BroadcastStream
            return BroadcastStream(self, list(broadcast_state_descriptors))
        return self._partition(StreamPartitioner("BROADCAST"))

    def partition_custom(self, partitioner: Any, key_selector: Any) -> DataStream:
        pf = fns.resolve(partitioner, "partition", "Partitioner")
        kf = fns.resolve(key_selector, "get_key", "KeySelector")
        return self._partition(CustomPartitionerWrapper(pf, kf))

    # ------------------------------------------------------------------ sinks
    def print(self, sink_identifier: str | None = None) -> DataStreamSink:
        op = ops.PrintSinkOperator("Print to Std. Out", self._transformation.output_type, sink_identifier)
        return DataStreamSink(self._add("Print to Std. Out", op, kind="sink")._transformation, self._env)

    def add_sink(self, sink_func: Any) -> DataStreamSink:
        if isinstance(sink_func, fns.SinkFunction):
            op = ops.SinkOperator("Sink: Unnamed", sink_func)
        elif callable(sink_func):
            op = ops.SinkOperator("Sink: Unnamed", _CallableSink(sink_func))
        else:
            raise TypeError(f"add_sink() takes a SinkFunction, got {type(sink_func).__name__}")
        return DataStreamSink(self._add("Sink: Unnamed", op, kind="sink")._transformation, self._env)

    def sink_to(self, sink: Any) -> DataStreamSink:
        """Write the stream to a ``Sink`` connector (e.g. ``FileSink``); its operator is named
        ``Sink: Writer`` as in Flink."""
        create = getattr(sink, "create_operator", None)
        if create is None:
            raise TypeError(f"sink_to() takes a Sink (such as FileSink), got {type(sink).__name__}")
        op = create("Sink: Writer", self._transformation.output_type)
        return DataStreamSink(self._add("Sink: Writer", op, kind="sink")._transformation, self._env)

    def execute_and_collect(self, job_execution_name: str | None = None, limit: int | None = None):
        return self._env._execute_and_collect(self, job_execution_name, limit)


class _CallableSink(fns.SinkFunction):
    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def invoke(self, value: Any, context: Any) -> None:
        self.fn(value)


class DataStreamSink:
    def __init__(self, transformation: Transformation, env: StreamExecutionEnvironment) -> None:
        self._transformation = transformation
        self._env = env

    def name(self, name: str) -> DataStreamSink:
        self._transformation.name = name
        self._transformation.operator.name = name
        return self

    def uid(self, uid: str) -> DataStreamSink:
        self._transformation.uid = uid
        return self

    def set_parallelism(self, parallelism: int) -> DataStreamSink:
        self._transformation.parallelism = parallelism
        return self

    def disable_chaining(self) -> DataStreamSink:
        self._transformation.chaining = CHAIN_NEVER
        return self

    def slot_sharing_group(self, slot_sharing_group: Any) -> DataStreamSink:
        self._transformation.slot_sharing_group = str(slot_sharing_group)
        return self


class KeyedStream(DataStream):
    """A DataStream partitioned by key; its operators run keyed (state, rolling aggregates)."""

    def __init__(self, env: StreamExecutionEnvironment, transformation: Transformation, origin: DataStream,
                 key_fn: Callable[[Any], Any], key_type: Any = None) -> None:
        super().__init__(env, transformation)
        self._origin = origin
        self._key_fn = key_fn
        self._key_type = key_type

    def _keyed(self, name: str, operator: Any, output_type: Any) -> DataStream:
        return self._add(name, operator, output_type)

    def reduce(self, func: Any) -> DataStream:
        f = fns.resolve(func, "reduce", "ReduceFunction")
        out_type = self._origin._transformation.output_type
        return self._keyed("Keyed Reduce", ops.KeyedReduceOperator("Keyed Reduce", f, func, out_type), out_type)

    def _aggregate(self, name: str, agg: Callable[[Any, Any], Any]) -> DataStream:
        out_type = self._origin._transformation.output_type
        return self._keyed(name, ops.KeyedReduceOperator(name, agg, agg), out_type)

    def sum(self, position_to_sum: int | str = 0) -> DataStream:
        return self._aggregate("Keyed Aggregation", SumAggregator(position_to_sum))

    def min(self, position_to_min: int | str = 0) -> DataStream:
        return self._aggregate("Keyed Aggregation", MinMaxAggregator(position_to_min, True, False))

    def max(self, position_to_max: int | str = 0) -> DataStream:
        return self._aggregate("Keyed Aggregation", MinMaxAggregator(position_to_max, False, False))

    def min_by(self, position_to_min_by: int | str = 0) -> DataStream:
        return self._aggregate("Keyed Aggregation", MinMaxAggregator(position_to_min_by, True, True))

    def max_by(self, position_to_max_by: int | str = 0) -> DataStream:
        return self._aggregate("Keyed Aggregation", MinMaxAggregator(position_to_max_by, False, True))

    def map(self, func: Any, output_type: Any = None) -> DataStream:
        f = fns.resolve(func, "map", "MapFunction")
        return self._add("Map", ops.KeyedMapOperator("Map", f, func, output_type), output_type)

    def flat_map(self, func: Any, output_type: Any = None) -> DataStream:
        f = fns.resolve(func, "flat_map", "FlatMapFunction")
        return self._add("Flat Map", ops.KeyedFlatMapOperator("Flat Map", f, func, output_type), output_type)

    def filter(self, func: Any) -> DataStream:
        f = fns.resolve(func, "filter", "FilterFunction")
        out_type = self._origin._transformation.output_type
        return self._add("Filter", ops.KeyedFilterOperator("Filter", f, func), out_type)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        from runtime.streaming.process_operators import KeyedProcessOperator
        if not isinstance(func, (fns.KeyedProcessFunction, fns.ProcessFunction)):
            raise TypeError(f"KeyedStream.process() takes a KeyedProcessFunction, got {type(func).__name__}")
        return self._add("KeyedProcess", KeyedProcessOperator("KeyedProcess", func, output_type), output_type)

    def key_by(self, key_selector: Any, key_type: Any = None) -> KeyedStream:
        return self._origin.key_by(key_selector, key_type)

    def window(self, window_assigner: Any) -> Any:
        from runtime.datastream.windowed_stream import WindowedStream
        return WindowedStream(self, window_assigner)

    def count_window(self, size: int, slide: int = 0) -> Any:
        from runtime.datastream import window as w
        from runtime.datastream.windowed_stream import WindowedStream
        assigner = w.CountTumblingWindowAssigner(size) if not slide else w.CountSlidingWindowAssigner(size, slide)
        return WindowedStream(self, assigner)

    def set_parallelism(self, parallelism: int) -> DataStream:
        raise TypeError("cannot set the parallelism of a KeyedStream; set it on the operator after it")

    def name(self, name: str) -> DataStream:
        raise TypeError("cannot name a KeyedStream; name the operator after it")
