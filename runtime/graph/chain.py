"""What a task receives for its vertex: the operator chain and the partitioners of its
outgoing edges. Built on the client, cloudpickled once per vertex, opaque to the JobManager."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChainNode:
    operator: Any
    #: indices (in ChainSpec.nodes) of operators chained after this one
    chained: list[int] = field(default_factory=list)
    #: job edge ids this operator writes to over the network
    edges: list[int] = field(default_factory=list)
    #: side outputs: tag id → chained operator indices / job edge ids
    side_chained: dict[str, list[int]] = field(default_factory=dict)
    side_edges: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class ChainSpec:
    nodes: list[ChainNode]
    partitioners: dict[int, Any]
