"""ExecutionGraph: the parallel, running form of a JobGraph.

Each JobVertex becomes ``parallelism`` ExecutionVertices; each run of a vertex is an
Execution attempt with its own id (the id of the result partitions it produces). The graph
also derives, for a deployment, which producer subpartitions each consumer channel reads.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from runtime.common.job import ExecutionState
from runtime.graph.partitioners import ALL_TO_ALL, pointwise_pairs


@dataclass(eq=False)
class Execution:
    attempt_id: str
    vertex: ExecutionVertex
    attempt: int
    state: ExecutionState = ExecutionState.CREATED
    resource_id: str | None = None
    allocation_id: str | None = None
    failure: str | None = None
    state_times: dict[str, float] = field(default_factory=dict)


@dataclass(eq=False)
class ExecutionVertex:
    job_vertex: dict[str, Any]
    subtask: int
    current: Execution | None = None

    @property
    def task_name(self) -> str:
        return self.job_vertex["name"]


class ExecutionGraph:
    def __init__(self, job_graph: dict[str, Any]) -> None:
        self.job_graph = job_graph
        self.job_id: str = job_graph["job_id"]
        self.vertices: dict[int, dict[str, Any]] = {v["id"]: v for v in job_graph["vertices"]}
        self.edges: list[dict[str, Any]] = list(job_graph["edges"])
        self.execution_vertices: dict[int, list[ExecutionVertex]] = {
            vid: [ExecutionVertex(v, i) for i in range(v["parallelism"])] for vid, v in self.vertices.items()}
        self.executions: dict[str, Execution] = {}
        self.attempt = -1
        # consumer subtasks connected to each producer subtask, per edge (subpartition order)
        self._consumers: dict[tuple[int, int], list[int]] = {}
        self._producers: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for e in self.edges:
            src_p = self.vertices[e["source"]]["parallelism"]
            dst_p = self.vertices[e["target"]]["parallelism"]
            if e["pattern"] == ALL_TO_ALL:
                pairs = [(p, c) for c in range(dst_p) for p in range(src_p)]
            else:
                pairs = pointwise_pairs(src_p, dst_p)
            for p, c in sorted(pairs):
                self._consumers.setdefault((e["id"], p), []).append(c)
            for p, c in sorted(pairs, key=lambda pc: (pc[1], pc[0])):
                sub = self._consumers[(e["id"], p)].index(c)
                self._producers.setdefault((e["id"], c), []).append((p, sub))

    def new_attempt(self) -> list[Execution]:
        """Create a fresh Execution for every subtask (initial run or global restart)."""
        self.attempt += 1
        self.executions.clear()
        out = []
        for vid in sorted(self.execution_vertices):
            for ev in self.execution_vertices[vid]:
                ex = Execution(uuid.uuid4().hex, ev, self.attempt)
                ev.current = ex
                self.executions[ex.attempt_id] = ex
                out.append(ex)
        return out

    def slot_sharing_groups(self) -> dict[str, int]:
        """group name → slots it needs (its max parallelism): one slot holds one subtask of
        every vertex of the group."""
        groups: dict[str, int] = {}
        for v in self.vertices.values():
            g = v.get("slot_sharing_group", "default")
            groups[g] = max(groups.get(g, 0), v["parallelism"])
        return groups

    def slots_needed(self) -> int:
        return sum(self.slot_sharing_groups().values())

    def deployment_descriptor(self, ex: Execution, locations: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
        v = ex.vertex.job_vertex
        vid, sub = v["id"], ex.vertex.subtask
        outputs = []
        for e in self.edges:
            if e["source"] == vid:
                outputs.append({"edge": e["id"], "partition_id": f"{self.job_id}:{ex.attempt_id}:{e['id']}",
                                "num_subpartitions": len(self._consumers.get((e["id"], sub), []))})
        inputs = []
        for e in self.edges:
            if e["target"] != vid:
                continue
            channels = []
            for p, subpartition in self._producers.get((e["id"], sub), []):
                producer = self.execution_vertices[e["source"]][p].current
                channels.append({"partition_id": f"{self.job_id}:{producer.attempt_id}:{e['id']}",
                                 "subpartition": subpartition, "location": producer.resource_id,
                                 "address": locations.get(producer.resource_id or "", "")})
            inputs.append({"edge": e["id"], "input_index": e.get("input_index", 0), "channels": channels})
        return {
            "job_id": self.job_id,
            "execution_id": ex.attempt_id,
            "vertex_id": vid,
            "task_name": v["name"],
            "subtask_index": sub,
            "parallelism": v["parallelism"],
            "max_parallelism": v["max_parallelism"],
            "attempt": ex.attempt,
            "allocation_id": ex.allocation_id,
            "chain": v["chain"],
            "outputs": outputs,
            "inputs": inputs,
            "config": config,
            "job_parameters": self.job_graph.get("job_parameters") or {},
        }

    def all_terminal(self) -> bool:
        return all(ex.state.is_terminal() for ex in self.executions.values())

    def task_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ex in self.executions.values():
            counts[ex.state.name] = counts.get(ex.state.name, 0) + 1
        return counts
