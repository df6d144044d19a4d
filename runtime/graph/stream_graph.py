"""StreamGraph: one node per (non-virtual) transformation, edges carrying partitioners."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from runtime.graph.partitioners import StreamPartitioner
from runtime.graph.transformation import Transformation


class GraphError(ValueError):
    """The program describes a graph that cannot run; the message names the operator."""


@dataclass(eq=False)
class StreamNode:
    id: int
    name: str
    operator: Any
    parallelism: int
    max_parallelism: int
    chaining: str
    slot_sharing_group: str
    is_source: bool
    bounded: bool
    uid: str | None = None
    in_edges: list[StreamEdge] = field(default_factory=list)
    out_edges: list[StreamEdge] = field(default_factory=list)


@dataclass(eq=False)
class StreamEdge:
    source: StreamNode
    target: StreamNode
    partitioner: StreamPartitioner
    input_index: int = 0
    output_tag: str | None = None     # side output this edge carries (None: the main output)


@dataclass
class StreamGraph:
    job_name: str
    nodes: list[StreamNode]
    edges: list[StreamEdge]
    chaining_enabled: bool = True


def build_stream_graph(sinks: list[Transformation], job_name: str, default_parallelism: int,
                       default_max_parallelism: int, chaining_enabled: bool = True) -> StreamGraph:
    order: list[Transformation] = []
    seen: set[int] = set()

    def visit(t: Transformation) -> None:
        if t.id in seen:
            return
        seen.add(t.id)
        for i in t.inputs:
            visit(i)
        order.append(t)

    for s in sorted(sinks, key=lambda t: t.id):
        visit(s)
    nodes: dict[int, StreamNode] = {}
    edges: list[StreamEdge] = []

    def upstream(t: Transformation, partitioner: StreamPartitioner | None,
                 tag: str | None = None) -> list[tuple[StreamNode, StreamPartitioner | None, str | None]]:
        """Resolve virtual transformations into (physical node, partitioner, side output tag)."""
        if t.kind == "partition":
            return [(n, t.partitioner, tg) for t_in in t.inputs for n, _, tg in upstream(t_in, None, tag)]
        if t.kind == "union":
            return [triple for t_in in t.inputs for triple in upstream(t_in, partitioner, tag)]
        if t.kind == "side_output":
            return [triple for t_in in t.inputs for triple in upstream(t_in, partitioner, t.output_tag)]
        return [(nodes[t.id], partitioner, tag)]

    virtual = ("partition", "union", "side_output")

    for t in sorted(order, key=lambda t: t.id):
        if t.kind in virtual:
            continue
        max_p = t.max_parallelism or default_max_parallelism
        if t.non_parallel:
            if t.parallelism not in (None, 1):
                raise GraphError(f"operator '{t.name}' is non-parallel; its parallelism must be 1, not {t.parallelism}")
            p = 1
        elif t.parallelism is None and t.inherit_parallelism and t.inputs:
            p = max(n.parallelism for n, _, _ in upstream(t.inputs[0], None))
        else:
            p = t.parallelism or default_parallelism
        if p < 1:
            raise GraphError(f"operator '{t.name}' has parallelism {p}; it must be at least 1")
        if p > max_p:
            raise GraphError(f"operator '{t.name}' has parallelism {p}, above its max parallelism {max_p}; "
                             "lower the parallelism or raise set_max_parallelism")
        node = StreamNode(t.id, t.name, t.operator, p, max_p, t.chaining, t.slot_sharing_group,
                          t.kind == "source", t.bounded, t.uid)
        # state is named by the uid, else by the operator's position in the program, which is
        # stable across runs of the same program (transformation ids are not)
        t.operator.operator_id = t.uid or f"{len(nodes)}-{t.name}"
        nodes[t.id] = node
    for t in sorted(order, key=lambda t: t.id):
        if t.kind in virtual:
            continue
        target = nodes[t.id]
        for index, t_in in enumerate(t.inputs):
            input_index = index if t.two_input else 0
            for src, part, tag in upstream(t_in, None):
                if part is None:
                    part = StreamPartitioner("FORWARD" if src.parallelism == target.parallelism else "REBALANCE",
                                             explicit=False)
                if part.kind == "FORWARD" and src.parallelism != target.parallelism:
                    raise GraphError(f"forward partitioning does not allow a change of parallelism: "
                                     f"'{src.name}' ({src.parallelism}) -> '{target.name}' ({target.parallelism}); "
                                     "use rebalance() or rescale()")
                if part.kind in ("HASH", "CUSTOM"):
                    part = copy.copy(part)
                    part.max_parallelism = target.max_parallelism  # type: ignore[attr-defined]
                    part.target_name = target.name  # type: ignore[attr-defined]
                edge = StreamEdge(src, target, part, input_index, tag)
                src.out_edges.append(edge)
                target.in_edges.append(edge)
                edges.append(edge)
    # uids must be unique: they name operator state in savepoints
    uids: dict[str, str] = {}
    for n in nodes.values():
        if n.uid is not None:
            if n.uid in uids:
                raise GraphError(f"uid '{n.uid}' is used by both '{uids[n.uid]}' and '{n.name}'")
            uids[n.uid] = n.name
    return StreamGraph(job_name, list(nodes.values()), edges, chaining_enabled)
