"""ConnectedStreams and the broadcast state pattern, named as PyFlink's."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.datastream import functions as fns
from runtime.graph.partitioners import StreamPartitioner
from runtime.graph.transformation import Transformation

if TYPE_CHECKING:
    from runtime.datastream.data_stream import DataStream


def _two_input(first: DataStream, t1: Transformation, t2: Transformation, name: str, operator: Any,
               output_type: Any) -> DataStream:
    from runtime.datastream.data_stream import DataStream
    t = Transformation(name, operator, [t1, t2], output_type=output_type, two_input=True)
    first._env._add_transformation(t)
    return DataStream(first._env, t)


class ConnectedStreams:
    def __init__(self, stream1: DataStream, stream2: DataStream) -> None:
        self.stream1 = stream1
        self.stream2 = stream2

    def key_by(self, key_selector1: Any, key_selector2: Any, key_type: Any = None) -> ConnectedStreams:
        return ConnectedStreams(self.stream1.key_by(key_selector1, key_type),
                                self.stream2.key_by(key_selector2, key_type))

    @property
    def _keyed(self) -> bool:
        from runtime.datastream.data_stream import KeyedStream
        return isinstance(self.stream1, KeyedStream) and isinstance(self.stream2, KeyedStream)

    def _inputs(self) -> tuple[Transformation, Transformation]:
        return self.stream1._transformation, self.stream2._transformation

    def map(self, func: Any, output_type: Any = None) -> DataStream:
        from runtime.streaming import co_operators as co
        if not isinstance(func, fns.CoMapFunction):
            raise TypeError(f"ConnectedStreams.map() takes a CoMapFunction, got {type(func).__name__}")
        return _two_input(self.stream1, *self._inputs(), "Co-Map", co.CoMapOperator("Co-Map", func, output_type),
                          output_type)

    def flat_map(self, func: Any, output_type: Any = None) -> DataStream:
        from runtime.streaming import co_operators as co
        if not isinstance(func, fns.CoFlatMapFunction):
            raise TypeError(f"ConnectedStreams.flat_map() takes a CoFlatMapFunction, got {type(func).__name__}")
        return _two_input(self.stream1, *self._inputs(), "Co-Flat Map",
                          co.CoFlatMapOperator("Co-Flat Map", func, output_type), output_type)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        from runtime.streaming import co_operators as co
        if isinstance(func, fns.KeyedCoProcessFunction):
            if not self._keyed:
                raise TypeError("a KeyedCoProcessFunction needs keyed inputs: use connect(...).key_by(k1, k2)")
            op: Any = co.KeyedCoProcessOperator("KeyedCoProcess", func, output_type)
            name = "KeyedCoProcess"
        elif isinstance(func, fns.CoProcessFunction):
            op, name = (co.KeyedCoProcessOperator if self._keyed else co.CoProcessOperator)("CoProcess", func,
                                                                                            output_type), "CoProcess"
        else:
            raise TypeError(f"ConnectedStreams.process() takes a (Keyed)CoProcessFunction, got {type(func).__name__}")
        return _two_input(self.stream1, *self._inputs(), name, op, output_type)


class BroadcastStream:
    """``DataStream.broadcast(MapStateDescriptor, ...)``: every subtask sees every element."""

    def __init__(self, input_stream: DataStream, broadcast_state_descriptors: list) -> None:
        self.stream = input_stream
        self.descriptors = list(broadcast_state_descriptors)
        self._transformation = input_stream._partition(StreamPartitioner("BROADCAST"))._transformation

    def get_execution_environment(self) -> Any:
        return self.stream.get_execution_environment()


class BroadcastConnectedStream:
    """A (keyed) stream connected with a BroadcastStream: ``process`` with a
    (Keyed)BroadcastProcessFunction."""

    def __init__(self, non_broadcast_stream: DataStream, broadcast_stream: BroadcastStream,
                 broadcast_state_descriptors: list) -> None:
        self.non_broadcast_stream = non_broadcast_stream
        self.broadcast_stream = broadcast_stream
        self.broadcast_state_descriptors = list(broadcast_state_descriptors)

    def get_execution_environment(self) -> Any:
        return self.non_broadcast_stream.get_execution_environment()

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        from runtime.datastream.data_stream import KeyedStream
        from runtime.streaming import co_operators as co
        keyed = isinstance(self.non_broadcast_stream, KeyedStream)
        descriptors = self.broadcast_state_descriptors
        if keyed:
            if not isinstance(func, fns.KeyedBroadcastProcessFunction):
                raise TypeError("a keyed stream connected to a broadcast stream needs a KeyedBroadcastProcessFunction, "
                                f"got {type(func).__name__}")
            op: Any = co.KeyedBroadcastProcessOperator("Co-Process-Broadcast-Keyed", func, descriptors, output_type)
        else:
            if not isinstance(func, fns.BroadcastProcessFunction):
                raise TypeError(f"process() takes a BroadcastProcessFunction, got {type(func).__name__}")
            op = co.BroadcastProcessOperator("Co-Process-Broadcast", func, descriptors, output_type)
        return _two_input(self.non_broadcast_stream, self.non_broadcast_stream._transformation,
                          self.broadcast_stream._transformation, op.name, op, output_type)
