"""Flink's JSON for a job and its parts (``/jobs/:id``, ``/plan``, ``/vertices/:vid``,
``/subtasktimes``, ``/vertices/:vid/taskmanagers``, ``/exceptions``, ``/accumulators``,
``/config``), made from an ExecutionGraphInfo.

Field names and shapes are Flink 2.x's (JobDetailsInfo, JobPlanInfo, JobVertexDetailsInfo,
SubtaskExecutionAttemptDetailsInfo, SubtasksTimesInfo, JobVertexTaskManagersInfo,
JobExceptionsInfoWithHistory, JobAccumulatorsInfo, JobConfigInfo). Per-subtask figures
(records, bytes, busy/idle/back-pressured time) are passed in resolved: an attempt's final
IOMetrics once it ended, the MetricStore's values while it runs, None when neither is known
(then zeros, and ``*-complete`` is false, as Flink says of figures it has not got).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from runtime.common.job import ExecutionState, JobStatus
from runtime.messages.archived_execution_graph import (
    ArchivedExecution,
    ArchivedExecutionGraph,
    ArchivedExecutionJobVertex,
    ExceptionHistoryEntry,
    ExecutionGraphInfo,
)
from runtime.metrics.io_metrics import IOMetrics

__all__ = ["Figures", "accumulators", "exceptions", "job_config", "job_details", "job_plan", "subtask_times",
           "vertex_details", "vertex_taskmanagers"]

#: (vertex id, subtask) -> the subtask's figures (None: not known)
Figures = Mapping[tuple[int, int], "IOMetrics | None"]

#: Flink's exchange mode of a pipelined, bounded-buffer edge: the only kind there is here
_EXCHANGE = "pipelined_bounded"
#: the states Flink's subtask ``status-duration`` covers, in the order an attempt goes through them
_LIFECYCLE = (ExecutionState.CREATED, ExecutionState.SCHEDULED, ExecutionState.DEPLOYING,
              ExecutionState.INITIALIZING, ExecutionState.RUNNING)


def _duration(start: int, end: int, now: int) -> int:
    if start <= 0:
        return -1
    return max(0, (end if end > 0 else now) - start)


def _counts(states: Iterable[ExecutionState]) -> dict[str, int]:
    out = {s.name: 0 for s in ExecutionState}
    for s in states:
        out[s.name] += 1
    return out


def io_metrics_info(figures: Iterable[IOMetrics | None]) -> dict[str, Any]:
    """Flink's IOMetricsInfo, summed over subtasks; ``*-complete`` when every one reported."""
    total = IOMetrics()
    complete = True
    for m in figures:
        if m is None:
            complete = False
            continue
        total.num_bytes_in += m.num_bytes_in
        total.num_bytes_out += m.num_bytes_out
        total.num_records_in += m.num_records_in
        total.num_records_out += m.num_records_out
        total.accumulated_busy_time += m.accumulated_busy_time
        total.accumulated_backpressured_time += m.accumulated_backpressured_time
        total.accumulated_idle_time += m.accumulated_idle_time
    return {"read-bytes": total.num_bytes_in, "read-bytes-complete": complete,
            "write-bytes": total.num_bytes_out, "write-bytes-complete": complete,
            "read-records": total.num_records_in, "read-records-complete": complete,
            "write-records": total.num_records_out, "write-records-complete": complete,
            "accumulated-backpressured-time": int(total.accumulated_backpressured_time),
            "accumulated-idle-time": int(total.accumulated_idle_time),
            "accumulated-busy-time": float(total.accumulated_busy_time)}


def aggregate_state(states: list[ExecutionState]) -> ExecutionState:
    """A vertex's state from its subtasks' (Flink's ExecutionJobVertex.getAggregateJobVertexState)."""
    if states and all(s is states[0] for s in states):
        return states[0]
    present = set(states)
    for s in (ExecutionState.FAILED, ExecutionState.CANCELING, ExecutionState.CANCELED,
              ExecutionState.INITIALIZING, ExecutionState.RUNNING):
        if s in present:
            return s
    return ExecutionState.RUNNING if ExecutionState.FINISHED in present else ExecutionState.CREATED


def _vertex_times(v: ArchivedExecutionJobVertex, now: int) -> tuple[int, int, int]:
    starts = [s.start_time for s in v.subtasks if s.start_time > 0]
    start = min(starts) if starts else -1
    end = -1
    if v.subtasks and all(s.state.is_terminal() for s in v.subtasks):
        end = max((s.end_time for s in v.subtasks), default=-1)
    return start, end, _duration(start, end, now)


def slot_sharing_group_id(graph: ArchivedExecutionGraph, group: str) -> str:
    """A stable 32-hex id for a slot sharing group (Flink's SlotSharingGroupId)."""
    return hashlib.md5(f"{graph.job_id}/{group}".encode(), usedforsecurity=False).hexdigest()


