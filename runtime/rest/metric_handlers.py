"""The REST API's metric endpoints, in Flink's shapes (Flink's AbstractMetricsHandler,
AbstractAggregatingMetricsHandler, JobVertexWatermarksHandler and
JobVertexBackPressureHandler).

* ``/jobmanager/metrics``, ``/taskmanagers/:taskmanagerid/metrics``, ``/jobs/:jobid/metrics``,
  ``/jobs/:jobid/vertices/:vertexid/metrics``,
  ``/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics``: without ``get`` the
  names available ``[{"id": name}]``; with ``get=a,b`` their values
  ``[{"id": "a", "value": "12"}]`` (values are strings, as Flink's).
* ``/taskmanagers/metrics``, ``/jobs/metrics``, ``/jobs/:jobid/vertices/:vertexid/subtasks/metrics``:
  a metric aggregated over TaskManagers, jobs or subtasks, ``[{"id", "min", "max", "avg",
  "sum", "skew"}]`` (``agg=min,max`` picks; ``taskmanagers``/``jobs``/``subtasks`` narrow).
* ``/jobs/:jobid/vertices/:vertexid/watermarks``: each subtask's ``currentInputWatermark``.
* ``/jobs/:jobid/vertices/:vertexid/backpressure``: Flink's task-level back-pressure, from each
  subtask's ``backPressuredTimeMsPerSecond`` (ratio = ms per second / 1000; ok up to 0.10,
  low up to 0.5, high above), with its busy and idle ratios.

Every handler first brings the MetricStore up to date (at most once per
``metrics.fetcher.update-interval``). Vertex ids are Flink's 32-hex JobVertexIDs.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

from runtime.rest.handlers import Request, Response, RestContext, RestError, Router, json_response
from runtime.rest.metric_store import MetricStore

_AGGREGATES = ("min", "max", "avg", "sum", "skew")


def register(router: Router) -> None:
    router.add("GET", "/jobmanager/metrics", _jobmanager)
    router.add("GET", "/taskmanagers/metrics", _taskmanagers_aggregated)
    router.add("GET", "/taskmanagers/:taskmanagerid/metrics", _taskmanager)
    router.add("GET", "/jobs/metrics", _jobs_aggregated)
    router.add("GET", "/jobs/:jobid/metrics", _job)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/metrics", _vertex)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/subtasks/metrics", _subtasks_aggregated)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics", _subtask)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/watermarks", _watermarks)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/backpressure", _backpressure)


# ----------------------------------------------------------------------------- helpers
def _format(value: float) -> str:
    """Flink's values are strings; integral values without a fraction."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _names(request: Request, param: str = "get") -> list[str] | None:
    raw = request.query_param(param)
    if raw is None:
        return None
    return [n.strip() for n in raw.split(",") if n.strip()]


def _listing(metrics: dict[str, float], request: Request) -> Response:
    wanted = _names(request)
    if wanted is None:
        return json_response([{"id": name} for name in sorted(metrics)])
    return json_response([{"id": name, "value": _format(metrics[name])} for name in wanted if name in metrics])


