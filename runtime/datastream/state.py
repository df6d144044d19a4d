"""PyFlink's ``pyflink.datastream.state``: state descriptors, state interfaces and TTL.

Defined in ``runtime.common.state`` so that the state backends use them without depending on
the DataStream API (as Flink keeps them in its core module).
"""
from runtime.common.state import (
    AggregatingState,
    AggregatingStateDescriptor,
    AppendingState,
    BroadcastState,
    ListState,
    ListStateDescriptor,
    MapState,
    MapStateDescriptor,
    MergingState,
    OperatorStateStore,
    ReadOnlyBroadcastState,
    ReducingState,
    ReducingStateDescriptor,
    State,
    StateDescriptor,
    StateTtlConfig,
    ValueState,
    ValueStateDescriptor,
)

__all__ = [
    "StateTtlConfig",
    "StateDescriptor",
    "ValueStateDescriptor",
    "ListStateDescriptor",
    "MapStateDescriptor",
    "ReducingStateDescriptor",
    "AggregatingStateDescriptor",
    "State",
    "ValueState",
    "AppendingState",
    "ListState",
    "ReducingState",
    "AggregatingState",
    "MapState",
    "ReadOnlyBroadcastState",
    "BroadcastState",
    "MergingState",
    "OperatorStateStore",
]
