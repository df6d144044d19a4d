"""Routing and handlers of the JobManager's REST API (Flink-compatible paths and fields).

Kept apart from the HTTP plumbing in :mod:`runtime.rest.web_monitor_endpoint` so the
REST semantics (which path answers what, which error maps to which status) can be read
and tested without sockets. Handlers run on the JobManager's event loop and call the
Dispatcher directly: it lives on the same loop, so no RPC hop or locking is needed.

Flink's clients and tools parse these responses, so paths and JSON field names follow
Flink's REST API (``/overview``, ``/jobs/overview``, ``/jobs/<jid>``, ``jobs-running``,
``slots-total`` ...). Errors use Flink's ``{"errors": [...]}`` shape.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from runtime.configuration.sensitive import HIDDEN_CONTENT, is_sensitive
from runtime.messages import flink_json
from runtime.rest.metric_fetcher import MetricFetcher
from runtime.rest.metric_store import MetricStore

log = logging.getLogger(__name__)

__all__ = [
    "Request",
    "Response",
    "RestError",
    "RestContext",
    "Router",
    "build_router",
    "json_response",
    "error_response",
    "DEFAULT_FLINK_VERSION",
]

#: Reported by ``/config`` while no Dispatcher can tell us its version.
DEFAULT_FLINK_VERSION = "pyflink-0.1"

#: Job states after which nothing can be cancelled any more (Flink's globally terminal
#: states, plus CANCELLING which is already on its way).
_NOT_CANCELLABLE = frozenset({"FINISHED", "CANCELED", "FAILED"})

#: Secrets in ``/jobmanager/config`` are masked with Flink's rule and marker
#: (``runtime.configuration.sensitive``): the endpoint may be reachable by more people than
#: the processes' credentials (REST token, key passwords) are meant for.
_MASK = HIDDEN_CONTENT

_STATIC_DIR = Path(__file__).with_name("static")


# ----------------------------------------------------------------------------- messages

@dataclass(frozen=True)
class Request:
    """A parsed HTTP request, as much of it as the REST API needs.

    ``segments`` holds the percent-decoded, non-empty path segments so that routing
    ignores trailing slashes and a job id can never smuggle a ``/``.
    """

    method: str
    path: str
    segments: tuple[str, ...]
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def query_param(self, name: str) -> str | None:
        """Return the last value of query parameter ``name`` (last wins, as in Flink)."""
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Response:
    """An HTTP response before serialization; headers exclude the framing ones."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class RestError(Exception):
    """Raised by handlers to answer with an error status and a Flink-style error body."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def _json_default(value: Any) -> Any:
    """Make engine objects that slip into a result JSON-safe instead of failing the request."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Serialize ``payload`` as compact JSON (Flink's responses are compact too)."""
    body = json.dumps(payload, default=_json_default, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json", dict(headers or {}))


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """Answer with Flink's error shape, ``{"errors": [message]}``."""
    return json_response({"errors": [message]}, status, headers)


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a Dispatcher method that may be sync or async (RPC methods are either)."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def _now_ms() -> int:
    return int(time.time() * 1000)


# ----------------------------------------------------------------------------- context

class RestContext:
    """What handlers need from the JobManager: its configuration and its Dispatcher.

    The Dispatcher is fetched per request through a getter because it comes and goes
    with leadership (and does not exist yet while the JobManager starts); the REST
    endpoint itself lives for the whole process.
    """

    def __init__(self, config: Any, dispatcher_getter: Callable[[], Any | None],
                 metric_fetcher: MetricFetcher | None = None) -> None:
        self.config = config
        self._dispatcher_getter = dispatcher_getter
        #: the JobManager's MetricFetcher (None: an endpoint without metrics, as in unit tests)
        self._metric_fetcher = metric_fetcher

    async def metrics(self) -> MetricStore:
        """The MetricStore, fetched again if older than ``metrics.fetcher.update-interval``."""
        if self._metric_fetcher is None:
            return MetricStore()
        return await self._metric_fetcher.update()

    def dispatcher(self) -> Any:
        """Return the current Dispatcher or raise 503 while there is none.

        The getter may itself fail while the JobManager's components are still being
        assembled (it can refer to an object not yet created); that is the same
        situation as "no dispatcher yet", not a server error.
        """
        try:
            d = self._dispatcher_getter()
        except Exception:
            d = None
        if d is None:
            raise RestError(503, "service temporarily unavailable")
        return d

    def dispatcher_or_none(self) -> Any | None:
        """Like :meth:`dispatcher` but for endpoints that work without one."""
        try:
            return self._dispatcher_getter()
        except Exception:
            return None


Handler = Callable[[RestContext, Request, dict[str, str]], Awaitable[Response]]


# ----------------------------------------------------------------------------- router

class Router:
    """Maps path templates (``/jobs/:jobid``) and methods to handlers.

    A path that matches no template is a 404 whatever the method; a known path with an
    unsupported method is a 405 listing the allowed ones, as HTTP asks. HEAD is served
    by the GET handler (the endpoint drops the body).
    """

    def __init__(self, context: RestContext) -> None:
        self.context = context
        self._routes: list[tuple[tuple[str, ...], dict[str, Handler]]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` on ``template`` (``:name`` segments capture)."""
        segments = tuple(s for s in template.split("/") if s)
        for existing, methods in self._routes:
            if existing == segments:
                methods[method] = handler
                return
        self._routes.append((segments, {method: handler}))

    def _match(self, segments: tuple[str, ...]) -> tuple[dict[str, Handler], dict[str, str]] | None:
        """The template matching ``segments`` with the most literal segments (so
        ``/jobs/metrics`` wins over ``/jobs/:jobid``, as in Flink's router)."""
        best: tuple[dict[str, Handler], dict[str, str]] | None = None
        for template, methods in self._routes:
            if len(template) != len(segments):
                continue
            params: dict[str, str] = {}
            for pattern, actual in zip(template, segments):
                if pattern.startswith(":"):
                    params[pattern[1:]] = actual
                elif pattern != actual:
                    break
            else:
                if best is None or len(params) < len(best[1]):
                    best = (methods, params)
        return best

    async def handle(self, request: Request) -> Response:
        """Route ``request``; raises :class:`RestError` for 404/405 and handler errors."""
        segments = request.segments
        if segments and segments[0] == "v1":  # Flink serves its API under /v1 as well
            segments = segments[1:]
        match = self._match(segments)
        if match is None:
            raise RestError(404, f"Not found: {request.path}")
        methods, params = match
        method = "GET" if request.method == "HEAD" else request.method
        handler = methods.get(method)
        if handler is None:
            allowed = set(methods)
            if "GET" in allowed:
                allowed.add("HEAD")
            raise RestError(405, f"Method {request.method} not allowed for {request.path}",
                            {"Allow": ", ".join(sorted(allowed))})
        return await handler(self.context, request, params)


# ----------------------------------------------------------------------------- handlers

async def _overview(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /overview``: cluster counters, Flink's ``ClusterOverviewWithVersion``."""
    return json_response(flink_json.cluster_overview(await ctx.dispatcher().cluster_overview()))


async def _jobs_overview(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs/overview``: one summary per job, with Flink's extra fields filled in."""
    jobs = await ctx.dispatcher().list_jobs()
    return json_response({"jobs": [flink_json.job_details(j) for j in jobs]})


async def _jobs(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobs``: Flink's terse ``JobIdsWithStatusOverview``."""
    jobs = await ctx.dispatcher().list_jobs()
    return json_response({"jobs": [{"id": str(j.job_id), "status": j.state.name} for j in jobs]})


async def _assigned_tasks(ctx: RestContext) -> dict[str, dict[tuple[str, int], int]]:
    """TaskManager id -> (job id, slot index) -> the job's tasks not yet ended in that slot
    (Flink's assignedTasks)."""
    d = ctx.dispatcher()
    out: dict[str, dict[tuple[str, int], int]] = {}
    for job in await d.list_jobs():
        if job.state.is_globally_terminal_state():
            continue
        try:
            info = await d.request_execution_graph_info(str(job.job_id))
        except LookupError:
            continue
        for v in info.archived_execution_graph.vertices:
            for s in v.subtasks:
                if s.taskmanager_id is not None and not s.state.is_terminal():
                    per_slot = out.setdefault(s.taskmanager_id, {})
                    key = (str(job.job_id), s.slot_index)
                    per_slot[key] = per_slot.get(key, 0) + 1
    return out


async def _taskmanagers(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /taskmanagers``: registered TaskManagers (Flink's TaskManagersInfo)."""
    tms = await ctx.dispatcher().list_task_managers()
    assigned = await _assigned_tasks(ctx)
    store = await ctx.metrics()
    return json_response({"taskmanagers": [
        flink_json.task_manager(tm, assigned.get(str(tm.id), {}),
                                int(store.taskmanager(str(tm.id)).get("Status.JVM.Memory.RSS", 0)))
        for tm in tms]})


async def _taskmanager(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /taskmanagers/<id>``: one TaskManager (Flink's TaskManagerDetailsInfo), 404 if it
    is not registered."""
    wanted = params["taskmanagerid"]
    for tm in await ctx.dispatcher().list_task_managers():
        if str(tm.id) == wanted:
            assigned = (await _assigned_tasks(ctx)).get(wanted, {})
            metrics = (await ctx.metrics()).taskmanager(wanted)
            return json_response(flink_json.task_manager_details(tm, assigned, metrics))
    raise RestError(404, f"Could not find TaskManager {wanted}")


async def _dashboard_config(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /config``: the dashboard configuration Flink's web UI reads first.

    Answered without a Dispatcher when need be, so the dashboard can load while the
    JobManager is still electing one.
    """
    version = DEFAULT_FLINK_VERSION
    d = ctx.dispatcher_or_none()
    if d is not None:
        try:
            version = (await d.cluster_overview()).flink_version or version
        except Exception:  # the version is cosmetic: never fail /config for it
            log.debug("could not read the version from the dispatcher", exc_info=True)
    return json_response({
        "refresh-interval": 3000,
        "timezone-name": "UTC",
        "timezone-offset": 0,
        "flink-version": version,
        "flink-revision": "",
        "features": {"web-submit": False, "web-cancel": True, "web-rescale": False,
                     "web-history": False},
    })


async def _jobmanager_config(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
    """``GET /jobmanager/config``: the effective configuration, secrets masked."""
    entries = [{"key": k, "value": _MASK if is_sensitive(k) else str(v)}
               for k, v in sorted(ctx.config.to_dict().items())]
    return json_response(entries)


_FALLBACK_DASHBOARD = (
    "<!doctype html><meta charset=utf-8><title>PyFlink</title>"
    "<p>The dashboard page is not installed. JSON: <a href=/overview>/overview</a>, "
    "<a href=/jobs/overview>/jobs/overview</a>, <a href=/taskmanagers>/taskmanagers</a>."
)

#: Scripts and styles of this origin only (no inline code, nothing from elsewhere), no
#: framing (clickjacking a Cancel button), no forms.
_DASHBOARD_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                  ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def _load_static() -> dict[str, bytes]:
    """Read the dashboard's files once (they ship in the package: ``runtime/rest/static``);
    a missing page degrades to a page of links."""
    files: dict[str, bytes] = {}
    try:
        for path in _STATIC_DIR.iterdir():
            if path.suffix in _CONTENT_TYPES and path.is_file():
                files[path.name] = path.read_bytes()
    except OSError:
        pass
    if "index.html" not in files:
        log.warning("the dashboard is missing from %s; serving a minimal page", _STATIC_DIR)
        files["index.html"] = _FALLBACK_DASHBOARD.encode("utf-8")
    return files


def _static_response(files: dict[str, bytes], name: str) -> Response:
    body = files.get(name)
    if body is None:
        raise RestError(404, f"Not found: /static/{name[:80]}")
    return Response(200, body, _CONTENT_TYPES[Path(name).suffix],
                    {"Content-Security-Policy": _DASHBOARD_CSP, "X-Frame-Options": "DENY"})


def _dashboard_handlers() -> tuple[Handler, Handler]:
    files = _load_static()

    async def page(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
        """``GET /``: the web dashboard (a static page that reads the REST API)."""
        return _static_response(files, "index.html")

    async def asset(ctx: RestContext, request: Request, params: dict[str, str]) -> Response:
        """``GET /static/<file>``: the dashboard's scripts and styles (a fixed set of names)."""
        return _static_response(files, params["file"])

    return page, asset


def build_router(context: RestContext) -> Router:
    """Create the router with every REST path the JobManager serves."""
    router = Router(context)
    dashboard, asset = _dashboard_handlers()
    router.add("GET", "/", dashboard)
    router.add("GET", "/index.html", dashboard)
    router.add("GET", "/static/:file", asset)
    router.add("GET", "/config", _dashboard_config)
    router.add("GET", "/overview", _overview)
    router.add("GET", "/jobs", _jobs)
    router.add("GET", "/jobs/overview", _jobs_overview)
    router.add("GET", "/taskmanagers", _taskmanagers)
    router.add("GET", "/taskmanagers/:taskmanagerid", _taskmanager)
    router.add("GET", "/jobmanager/config", _jobmanager_config)
    from runtime.rest import checkpoint_handlers, job_handlers, metric_handlers
    job_handlers.register(router)  # after /jobs/overview: /jobs/:jobid must not shadow it
    checkpoint_handlers.register(router)
    metric_handlers.register(router)
    from runtime.rest import log_handlers
    log_handlers.register(router)
    return router