def _aggregate(values: list[float], which: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    if not values:
        return out
    for agg in which:
        if agg == "min":
            out["min"] = min(values)
        elif agg == "max":
            out["max"] = max(values)
        elif agg == "sum":
            out["sum"] = sum(values)
        elif agg == "avg":
            out["avg"] = statistics.fmean(values)
        elif agg == "skew":
            mean = statistics.fmean(values)
            out["skew"] = (max(values) - mean) / mean * 100.0 if mean else 0.0
    return out


def _aggregated(components: list[dict[str, float]], request: Request) -> Response:
    aggs = _names(request, "agg") or list(_AGGREGATES)
    bad = [a for a in aggs if a not in _AGGREGATES]
    if bad:
        raise RestError(400, f"agg: unknown aggregation {bad[0]!r}; use {', '.join(_AGGREGATES)}")
    wanted = _names(request)
    if wanted is None:
        return json_response([{"id": name} for name in sorted({n for c in components for n in c})])
    out: list[dict[str, Any]] = []
    for name in wanted:
        values = [c[name] for c in components if name in c]
        if values:
            out.append({"id": name, **_aggregate(values, aggs)})
    return json_response(out)


async def _job_vertices(ctx: RestContext, job_id: str) -> tuple[str, dict[str, Any]]:
    """The job's full id and its vertices by hex id (404 for an unknown job)."""
    try:
        info = await ctx.dispatcher().request_job(job_id)
    except RestError:
        raise
    except Exception as exc:
        raise RestError(404, f"Job {job_id} not found: {exc}") from None
    return str(info.details.job_id), {v.hex_id: v for v in info.vertices}


async def _vertex_of(ctx: RestContext, params: dict[str, str]) -> tuple[str, Any]:
    job_id, vertices = await _job_vertices(ctx, params["jobid"])
    vertex = vertices.get(params["vertexid"])
    if vertex is None:
        raise RestError(404, f"Vertex {params['vertexid']} not found in job {job_id}")
    return job_id, vertex


# ----------------------------------------------------------------------------- handlers
async def _jobmanager(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    store = await ctx.metrics()
    return _listing(store.jobmanager(), request)


async def _taskmanager(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    store = await ctx.metrics()
    tm_id = params["taskmanagerid"]
    metrics = store.taskmanager(tm_id)
    if not metrics and tm_id not in await _taskmanager_ids(ctx):
        raise RestError(404, f"TaskManager {tm_id} not found")
    return _listing(metrics, request)


async def _taskmanager_ids(ctx: RestContext) -> set[str]:
    return {str(tm.id) for tm in await ctx.dispatcher().list_task_managers()}


async def _taskmanagers_aggregated(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    store = await ctx.metrics()
    ids = _names(request, "taskmanagers") or sorted(await _taskmanager_ids(ctx))
    return _aggregated([store.taskmanager(t) for t in ids], request)


async def _jobs_aggregated(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    store = await ctx.metrics()
    ids = _names(request, "jobs") or [str(j.job_id) for j in await ctx.dispatcher().list_jobs()]
    return _aggregated([store.jobmanager_job(j) for j in ids], request)


async def _job(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    job_id, _ = await _job_vertices(ctx, params["jobid"])
    store = await ctx.metrics()
    return _listing(store.jobmanager_job(job_id), request)


async def _vertex(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    job_id, vertex = await _vertex_of(ctx, params)
    store = await ctx.metrics()
    return _listing(store.vertex(job_id, vertex.hex_id), request)


def _subtask_metrics(store: MetricStore, job_id: str, vertex: Any, request: Request) -> list[dict[str, float]]:
    indices = _names(request, "subtasks")
    chosen = range(vertex.parallelism) if indices is None else [int(i) for i in indices if i.isdigit()]
    return [store.task(job_id, vertex.hex_id, i) for i in chosen]


async def _subtasks_aggregated(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    job_id, vertex = await _vertex_of(ctx, params)
    store = await ctx.metrics()
    return _aggregated([m for m in _subtask_metrics(store, job_id, vertex, request) if m], request)


async def _subtask(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    job_id, vertex = await _vertex_of(ctx, params)
    raw = params["subtaskindex"]
    if not raw.isdigit() or int(raw) >= vertex.parallelism:
        raise RestError(404, f"Subtask {raw} not found: vertex {vertex.hex_id} has {vertex.parallelism} subtasks")
    store = await ctx.metrics()
    return _listing(store.task(job_id, vertex.hex_id, int(raw)), request)


async def _watermarks(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    job_id, vertex = await _vertex_of(ctx, params)
    store = await ctx.metrics()
    out = []
    for i in range(vertex.parallelism):
        value = store.task(job_id, vertex.hex_id, i).get("currentInputWatermark")
        if value is not None:
            out.append({"id": f"{i}.currentInputWatermark", "value": _format(value)})
    return json_response(out)


def _level(ratio: float) -> str:
    return "ok" if ratio <= 0.10 else "low" if ratio <= 0.5 else "high"


async def _backpressure(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    job_id, vertex = await _vertex_of(ctx, params)
    store = await ctx.metrics()
    subtasks = []
    for i, sub in enumerate(vertex.subtasks):
        m = store.task(job_id, vertex.hex_id, i)
        if not m:
            continue
        ratio = m.get("backPressuredTimeMsPerSecond", 0.0) / 1000.0
        subtasks.append({"subtask": i, "attempt-number": sub.attempt, "backpressure-level": _level(ratio),
                         "ratio": round(ratio, 2), "idleRatio": round(m.get("idleTimeMsPerSecond", 0.0) / 1000.0, 2),
                         "busyRatio": round(m.get("busyTimeMsPerSecond", 0.0) / 1000.0, 2)})
    worst = max((s["ratio"] for s in subtasks), default=0.0)
    return json_response({"status": "ok", "backpressure-level": _level(worst),
                          "end-timestamp": int(time.time() * 1000), "subtasks": subtasks})

