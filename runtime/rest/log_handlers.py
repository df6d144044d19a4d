"""REST handlers for log files and printed job output (Flink's JobManagerLogListHandler,
JobManagerLogFileHandler, JobManagerCustomLogHandler, TaskManagerLogListHandler,
TaskManagerLogFileHandler, TaskManagerCustomLogHandler, TaskManagerStdoutFileHandler), with
Flink's paths and shapes:

* ``/jobmanager/logs``, ``/taskmanagers/:taskmanagerid/logs``: ``{"logs": [{"name", "size",
  "mtime"}]}``, the process's ``.log`` and ``.out`` files and their rolled-over copies;
* ``/jobmanager/log``, ``/jobmanager/stdout``, ``/jobmanager/logs/:filename`` and the same under
  ``/taskmanagers/:taskmanagerid``: the file as ``text/plain``. Only files of the list are
  served (any other name, ``..`` or a path, is 404); a file larger than ``MAX_SERVED_BYTES`` is
  served from where its last ``MAX_SERVED_BYTES`` begin, after a line saying so.

A pyflink addition for the dashboard: ``GET /jobs/:jobid/output?offset=CURSOR`` answers
``{"offset": CURSOR, "output": TEXT, "finished": BOOL, "state": STATE}``: what the job printed on
the TaskManagers after ``CURSOR`` (absent or ``0``: from the start). A job's output is one file
per TaskManager, so the cursor is not a number but an opaque URL-safe token of per-TaskManager
byte offsets; pass back the ``offset`` of the previous answer. ``finished`` is true once the
job has ended and everything it printed was returned.

The JobManager's own files are read here (this is its process); a TaskManager's through the
Dispatcher and the ResourceManager, which asks that TaskManager over its connection.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any

from runtime.messages.log_messages import MAX_CHUNK_BYTES, JobOutputCursor, LogFileType
from runtime.rest.handlers import Request, Response, RestContext, RestError, Router, json_response
from runtime.util.log_files import process_log_files

__all__ = ["MAX_SERVED_BYTES", "decode_cursor", "encode_cursor", "register"]

#: most bytes of one file a REST answer carries (the tail of a larger file)
MAX_SERVED_BYTES = 32 << 20
_TEXT = "text/plain; charset=utf-8"


def _text(data: bytes, skipped: int) -> Response:
    head = f"[... the first {skipped} bytes of this file are not shown ...]\n".encode() if skipped else b""
    return Response(200, head + data, _TEXT)


# ------------------------------------------------------------------ the JobManager's files
def _read_local(file_type: LogFileType, name: str) -> tuple[bytes, int]:
    files = process_log_files()
    if file_type is LogFileType.LOG:
        name = files.main_log_name()
    elif file_type is LogFileType.STDOUT:
        name = files.stdout_name()
    _, size = files.read(name, 0, 0)
    start = max(0, size - MAX_SERVED_BYTES)
    data, _ = files.read(name, start, size - start)
    return data, start


async def _jm_file(file_type: LogFileType, name: str = "") -> Response:
    data, skipped = await asyncio.get_running_loop().run_in_executor(None, _read_local, file_type, name)
    return _text(data, skipped)


async def _jm_logs(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobmanager/logs``: the JobManager's log files."""
    files = await asyncio.get_running_loop().run_in_executor(None, process_log_files().list)
    return json_response({"logs": [{"name": f.name, "size": f.size, "mtime": f.mtime_ms} for f in files]})


