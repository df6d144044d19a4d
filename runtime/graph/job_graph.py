"""StreamGraph → JobGraph: operator chaining and the wire structure sent to the Dispatcher.

Chaining rule (Flink's): A→B are fused into one task when B has exactly one input edge, the
edge is FORWARD, both have the same parallelism and slot sharing group, B's strategy is
ALWAYS and A's is ALWAYS or HEAD, and chaining is enabled. A chain may fan out to several
chained successors. The JobGraph is plain data plus one cloudpickled ChainSpec per vertex.
"""
from __future__ import annotations

import itertools
import json
from typing import Any

from runtime.common.job import JobID
from runtime.graph.chain import ChainNode, ChainSpec
from runtime.graph.stream_graph import GraphError, StreamEdge, StreamGraph, StreamNode
from runtime.graph.transformation import CHAIN_ALWAYS, CHAIN_HEAD
from runtime.jobgraph.job_graph import JobEdge, JobGraph, JobVertex, ShipStrategy


def is_chainable(edge: StreamEdge, graph: StreamGraph) -> bool:
    up, down = edge.source, edge.target
    return (graph.chaining_enabled
            and len(down.in_edges) == 1
            and edge.partitioner.kind == "FORWARD"
            and up.parallelism == down.parallelism
            and up.slot_sharing_group == down.slot_sharing_group
            and down.chaining == CHAIN_ALWAYS
            and up.chaining in (CHAIN_ALWAYS, CHAIN_HEAD))


def chain_name(members: list[StreamNode], graph: StreamGraph) -> str:
    """The task's name as Flink shows it: the chained operators' names joined by " -> ", except
    that Python operators PyFlink fuses into one (consecutive ones chained to each other) are
    joined by ", ": ``Source: Collection Source -> my-map, Map -> Sink: Print to Std. Out``."""
    parts = [members[0].name]
    for prev, node in zip(members, members[1:]):
        fused = (getattr(prev.operator, "fuses_with_python", False) and getattr(node.operator, "fuses_with_python", False)
                 and any(e.target is node and e.output_tag is None and is_chainable(e, graph) for e in prev.out_edges))
        parts.append((", " if fused else " -> ") + node.name)
    return "".join(parts)


def build_job_graph(graph: StreamGraph, job_id: JobID, config: dict[str, str] | None = None,
                    serialize: bool = True) -> JobGraph:
    """The JobGraph of the stream graph (``chain`` blobs only when ``serialize``)."""
    heads = [n for n in graph.nodes if not n.in_edges or not any(is_chainable(e, graph) for e in n.in_edges)]
    vertex_of: dict[int, int] = {}
    chains: dict[int, list[StreamNode]] = {}
    vid_counter = itertools.count(1)
    for head in sorted(heads, key=lambda n: n.id):
        vid = next(vid_counter)
        members: list[StreamNode] = []
        stack = [head]
        while stack:
            node = stack.pop(0)
            members.append(node)
            vertex_of[node.id] = vid
            for e in node.out_edges:
                if is_chainable(e, graph):
                    stack.append(e.target)
        chains[vid] = members
    edges: list[JobEdge] = []
    specs: dict[int, ChainSpec] = {}
    for vid, members in chains.items():
        index = {n.id: i for i, n in enumerate(members)}
        nodes = [ChainNode(n.operator) for n in members]
        partitioners: dict[int, Any] = {}
        for i, n in enumerate(members):
            for e in n.out_edges:
                if e.target.id in index and is_chainable(e, graph):
                    if e.output_tag is None:
                        nodes[i].chained.append(index[e.target.id])
                    else:
                        nodes[i].side_chained.setdefault(e.output_tag, []).append(index[e.target.id])
                else:
                    eid = len(edges)
                    edges.append(JobEdge(eid, vid, vertex_of[e.target.id], ShipStrategy[e.partitioner.kind],
                                         e.input_index, e.target.id))
                    if e.output_tag is None:
                        nodes[i].edges.append(eid)
                    else:
                        nodes[i].side_edges.setdefault(e.output_tag, []).append(eid)
                    partitioners[eid] = e.partitioner
        specs[vid] = ChainSpec(nodes, partitioners)
    vertices = []
    for vid, members in chains.items():
        head = members[0]
        vertices.append(JobVertex(
            id=vid,
            name=chain_name(members, graph),
            operators=[n.name for n in members],
            operator_ids=[n.id for n in members],
            parallelism=head.parallelism,
            max_parallelism=head.max_parallelism,
            slot_sharing_group=head.slot_sharing_group,
            is_source=head.is_source,
            chain=serialize_chain(specs[vid], members) if serialize else b"",
            operator_uids=[n.operator.operator_id for n in members],
        ))
    return JobGraph(
        job_id=job_id,
        name=graph.job_name,
        vertices=vertices,
        edges=edges,
        config=dict(config or {}),
        bounded=all(n.bounded for n in graph.nodes if n.is_source),
        plan_json=json.dumps(execution_plan(graph, vertex_of)),
    )


def serialize_chain(spec: ChainSpec, members: list[StreamNode]) -> bytes:
    import cloudpickle
    try:
        return cloudpickle.dumps(spec, protocol=5)
    except Exception as exc:  # find the operator whose function cannot be shipped
        for node in members:
            try:
                cloudpickle.dumps(node.operator, protocol=5)
            except Exception as inner:
                raise GraphError(f"operator '{node.name}' cannot be serialized to ship it to the TaskManagers: "
                                 f"{type(inner).__name__}: {inner}") from None
        raise GraphError(f"the chain '{' -> '.join(n.name for n in members)}' cannot be serialized: {exc}") from None


def execution_plan(graph: StreamGraph, vertex_of: dict[int, int] | None = None) -> dict[str, Any]:
    """The plan in the shape of Flink's ``getExecutionPlan`` JSON, plus the chain each
    operator belongs to (``chain``: the JobVertex id; same id = chained into one task)."""
    nodes = []
    for n in sorted(graph.nodes, key=lambda n: n.id):
        entry: dict[str, Any] = {
            "id": n.id,
            "type": n.name,
            "pact": "Data Source" if n.is_source else ("Data Sink" if not n.out_edges else "Operator"),
            "contents": n.name,
            "parallelism": n.parallelism,
        }
        if vertex_of is not None:
            entry["chain"] = vertex_of[n.id]
        if n.in_edges:
            entry["predecessors"] = [
                {"id": e.source.id, "ship_strategy": e.partitioner.kind, "side": "second",
                 "chained": bool(vertex_of and vertex_of[e.source.id] == vertex_of[n.id])}
                for e in n.in_edges]
        nodes.append(entry)
    return {"nodes": nodes}


__all__ = ["build_job_graph", "execution_plan", "GraphError"]
