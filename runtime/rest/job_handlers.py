"""REST handlers of one job and its parts (Flink's JobDetailsHandler, JobPlanHandler,
JobVertexDetailsHandler, SubtasksTimesHandler, JobVertexTaskManagersHandler,
JobExceptionsHandler, JobAccumulatorsHandler, JobConfigHandler, JobCancellationHandler).

Every handler reads the job as an ExecutionGraphInfo from the Dispatcher (its JobMaster's
while it runs, the job store's after it ended, also after a JobManager restart) and lets
``runtime.messages.flink_json_jobs`` write Flink's JSON. A subtask's figures are its final
IOMetrics once its attempt ended, else what the MetricStore holds for it (read only when the
job has running subtasks without final figures).

Vertex ids are Flink's 32-hex JobVertexIDs (``JobVertex.hex_id``): a malformed one is a 400,
an unknown one a 404, both in Flink's ``{"errors": [...]}`` shape.
"""
from __future__ import annotations

import re
import time

from runtime.messages import flink_json_jobs
from runtime.messages.archived_execution_graph import ArchivedExecutionJobVertex, ExecutionGraphInfo
from runtime.metrics.io_metrics import IOMetrics
from runtime.rest.handlers import Request, Response, RestContext, RestError, Router, json_response

__all__ = ["register"]

_VERTEX_ID = re.compile(r"[0-9a-f]{32}")
#: ``/exceptions`` without ``maxExceptions`` (Flink's JobExceptionsHandler default)
DEFAULT_MAX_EXCEPTIONS = 20


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _info(ctx: RestContext, params: dict[str, str]) -> ExecutionGraphInfo:
    info: ExecutionGraphInfo = await ctx.dispatcher().request_execution_graph_info(params["jobid"])
    return info


def _missing(info: ExecutionGraphInfo) -> list[tuple[int, str, int]]:
    """The running subtasks without final figures (the MetricStore has theirs)."""
    g = info.archived_execution_graph
    if g.state.is_globally_terminal_state():
        return []
    return [(v.id, v.hex_id, s.subtask) for v in g.vertices for s in v.subtasks
            if s.io_metrics is None and s.taskmanager_id is not None]


async def _with_figures(ctx: RestContext, params: dict[str, str]) -> tuple[ExecutionGraphInfo, flink_json_jobs.Figures]:
    """The job and each subtask's figures: final ones where reported, the MetricStore's for the
    others. The job is read again after waiting for the store, so an answer never shows the
    job as it was before that wait (a restart that happened meanwhile, for one)."""
    info = await _info(ctx, params)
    store = None
    if _missing(info):
        store = await ctx.metrics()
        info = await _info(ctx, params)
    g = info.archived_execution_graph
    out: dict[tuple[int, int], IOMetrics | None] = {
        (v.id, s.subtask): s.io_metrics for v in g.vertices for s in v.subtasks}
    if store is not None:
        job_id = str(g.job_id)
        for vid, hex_id, sub in _missing(info):
            out[(vid, sub)] = store.io_metrics(job_id, hex_id, sub)
    return info, out


def _vertex(info: ExecutionGraphInfo, params: dict[str, str]) -> ArchivedExecutionJobVertex:
    wanted = params["vertexid"].lower()
    if not _VERTEX_ID.fullmatch(wanted):
        raise RestError(400, f"Bad request, could not parse parameters: cannot resolve path parameter (vertexid) "
                             f"from value {params['vertexid'][:40]!r}: expected a 32-character hex JobVertexID")
    vertex = info.archived_execution_graph.vertex(wanted)
    if vertex is None:
        raise RestError(404, f"JobVertex {wanted} not found in job {info.job_id}")
    return vertex


async def _job_details(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid``."""
    info, figures = await _with_figures(ctx, params)
    return json_response(flink_json_jobs.job_details(info, figures, _now_ms()))


async def _job_plan(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/plan``."""
    info = await _info(ctx, params)
    return json_response({"plan": flink_json_jobs.job_plan(info.archived_execution_graph)})


async def _vertex_details(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/vertices/:vertexid``."""
    info, figures = await _with_figures(ctx, params)
    return json_response(flink_json_jobs.vertex_details(_vertex(info, params), figures, _now_ms()))


async def _subtask_details(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex`` (the current attempt)."""
    info, figures = await _with_figures(ctx, params)
    vertex = _vertex(info, params)
    index = params["subtaskindex"]
    if not index.isdigit() or int(index) >= len(vertex.subtasks):
        raise RestError(404, f"subtask {index[:20]!r} of vertex {vertex.hex_id}: there are {len(vertex.subtasks)}")
    detail = flink_json_jobs.vertex_details(vertex, figures, _now_ms())
    return json_response(detail["subtasks"][int(index)])


async def _subtask_times(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/vertices/:vertexid/subtasktimes``."""
    info = await _info(ctx, params)
    return json_response(flink_json_jobs.subtask_times(_vertex(info, params), _now_ms()))


async def _vertex_taskmanagers(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/vertices/:vertexid/taskmanagers``."""
    info, figures = await _with_figures(ctx, params)
    return json_response(flink_json_jobs.vertex_taskmanagers(_vertex(info, params), figures, _now_ms()))


async def _exceptions(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/exceptions[?maxExceptions=N]``."""
    raw = request.query_param("maxExceptions")
    if raw is not None and not raw.isdigit():
        raise RestError(400, f"maxExceptions must be a non-negative integer, not {raw[:20]!r}")
    limit = int(raw) if raw is not None else DEFAULT_MAX_EXCEPTIONS
    return json_response(flink_json_jobs.exceptions(await _info(ctx, params), limit))


async def _accumulators(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/accumulators``: a known job has none (PyFlink cannot define any)."""
    await _info(ctx, params)  # 404 for unknown jobs
    return json_response(flink_json_jobs.accumulators())


async def _job_config(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/config``."""
    return json_response(flink_json_jobs.job_config((await _info(ctx, params)).archived_execution_graph))


async def _cancel(ctx: RestContext, job_id: str) -> Response:
    """Cancel a job; 404 for unknown ids, 409 when it is not running (anymore)."""
    try:
        await ctx.dispatcher().cancel_job(job_id)
    except ValueError as exc:  # not running: a conflict with the job's state, not a bad request
        raise RestError(409, str(exc)) from exc
    return json_response({}, 202)


async def _job_patch(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``PATCH /jobs/<jid>[?mode=cancel]``: Flink's job termination request."""
    mode = request.query_param("mode")
    if mode not in (None, "", "cancel"):
        raise RestError(400, f"unsupported termination mode {mode!r}: only mode=cancel is supported "
                             "(use 'pyflink stop' to stop with a savepoint)")
    return await _cancel(ctx, params["jobid"])


async def _yarn_cancel(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/<jid>/yarn-cancel``: Flink's legacy cancel for clients that cannot PATCH."""
    return await _cancel(ctx, params["jobid"])


def register(router: Router) -> None:
    router.add("GET", "/jobs/:jobid", _job_details)
    router.add("PATCH", "/jobs/:jobid", _job_patch)
    router.add("GET", "/jobs/:jobid/yarn-cancel", _yarn_cancel)
    router.add("GET", "/jobs/:jobid/plan", _job_plan)
    router.add("GET", "/jobs/:jobid/exceptions", _exceptions)
    router.add("GET", "/jobs/:jobid/accumulators", _accumulators)
    router.add("GET", "/jobs/:jobid/config", _job_config)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid", _vertex_details)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/subtasktimes", _subtask_times)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/taskmanagers", _vertex_taskmanagers)
    router.add("GET", "/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex", _subtask_details)