async def _jm_log(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobmanager/log``: the JobManager's current log file."""
    return await _jm_file(LogFileType.LOG)


async def _jm_stdout(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobmanager/stdout``: the JobManager's ``.out`` file."""
    return await _jm_file(LogFileType.STDOUT)


async def _jm_named(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobmanager/logs/:filename``: one file of the list."""
    return await _jm_file(LogFileType.NAMED, params["filename"])


# ------------------------------------------------------------------ a TaskManager's files
async def _tm_file(ctx: RestContext, taskmanager_id: str, file_type: LogFileType, name: str = "") -> Response:
    dispatcher = ctx.dispatcher()
    first = await dispatcher.request_task_manager_log_file(taskmanager_id, file_type, name, 0, 0, timeout=40.0)
    size = first.size
    start = offset = max(0, size - MAX_SERVED_BYTES)
    parts: list[bytes] = []
    while offset < size:
        chunk = await dispatcher.request_task_manager_log_file(taskmanager_id, LogFileType.NAMED, first.name, offset,
                                                               min(MAX_CHUNK_BYTES, size - offset), timeout=40.0)
        if not chunk.data:
            break  # it shrank meanwhile (rolled over): what was read is what there is
        parts.append(chunk.data)
        offset += len(chunk.data)
    return _text(b"".join(parts), start)


async def _tm_logs(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /taskmanagers/:taskmanagerid/logs``: the TaskManager's log files."""
    infos = await ctx.dispatcher().request_task_manager_log_list(params["taskmanagerid"], timeout=20.0)
    return json_response({"logs": [{"name": i.name, "size": i.size, "mtime": i.mtime} for i in infos]})


async def _tm_log(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /taskmanagers/:taskmanagerid/log``: the TaskManager's current log file."""
    return await _tm_file(ctx, params["taskmanagerid"], LogFileType.LOG)


async def _tm_stdout(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /taskmanagers/:taskmanagerid/stdout``: the TaskManager's ``.out`` file."""
    return await _tm_file(ctx, params["taskmanagerid"], LogFileType.STDOUT)


async def _tm_named(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /taskmanagers/:taskmanagerid/logs/:filename``: one file of the list."""
    return await _tm_file(ctx, params["taskmanagerid"], LogFileType.NAMED, params["filename"])


# ------------------------------------------------------------------ job output (pyflink's)
def encode_cursor(cursor: JobOutputCursor) -> str:
    """The URL-safe token of a cursor (``0`` for the start)."""
    if not cursor.offsets:
        return "0"
    raw = json.dumps(cursor.offsets, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> JobOutputCursor:
    """The cursor of a token from :func:`encode_cursor`; absent, empty or ``0``: the start."""
    if token is None or token.strip() in ("", "0"):
        return JobOutputCursor()
    try:
        raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
        offsets: Any = json.loads(raw)
    except (ValueError, binascii.Error):
        raise RestError(400, "offset: not a cursor returned by this endpoint (use 0 to start)") from None
    if not isinstance(offsets, dict) or not all(isinstance(k, str) and type(v) is int for k, v in offsets.items()):
        raise RestError(400, "offset: not a cursor returned by this endpoint (use 0 to start)")
    cursor = JobOutputCursor(offsets)
    try:
        cursor.validate()
    except ValueError as exc:
        raise RestError(400, f"offset: {exc}") from None
    return cursor


async def _job_output(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/:jobid/output?offset=CURSOR``: what the job printed, after the cursor."""
    cursor = decode_cursor(request.query_param("offset"))
    output = await ctx.dispatcher().request_job_output(params["jobid"], cursor, MAX_CHUNK_BYTES, timeout=30.0)
    return json_response({"offset": encode_cursor(cursor.advanced(output.chunks)), "output": output.text,
                          "finished": output.finished, "state": output.state.name})


def register(router: Router) -> None:
    router.add("GET", "/jobmanager/logs", _jm_logs)
    router.add("GET", "/jobmanager/logs/:filename", _jm_named)
    router.add("GET", "/jobmanager/log", _jm_log)
    router.add("GET", "/jobmanager/stdout", _jm_stdout)
    router.add("GET", "/taskmanagers/:taskmanagerid/logs", _tm_logs)
    router.add("GET", "/taskmanagers/:taskmanagerid/logs/:filename", _tm_named)
    router.add("GET", "/taskmanagers/:taskmanagerid/log", _tm_log)
    router.add("GET", "/taskmanagers/:taskmanagerid/stdout", _tm_stdout)
    router.add("GET", "/jobs/:jobid/output", _job_output)
