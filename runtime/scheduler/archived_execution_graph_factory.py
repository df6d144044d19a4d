"""Snapshots of a live job as an ExecutionGraphInfo (Flink's ``ArchivedExecutionGraph.createFrom``).

The JobMaster calls :func:`create_from` whenever the REST API asks about its job, and the
Dispatcher once more when the job has ended, to keep it in the ExecutionGraphInfoStore. The
snapshot copies what it takes, so it never changes after it was made.
"""
from __future__ import annotations

import copy

from runtime.common.job import ExecutionState
from runtime.configuration import options as opts
from runtime.messages.archived_execution_graph import (
    ArchivedExecution,
    ArchivedExecutionGraph,
    ArchivedExecutionJobVertex,
    ArchivedJobEdge,
    ExecutionGraphInfo,
)
from runtime.messages.checkpoint_stats import CheckpointStatistics
from runtime.scheduler.default_scheduler import DefaultScheduler
from runtime.scheduler.execution_graph import Execution

__all__ = ["create_from"]


def _execution(scheduler: DefaultScheduler, subtask: int, ex: Execution | None) -> ArchivedExecution:
    if ex is None:
        return ArchivedExecution(subtask, 0, ExecutionState.CREATED)
    host, port = scheduler.location(ex)
    slot = scheduler.slots.get(ex.allocation_id) if ex.allocation_id is not None else None
    return ArchivedExecution(
        subtask, ex.attempt, ex.state, {s: int(t * 1000) for s, t in ex.state_times.items()},
        str(ex.resource_id) if ex.resource_id is not None else None, host, port, ex.failure,
        slot.index if slot is not None else -1, copy.copy(ex.io_metrics))


def create_from(scheduler: DefaultScheduler, name: str, checkpoint_stats: CheckpointStatistics | None = None,
                restart_strategy: str = "") -> ExecutionGraphInfo:
    """The job as it is now: status, vertices with their current attempts, plan edges,
    configuration, checkpoint statistics and exception history."""
    graph = scheduler.graph
    job_graph = scheduler.job_graph
    vertices = []
    for vid, v in sorted(graph.vertices.items()):
        subtasks = [_execution(scheduler, ev.subtask, ev.current) for ev in graph.execution_vertices[vid]]
        vertices.append(ArchivedExecutionJobVertex(vid, v.hex_id, v.name, v.parallelism, v.max_parallelism,
                                                   v.slot_sharing_group, list(v.operators), subtasks))
    edges = [ArchivedJobEdge(e.source, e.target, e.ship_strategy.value, e.input_index) for e in job_graph.edges]
    mode = job_graph.config.get(opts.EXECUTION_RUNTIME_MODE.key, "STREAMING").upper()
    archived = ArchivedExecutionGraph(
        job_id=scheduler.job_id, name=name, state=scheduler.status, status_timestamps=dict(scheduler.status_times),
        start_time=scheduler.start_time, end_time=scheduler.end_time, failure=scheduler.failure,
        job_type="BATCH" if mode == "BATCH" else "STREAMING", vertices=vertices, edges=edges,
        job_config=dict(job_graph.config), job_parameters=dict(job_graph.job_parameters),
        restart_strategy=restart_strategy, num_restarts=scheduler.num_restarts,
        checkpoint_stats=copy.deepcopy(checkpoint_stats) if checkpoint_stats is not None else CheckpointStatistics())
    return ExecutionGraphInfo(archived, copy.deepcopy(scheduler.exception_history.entries()))
