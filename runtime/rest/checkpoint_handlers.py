"""REST handlers for checkpoints and savepoints (Flink's CheckpointingStatisticsHandler,
SavepointHandlers, StopWithSavepointHandlers), with Flink's paths, bodies and field names.

Savepoints are asynchronous operations, as in Flink: ``POST /jobs/:id/savepoints`` (body
``{"target-directory": ..., "cancel-job": bool}``) and ``POST /jobs/:id/stop`` (body
``{"targetDirectory": ..., "drain": bool}``) answer 202 with a ``request-id`` at once; ``GET
/jobs/:id/savepoints/:request-id`` says ``IN_PROGRESS`` or ``COMPLETED`` with the location or
the failure cause. Operations are kept (bounded) for their caller to collect.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from collections import OrderedDict
from typing import Any

from runtime.messages.checkpoint_stats import CheckpointStatistics, CheckpointStatsEntry
from runtime.rest.handlers import Request, Response, RestContext, RestError, Router, json_response

#: savepoint operations remembered for their trigger-status queries
MAX_OPERATIONS = 256

_operations: OrderedDict[tuple[str, str], asyncio.Task] = OrderedDict()


def _body(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise RestError(400, "the request body is not JSON") from None
    if not isinstance(data, dict):
        raise RestError(400, "the request body must be a JSON object")
    return data


def _start(job_id: str, coro: Any) -> Response:
    trigger_id = uuid.uuid4().hex
    _operations[(job_id, trigger_id)] = asyncio.get_running_loop().create_task(coro)
    while len(_operations) > MAX_OPERATIONS:
        _, old = _operations.popitem(last=False)
        if not old.done():
            old.cancel()
    return json_response({"request-id": trigger_id}, 202)


async def _trigger_savepoint(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    body = _body(request)
    target = body.get("target-directory")
    if target is not None and not isinstance(target, str):
        raise RestError(400, "target-directory must be a string")
    dispatcher = ctx.dispatcher()
    job_id = str(await dispatcher.resolve_job_id(params["jobid"]))
    if body.get("cancel-job"):
        return _start(job_id, dispatcher.stop_with_savepoint(job_id, target, False, timeout=3600.0))
    return _start(job_id, dispatcher.trigger_savepoint(job_id, target, timeout=3600.0))


async def _stop(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    body = _body(request)
    target = body.get("targetDirectory")
    drain = body.get("drain", False)
    if target is not None and not isinstance(target, str):
        raise RestError(400, "targetDirectory must be a string")
    if not isinstance(drain, bool):
        raise RestError(400, "drain must be true or false")
    dispatcher = ctx.dispatcher()
    job_id = str(await dispatcher.resolve_job_id(params["jobid"]))
    return _start(job_id, dispatcher.stop_with_savepoint(job_id, target, drain, timeout=3600.0))


async def _savepoint_status(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    dispatcher = ctx.dispatcher()
    job_id = str(await dispatcher.resolve_job_id(params["jobid"]))
    task = _operations.get((job_id, params["triggerid"]))
    if task is None:
        raise RestError(404, f"no savepoint operation {params['triggerid']} for job {job_id}")
    if not task.done():
        return json_response({"status": {"id": "IN_PROGRESS"}})
    exc = task.exception() if not task.cancelled() else asyncio.CancelledError()
    if exc is not None:
        return json_response({"status": {"id": "COMPLETED"},
                              "operation": {"failure-cause": {"class": type(exc).__name__, "stack-trace": str(exc)}}})
    return json_response({"status": {"id": "COMPLETED"}, "operation": {"location": task.result()}})


def _entry(e: CheckpointStatsEntry | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"id": e.id, "status": e.status, "is_savepoint": e.is_savepoint,
            "savepointFormat": "CANONICAL" if e.is_savepoint else None,
            "trigger_timestamp": e.trigger_timestamp, "latest_ack_timestamp": e.latest_ack_timestamp,
            "state_size": e.state_size, "checkpointed_size": e.state_size,
            "end_to_end_duration": e.end_to_end_duration, "num_subtasks": e.num_subtasks,
            "num_acknowledged_subtasks": e.num_acknowledged_subtasks, "external_path": e.external_path,
            "discarded": False, "failure_message": e.failure_message,
            "checkpoint_type": "SAVEPOINT" if e.is_savepoint else "CHECKPOINT"}


def _summary(history: list[CheckpointStatsEntry], attr: str) -> dict[str, Any]:
    values = sorted(getattr(e, attr) for e in history if e.status == "COMPLETED")
    if not values:
        return {"min": 0, "max": 0, "avg": 0, "p50": 0, "p90": 0, "p99": 0}

    def q(p: float) -> float:
        return values[min(len(values) - 1, int(p * len(values)))]
    return {"min": values[0], "max": values[-1], "avg": sum(values) // len(values), "p50": q(0.5), "p90": q(0.9),
            "p99": q(0.99)}


def statistics_json(s: CheckpointStatistics) -> dict[str, Any]:
    """Flink's CheckpointingStatistics shape."""
    restored = None
    if s.restored_id is not None:
        restored = {"id": s.restored_id, "restore_timestamp": s.restore_timestamp, "is_savepoint": False,
                    "external_path": s.restored_path}
    return {
        "counts": {"restored": s.restored, "total": s.total, "in_progress": s.in_progress,
                   "completed": s.completed, "failed": s.failed},
        "summary": {"state_size": _summary(s.history, "state_size"),
                    "checkpointed_size": _summary(s.history, "state_size"),
                    "end_to_end_duration": _summary(s.history, "end_to_end_duration")},
        "latest": {"completed": _entry(s.latest_completed), "savepoint": _entry(s.latest_savepoint),
                   "failed": _entry(s.latest_failed), "restored": restored},
        "history": [_entry(e) for e in s.history],
    }


async def _checkpoints(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    stats = await ctx.dispatcher().request_checkpoint_stats(params["jobid"])
    return json_response(statistics_json(stats))


def register(router: Router) -> None:
    router.add("GET", "/jobs/:jobid/checkpoints", _checkpoints)
    router.add("POST", "/jobs/:jobid/savepoints", _trigger_savepoint)
    router.add("GET", "/jobs/:jobid/savepoints/:triggerid", _savepoint_status)
    router.add("POST", "/jobs/:jobid/stop", _stop)