def job_details(info: ExecutionGraphInfo, figures: Figures, now: int) -> dict[str, Any]:
    """``GET /jobs/:jobid`` (Flink's JobDetailsInfo)."""
    g = info.archived_execution_graph
    vertices = []
    vertex_states = []
    for v in g.vertices:
        state = aggregate_state([s.state for s in v.subtasks])
        vertex_states.append(state)
        start, end, duration = _vertex_times(v, now)
        vertices.append({
            "id": v.hex_id, "slotSharingGroupId": slot_sharing_group_id(g, v.slot_sharing_group), "name": v.name,
            "maxParallelism": v.max_parallelism, "parallelism": v.parallelism, "status": state.name,
            "start-time": start, "end-time": end, "duration": duration,
            "tasks": _counts(s.state for s in v.subtasks),
            "metrics": io_metrics_info(figures.get((v.id, s.subtask)) for s in v.subtasks)})
    return {
        "jid": str(g.job_id), "application-id": str(g.job_id), "name": g.name, "isStoppable": False,
        "state": g.state.name, "job-type": g.job_type, "schedulerType": "Default",
        "start-time": g.start_time, "end-time": g.end_time, "duration": _duration(g.start_time, g.end_time, now),
        "maxParallelism": -1, "now": now,
        "timestamps": {s.name: g.status_timestamps.get(s, 0) for s in JobStatus},
        "vertices": vertices, "status-counts": _counts(vertex_states), "plan": job_plan(g),
        "pending-operators": 0,
    }


def _description(operators: list[str]) -> str:
    """Flink's TREE vertex description: the head operator, then each chained one under it."""
    if not operators:
        return ""
    return "".join([f"{operators[0]}<br/>", *(f"+- {op}<br/>" for op in operators[1:])])


def job_plan(g: ArchivedExecutionGraph) -> dict[str, Any]:
    """The plan inside ``/jobs/:id`` and ``/jobs/:id/plan`` (Flink's JobPlanInfo.Plan, as
    JsonPlanGenerator writes it): one node per JobVertex, inputs by vertex id."""
    hex_of = {v.id: v.hex_id for v in g.vertices}
    nodes = []
    for v in g.vertices:
        node: dict[str, Any] = {"id": v.hex_id, "parallelism": v.parallelism, "operator": "",
                                "operator_strategy": "", "description": _description(v.operators or [v.name]),
                                "optimizer_properties": {}}
        inputs = sorted((e for e in g.edges if e.target == v.id), key=lambda e: (e.input_index, e.source))
        if inputs:
            node["inputs"] = [{"num": i, "id": hex_of.get(e.source, ""), "ship_strategy": e.ship_strategy,
                               "exchange": _EXCHANGE} for i, e in enumerate(inputs)]
        nodes.append(node)
    return {"jid": str(g.job_id), "name": g.name, "type": g.job_type, "nodes": nodes}


def _status_durations(s: ArchivedExecution, now: int) -> dict[str, int]:
    """How long the attempt spent in each lifecycle state it went through."""
    times = sorted(((t, state) for state, t in s.state_timestamps.items() if t > 0), key=lambda ts: ts[0])
    out: dict[str, int] = {}
    for i, (t, state) in enumerate(times):
        if state not in _LIFECYCLE:
            continue
        nxt = times[i + 1][0] if i + 1 < len(times) else now
        out[state.name] = max(0, nxt - t)
    return out


def _stats(values: list[float]) -> dict[str, float]:
    """Flink's aggregated figures of a vertex's subtasks."""
    if not values:
        return {k: 0 for k in ("min", "max", "avg", "sum", "median", "p25", "p75", "p95")}
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]
    return {"min": ordered[0], "max": ordered[-1], "avg": sum(ordered) / len(ordered), "sum": sum(ordered),
            "median": q(0.5), "p25": q(0.25), "p75": q(0.75), "p95": q(0.95)}


