"""DataStream, KeyedStream, DataStreamSink, CachedDataStream: PyFlink's DataStream API
recording Transformations (``pyflink.datastream.data_stream``; the windowed, connected and
broadcast streams defined in their own modules are re-exported here, as PyFlink has them).

Settings PyFlink keeps per operator that the engine does not act on per operator (a
description, a per-operator buffer timeout) are recorded on the transformation and readable
back with their getters.
"""
from __future__ import annotations

from collections.abc import Callable
from enum import Enum
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
        """The declared type of the records (``PICKLED_BYTE_ARRAY`` when none was declared, as in PyFlink)."""
        declared = self._transformation.output_type
        if declared is None:
            from runtime.common.typeinfo import PickledBytesTypeInfo
            return PickledBytesTypeInfo()
        return declared

    def get_parallelism(self) -> int | None:
        """The parallelism set on this operator (``None``: the environment's default)."""
        return self._transformation.parallelism

    def get_max_parallelism(self) -> int | None:
        return self._transformation.max_parallelism

    def get_uid(self) -> str | None:
        return self._transformation.uid

    def get_uid_hash(self) -> str | None:
        """The uid hash set with ``set_uid_hash`` (it is the operator's uid here)."""
        return self._transformation.uid

    def set_description(self, description: str) -> DataStream:
        """A human-readable description of the operator (shown in the plan)."""
        vars(self._transformation)["description"] = str(description)  # kept beside its fields
        return self

    def get_description(self) -> str | None:
        return getattr(self._transformation, "description", None)

    def set_buffer_timeout(self, timeout_millis: int) -> DataStream:
        """Per-operator buffer timeout: recorded; buffers are flushed by the job-wide
        ``execution.buffer-timeout`` (``env.set_buffer_timeout``)."""
        if timeout_millis < -1:
            raise ValueError(f"buffer timeout must be -1 (flush only when full), 0 or positive, not {timeout_millis}")
        vars(self._transformation)["buffer_timeout"] = int(timeout_millis)
        return self

    def get_buffer_timeout(self) -> int:
        return getattr(self._transformation, "buffer_timeout", self._env.get_buffer_timeout())

    def force_non_parallel(self) -> DataStream:
        """Run this operator with parallelism 1 (and max parallelism 1), as Flink's forceNonParallel."""
        self._transformation.parallelism = 1
        self._transformation.max_parallelism = 1
        self._transformation.non_parallel = True
        return self

    def get_execution_config(self) -> Any:
        return self._env.get_config()

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

    def get_slot_sharing_group(self) -> str:
        return self._transformation.slot_sharing_group

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
        out_type = self._transformation.output_type
        return self._add("Filter", ops.FilterOperator("Filter", f, func, out_type), out_type)

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
        op.output_type = self._transformation.output_type  # records pass on with their type
        out = self._add("Timestamps/Watermarks", op, self._transformation.output_type)
        out._transformation.inherit_parallelism = True  # as in Flink: runs beside its input, chained
        return out

    def connect(self, ds: Any) -> Any:
        from runtime.datastream.connected_streams import BroadcastConnectedStream, BroadcastStream, ConnectedStreams
        if isinstance(ds, BroadcastStream):
            return BroadcastConnectedStream(self, ds, ds.descriptors)
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
        assigner: Any = w.CountTumblingWindowAssigner(size) if not slide else w.CountSlidingWindowAssigner(size, slide)
        return self.window_all(assigner)

    def rebalance(self) -> DataStream:
        return self._partition(StreamPartitioner("REBALANCE"))

    def rescale(self) -> DataStream:
        return self._partition(StreamPartitioner("RESCALE"))

    def shuffle(self) -> DataStream:
        return self._partition(StreamPartitioner("SHUFFLE"))

    def forward(self) -> DataStream:
        return self._partition(StreamPartitioner("FORWARD"))

    def broadcast(self, broadcast_state_descriptor: Any = None, *other_broadcast_state_descriptors: Any) -> Any:
        """Every record to every parallel instance of the next operator; with state
        descriptors, a BroadcastStream for the broadcast state pattern."""
        if broadcast_state_descriptor is not None:
            from runtime.datastream.connected_streams import BroadcastStream
            return BroadcastStream(self, [broadcast_state_descriptor, *other_broadcast_state_descriptors])
        return self._partition(StreamPartitioner("BROADCAST"))

    def project(self, *field_indexes: int) -> DataStream:
        """Keep the tuple fields at ``field_indexes``, in that order (only for streams typed
        ``Types.TUPLE``, as in PyFlink). Runs as Flink's Java ``StreamProject`` does: its
        output has the projected tuple type."""
        from runtime.common.typeinfo import TupleTypeInfo
        from runtime.datastream.projection import ProjectOperator
        in_type = self._transformation.output_type
        if not isinstance(in_type, TupleTypeInfo):
            raise TypeError(f"Only Tuple DataStreams can be projected; this stream's type is {self.get_type()}")
        fields = in_type.get_field_types()
        for index in field_indexes:
            if not isinstance(index, int) or not 0 <= index < len(fields):
                raise ValueError(f"project(): field index {index!r} is out of range for {in_type}")
        if not field_indexes:
            raise ValueError("project() needs at least one field index")
        out_type = TupleTypeInfo([fields[i] for i in field_indexes])
        return self._add("Projection", ProjectOperator("Projection", list(field_indexes), out_type), out_type)

    def cache(self) -> CachedDataStream:
        """PyFlink caches a bounded stream's result for later jobs of the same environment;
        here later jobs recompute it (same results). Returns a CachedDataStream."""
        return CachedDataStream(self._env, self._transformation)

    def partition_custom(self, partitioner: Any, key_selector: Any) -> DataStream:
        pf = fns.resolve(partitioner, "partition", "Partitioner")
        kf = fns.resolve(key_selector, "get_key", "KeySelector")
        return self._partition(CustomPartitionerWrapper(pf, kf))

    # ------------------------------------------------------------------ sinks
    def print(self, sink_identifier: str | None = None) -> DataStreamSink:
        op = ops.PrintSinkOperator("Sink: Print to Std. Out", self._transformation.output_type, sink_identifier)
        return DataStreamSink(self._add("Sink: Print to Std. Out", op, kind="sink")._transformation, self._env)

    def add_sink(self, sink_func: Any) -> DataStreamSink:
        create = getattr(sink_func, "create_operator", None)
        if create is not None:  # a connector sink given to add_sink (StreamingFileSink)
            op = create("Sink: Unnamed", self._transformation.output_type)
            return DataStreamSink(self._add("Sink: Unnamed", op, kind="sink")._transformation, self._env)
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
    """The end of a stream (``print()``, ``add_sink``, ``sink_to``): name, uid, parallelism."""

    def __init__(self, transformation: Transformation, env: StreamExecutionEnvironment) -> None:
        self._transformation = transformation
        self._env = env

    def set_uid_hash(self, uid_hash: str) -> DataStreamSink:
        return self.uid(uid_hash)

    def set_description(self, description: str) -> DataStreamSink:
        vars(self._transformation)["description"] = str(description)  # kept beside its fields
        return self

    def get_description(self) -> str | None:
        return getattr(self._transformation, "description", None)

    def get_name(self) -> str:
        return self._transformation.name

    def get_uid(self) -> str | None:
        return self._transformation.uid

    def get_uid_hash(self) -> str | None:
        return self._transformation.uid

    def get_parallelism(self) -> int | None:
        return self._transformation.parallelism

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
        self._transformation.slot_sharing_group = str(getattr(slot_sharing_group, "get_name", lambda: slot_sharing_group)())
        return self

    def get_slot_sharing_group(self) -> str:
        return self._transformation.slot_sharing_group


