"""ExecutionGraph (Flink's): the parallel, running form of a JobGraph.

Each JobVertex becomes ``parallelism`` ExecutionVertices; each run of a vertex is an
Execution attempt with its own id (which also names the result partitions it produces). The
graph derives, for a deployment, which producer subpartitions each consumer channel reads,
and turns an Execution into its TaskDeploymentDescriptor.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from runtime.common.job import ExecutionState
from runtime.deployment.task_deployment_descriptor import (
    InputChannelDeploymentDescriptor,
    InputGateDeploymentDescriptor,
    JobMasterAddress,
    ResultPartitionDeploymentDescriptor,
    TaskDeploymentDescriptor,
    result_partition_id,
)
from runtime.jobgraph.job_graph import DistributionPattern, JobGraph, JobVertex, pointwise_pairs
from runtime.messages.ids import AllocationID, ExecutionAttemptID, ResourceID
from runtime.metrics.io_metrics import IOMetrics


@dataclass(eq=False)
class Execution:
    attempt_id: ExecutionAttemptID
    vertex: ExecutionVertex
    attempt: int
    state: ExecutionState = ExecutionState.CREATED
    resource_id: ResourceID | None = None
    allocation_id: AllocationID | None = None
    failure: str | None = None
    state_times: dict[ExecutionState, float] = field(default_factory=dict)
    #: final figures reported with a terminal state (Flink's Execution.ioMetrics)
    io_metrics: IOMetrics | None = None

    def transition(self, state: ExecutionState) -> None:
        self.state = state
        self.state_times[state] = time.time()


@dataclass(eq=False)
class ExecutionVertex:
    job_vertex: JobVertex
    subtask: int
    current: Execution | None = None

    @property
    def task_name(self) -> str:
        return self.job_vertex.name


class ExecutionGraph:
    def __init__(self, job_graph: JobGraph) -> None:
        self.job_graph = job_graph
        self.job_id = job_graph.job_id
        self.vertices: dict[int, JobVertex] = {v.id: v for v in job_graph.vertices}
        self.execution_vertices: dict[int, list[ExecutionVertex]] = {
            vid: [ExecutionVertex(v, i) for i in range(v.parallelism)] for vid, v in self.vertices.items()}
        self.executions: dict[ExecutionAttemptID, Execution] = {}
        self.attempt = -1
        # consumer subtasks connected to each producer subtask, per edge (subpartition order)
        self._consumers: dict[tuple[int, int], list[int]] = {}
        self._producers: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for e in job_graph.edges:
            src_p = self.vertices[e.source].parallelism
            dst_p = self.vertices[e.target].parallelism
            if e.pattern is DistributionPattern.ALL_TO_ALL:
                pairs = [(p, c) for c in range(dst_p) for p in range(src_p)]
            else:
                pairs = pointwise_pairs(src_p, dst_p)
            for p, c in sorted(pairs):
                self._consumers.setdefault((e.id, p), []).append(c)
            for p, c in sorted(pairs, key=lambda pc: (pc[1], pc[0])):
                sub = self._consumers[(e.id, p)].index(c)
                self._producers.setdefault((e.id, c), []).append((p, sub))

    def new_attempt(self) -> list[Execution]:
        """A fresh Execution for every subtask (initial run or global restart)."""
        self.attempt += 1
        self.executions.clear()
        out = []
        for vid in sorted(self.execution_vertices):
            for ev in self.execution_vertices[vid]:
                ex = Execution(ExecutionAttemptID.generate(), ev, self.attempt)
                ex.transition(ExecutionState.CREATED)
                ev.current = ex
                self.executions[ex.attempt_id] = ex
                out.append(ex)
        return out

    def slots_needed(self) -> int:
        return self.job_graph.slots_needed()

    def deployment_descriptor(self, ex: Execution, locations: dict[ResourceID, str],
                              jobmaster: JobMasterAddress) -> TaskDeploymentDescriptor:
        v = ex.vertex.job_vertex
        sub = ex.vertex.subtask
        outputs = [ResultPartitionDeploymentDescriptor(e.id, result_partition_id(self.job_id, ex.attempt_id, e.id),
                                                       len(self._consumers.get((e.id, sub), [])))
                   for e in self.job_graph.edges if e.source == v.id]
        inputs = []
        for e in self.job_graph.edges:
            if e.target != v.id:
                continue
            channels = []
            for p, subpartition in self._producers.get((e.id, sub), []):
                producer = self.execution_vertices[e.source][p].current
                assert producer is not None and producer.resource_id is not None
                channels.append(InputChannelDeploymentDescriptor(
                    result_partition_id(self.job_id, producer.attempt_id, e.id), subpartition,
                    producer.resource_id, locations.get(producer.resource_id, "")))
            inputs.append(InputGateDeploymentDescriptor(e.id, e.input_index, channels))
        assert ex.allocation_id is not None
        return TaskDeploymentDescriptor(
            job_id=self.job_id, execution_id=ex.attempt_id, allocation_id=ex.allocation_id, vertex_id=v.id,
            task_name=v.name, subtask_index=sub, parallelism=v.parallelism, max_parallelism=v.max_parallelism,
            attempt=ex.attempt, chain=v.chain, jobmaster=jobmaster, outputs=outputs, inputs=inputs,
            config=dict(self.job_graph.config), job_parameters=dict(self.job_graph.job_parameters),
            job_name=self.job_graph.name, vertex_hex_id=v.hex_id)

    def producers_of(self, ex: Execution) -> list[Execution]:
        """The current executions feeding ``ex`` through its input channels."""
        out = []
        vid, sub = ex.vertex.job_vertex.id, ex.vertex.subtask
        for e in self.job_graph.edges:
            if e.target != vid:
                continue
            for p, _ in self._producers.get((e.id, sub), []):
                producer = self.execution_vertices[e.source][p].current
                if producer is not None:
                    out.append(producer)
        return out

    def all_terminal(self) -> bool:
        return all(ex.state.is_terminal() for ex in self.executions.values())

    def task_counts(self) -> dict[ExecutionState, int]:
        counts: dict[ExecutionState, int] = {}
        for ex in self.executions.values():
            counts[ex.state] = counts.get(ex.state, 0) + 1
        return counts