def _aggregated(subtasks: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("read-bytes", "write-bytes", "read-records", "write-records", "accumulated-backpressured-time",
            "accumulated-idle-time", "accumulated-busy-time")
    states = sorted({k for s in subtasks for k in s["status-duration"]})
    return {"metrics": {k: _stats([s["metrics"][k] for s in subtasks]) for k in keys},
            "status-duration": {k: _stats([s["status-duration"][k] for s in subtasks if k in s["status-duration"]])
                                for k in states}}


def _subtask(v: ArchivedExecutionJobVertex, s: ArchivedExecution, figures: Figures, now: int) -> dict[str, Any]:
    return {"subtask": s.subtask, "status": s.state.name, "attempt": s.attempt, "endpoint": s.endpoint,
            "start-time": s.start_time, "end-time": s.end_time, "duration": _duration(s.start_time, s.end_time, now),
            "metrics": io_metrics_info([figures.get((v.id, s.subtask))]), "taskmanager-id": s.taskmanager_id or "(unassigned)",
            "status-duration": _status_durations(s, now), "start_time": s.start_time}


def vertex_details(v: ArchivedExecutionJobVertex, figures: Figures, now: int) -> dict[str, Any]:
    """``GET /jobs/:jobid/vertices/:vertexid`` (Flink's JobVertexDetailsInfo)."""
    subtasks = [_subtask(v, s, figures, now) for s in v.subtasks]
    return {"id": v.hex_id, "name": v.name, "parallelism": v.parallelism, "maxParallelism": v.max_parallelism,
            "now": now, "subtasks": subtasks, "aggregated": _aggregated(subtasks)}


def subtask_times(v: ArchivedExecutionJobVertex, now: int) -> dict[str, Any]:
    """``GET /jobs/:jobid/vertices/:vertexid/subtasktimes`` (Flink's SubtasksTimesInfo)."""
    return {"id": v.hex_id, "name": v.name, "now": now, "subtasks": [
        {"subtask": s.subtask, "endpoint": s.endpoint, "duration": _duration(s.start_time, s.end_time, now),
         "timestamps": {state.name: s.state_timestamps.get(state, 0) for state in ExecutionState}}
        for s in v.subtasks]}


def vertex_taskmanagers(v: ArchivedExecutionJobVertex, figures: Figures, now: int) -> dict[str, Any]:
    """``GET /jobs/:jobid/vertices/:vertexid/taskmanagers`` (Flink's JobVertexTaskManagersInfo):
    the vertex's subtasks grouped by the TaskManager they run on."""
    groups: dict[str, list[ArchivedExecution]] = {}
    for s in v.subtasks:
        groups.setdefault(s.endpoint, []).append(s)
    out = []
    for endpoint, subtasks in groups.items():
        starts = [s.start_time for s in subtasks if s.start_time > 0]
        start = min(starts) if starts else -1
        end = max((s.end_time for s in subtasks), default=-1) if all(s.state.is_terminal() for s in subtasks) else -1
        rows = [_subtask(v, s, figures, now) for s in subtasks]
        out.append({"endpoint": endpoint, "status": aggregate_state([s.state for s in subtasks]).name,
                    "start-time": start, "end-time": end, "duration": _duration(start, end, now),
                    "metrics": io_metrics_info(figures.get((v.id, s.subtask)) for s in subtasks),
                    "status-counts": _counts(s.state for s in subtasks),
                    "taskmanager-id": subtasks[0].taskmanager_id or "(unassigned)", "aggregated": _aggregated(rows)})
    return {"id": v.hex_id, "name": v.name, "now": now, "taskmanagers": out}


def _entry(e: ExceptionHistoryEntry, root: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"exceptionName": e.exception_name, "stacktrace": e.stacktrace, "timestamp": e.timestamp,
                           "failureLabels": dict(e.failure_labels)}
    if e.task_name is not None:
        out["taskName"] = e.task_name
    if e.endpoint is not None:
        out["endpoint"] = e.endpoint
    if e.taskmanager_id is not None:
        out["taskManagerId"] = e.taskmanager_id
    if root:
        out["concurrentExceptions"] = [_entry(c, False) for c in e.concurrent]
    return out


def exceptions(info: ExecutionGraphInfo, max_exceptions: int) -> dict[str, Any]:
    """``GET /jobs/:jobid/exceptions`` (Flink 2.x's JobExceptionsInfoWithHistory): the newest
    ``max_exceptions`` root failures, each with its concurrent ones."""
    entries = info.exception_history
    shown = entries[:max(0, max_exceptions)]
    return {"exceptionHistory": {"entries": [_entry(e, True) for e in shown], "truncated": len(shown) < len(entries)}}


def accumulators() -> dict[str, Any]:
    """``GET /jobs/:jobid/accumulators``: PyFlink jobs cannot define accumulators, so empty."""
    return {"job-accumulators": [], "user-task-accumulators": [], "serialized-user-task-accumulators": {}}


def job_config(g: ArchivedExecutionGraph) -> dict[str, Any]:
    """``GET /jobs/:jobid/config`` (Flink's JobConfigInfo)."""
    parallelism = g.job_config.get("parallelism.default")
    return {"jid": str(g.job_id), "name": g.name, "execution-config": {
        "restart-strategy": g.restart_strategy,
        "job-parallelism": int(parallelism) if parallelism and parallelism.lstrip("-").isdigit()
        else max((v.parallelism for v in g.vertices), default=1),
        "object-reuse-mode": g.job_config.get("pipeline.object-reuse", "false").lower() == "true",
        "user-config": dict(g.job_parameters)}}