class KeyedStream(DataStream):
    """A DataStream partitioned by key; its operators run keyed (state, rolling aggregates).

    As in PyFlink, the settings of an operator cannot be made on the KeyedStream itself (set
    them on the operator that follows) and its partitioning cannot be overridden.
    """

    class AccumulateType(Enum):
        """The rolling aggregations of ``sum``/``min``/``max``/``min_by``/``max_by``."""
        MIN = 1
        MAX = 2
        MIN_BY = 3
        MAX_BY = 4
        SUM = 5

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
        return self._keyed(name, ops.KeyedReduceOperator(name, agg, agg, out_type), out_type)

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
        return self._add("Filter", ops.KeyedFilterOperator("Filter", f, func, out_type), out_type)

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
        assigner: Any = w.CountTumblingWindowAssigner(size) if not slide else w.CountSlidingWindowAssigner(size, slide)
        return WindowedStream(self, assigner)

    def set_parallelism(self, parallelism: int) -> DataStream:
        raise TypeError("cannot set the parallelism of a KeyedStream; set it on the operator after it")

    def name(self, name: str) -> DataStream:
        raise TypeError("cannot name a KeyedStream; name the operator after it")

    def _operator_setting(self, what: str) -> TypeError:
        return TypeError(f"cannot set the {what} of a KeyedStream; set it on the operator after it")

    def get_name(self) -> str:
        raise TypeError("a KeyedStream has no name of its own; name the operator after it")

    def uid(self, uid: str) -> DataStream:
        raise self._operator_setting("uid")

    def set_uid_hash(self, uid_hash: str) -> DataStream:
        raise self._operator_setting("uid hash")

    def set_max_parallelism(self, max_parallelism: int) -> DataStream:
        raise self._operator_setting("max parallelism")

    def force_non_parallel(self) -> DataStream:
        raise self._operator_setting("parallelism")

    def set_buffer_timeout(self, timeout_millis: int) -> DataStream:
        raise self._operator_setting("buffer timeout")

    def start_new_chain(self) -> DataStream:
        raise self._operator_setting("chaining")

    def disable_chaining(self) -> DataStream:
        raise self._operator_setting("chaining")

    def slot_sharing_group(self, slot_sharing_group: Any) -> DataStream:
        raise self._operator_setting("slot sharing group")

    def cache(self) -> CachedDataStream:
        raise TypeError("a KeyedStream cannot be cached; cache the stream before key_by")

    def _repartition(self) -> TypeError:
        return TypeError("cannot override the partitioning of a KeyedStream (it is partitioned by key)")

    def shuffle(self) -> DataStream:
        raise self._repartition()

    def rescale(self) -> DataStream:
        raise self._repartition()

    def rebalance(self) -> DataStream:
        raise self._repartition()

    def forward(self) -> DataStream:
        raise self._repartition()

    def broadcast(self, *args: Any) -> Any:
        raise self._repartition()

    def partition_custom(self, partitioner: Any, key_selector: Any) -> DataStream:
        raise self._repartition()

    def project(self, *field_indexes: int) -> DataStream:
        return self._origin.project(*field_indexes)


class CachedDataStream(DataStream):
    """What ``DataStream.cache()`` returns: the same stream (results are recomputed by later
    jobs rather than read back from a cache); ``invalidate()`` has nothing to drop."""

    def invalidate(self) -> None:
        pass


def __getattr__(name: str) -> Any:
    # the stream classes PyFlink defines in its data_stream module; imported on use (they import this one)
    if name in ("WindowedStream", "AllWindowedStream"):
        from runtime.datastream import windowed_stream
        return getattr(windowed_stream, name)
    if name in ("ConnectedStreams", "BroadcastStream", "BroadcastConnectedStream"):
        from runtime.datastream import connected_streams
        return getattr(connected_streams, name)
    if name == "CloseableIterator":
        from runtime.datastream.collect import CloseableIterator
        return CloseableIterator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
