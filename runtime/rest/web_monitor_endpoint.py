"""The JobManager's REST endpoint and web dashboard (Flink's ``WebMonitorEndpoint``).

A deliberately small HTTP/1.1 server on asyncio: one request per connection
(``Connection: close``), bodies only by ``Content-Length``. That is all Flink's REST
clients, ``curl`` and browsers need, and it keeps the parser small enough to reason
about: the port may be reachable from untrusted hosts, so every malformed, oversized
or slow request ends in a 4xx or a closed connection, never in an exception that
escapes into the JobManager's event loop.

Routing and the REST semantics live in :mod:`runtime.rest.handlers`; who may call what
(bearer token, origin checks for state changes) in :mod:`runtime.rest.rest_security`.

Slow clients cannot lock others out: a client address holds at most
``rest.server.max-connections-per-client`` connections, a request's line and headers must
arrive within ``rest.server.header-timeout``, and when all
``rest.server.max-connections`` are taken a new connection evicts the oldest one that is
still sending its request (a client that sends its request promptly is answered in
milliseconds and is never the oldest for long). With ``security.ssl.rest.enabled`` the
listener speaks TLS (PEM files, ``runtime.security.ssl_utils``).

The server stays hand-written rather than moving to aiohttp: each of these rules is a few
lines here, and aiohttp would add ~0.1 s of import time and ~10 MiB to every JobManager
(measured in docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from runtime.configuration import options as opts
from runtime.rest.handlers import (
    Request,
    Response,
    RestContext,
    RestError,
    build_router,
    error_response,
)
from runtime.rest.metric_fetcher import MetricFetcher
from runtime.rest.rest_security import RestSecurity
from runtime.security.ssl_utils import create_rest_server_ssl_context

log = logging.getLogger(__name__)

__all__ = ["WebMonitorEndpoint", "MAX_REQUEST_BYTES"]

#: Upper bound for request line + headers + body. The API takes no uploads, so anything
#: bigger is a mistake or an attack and must not make the JobManager buffer it.
MAX_REQUEST_BYTES = 64 * 1024
#: Time a client gets to send its whole request; read at call time so tests can shorten it.
REQUEST_TIMEOUT_S = 10.0
#: Pending TCP connections the kernel queues for us: a burst of (slow) clients must not
#: overflow it, or every client, slow or not, waits for SYN retransmits.
LISTEN_BACKLOG = 1024
#: Connections served at once by default (``rest.server.max-connections``).
MAX_CONNECTIONS = 256
_MAX_HEADERS = 100
_MAX_QUERY_FIELDS = 64


class _BadRequest(Exception):
    """A request the parser refuses; answered with ``status`` and then closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _ClientGone(Exception):
    """The client closed or stalled before sending a request: nothing to answer."""


def _format_host(host: str) -> str:
    """Bracket IPv6 literals so ``http://[::1]:8081`` is a valid URL."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


async def _read_line(reader: asyncio.StreamReader, started: bool) -> bytes:
    """Read one CRLF/LF-terminated line; ``started`` tells whether a request has begun,
    so end-of-stream then is a truncated request (400) rather than an idle close."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as exc:
        raise _BadRequest(431, "request line or header too large") from exc
    except asyncio.IncompleteReadError as exc:
        if exc.partial or started:
            raise _BadRequest(400, "incomplete request") from exc
        raise _ClientGone() from exc


def _is_token(text: str) -> bool:
    """Whether ``text`` is an HTTP token (method names, header names)."""
    return bool(text) and all(33 <= ord(c) < 127 and c not in '()<>@,;:\\"/[]?={}' for c in text)


async def _read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request:
    """Parse one HTTP/1.x request from ``reader``.

    Raises:
        _BadRequest: Malformed, oversized or unsupported framing.
        _ClientGone: The peer closed before sending anything.
    """
    line = await _read_line(reader, started=False)
    total = len(line)
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3:
        raise _BadRequest(400, "malformed request line")
    method, target, version = parts
    if not _is_token(method) or not method.isupper():
        raise _BadRequest(400, "malformed request method")
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise _BadRequest(400 if not version.startswith("HTTP/") else 505, "unsupported HTTP version")

    headers: dict[str, str] = {}
    while True:
        line = await _read_line(reader, started=True)
        total += len(line)
        if total > MAX_REQUEST_BYTES:
            raise _BadRequest(431, "request headers too large")
        if line in (b"\r\n", b"\n"):
            break
        if len(headers) >= _MAX_HEADERS:
            raise _BadRequest(431, "too many request headers")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not _is_token(name):
            raise _BadRequest(400, "malformed request header")
        name = name.lower()
        value = value.strip()
        if name in headers and name == "content-length" and headers[name] != value:
            raise _BadRequest(400, "conflicting Content-Length headers")
        headers[name] = f"{headers[name]}, {value}" if name in headers and name != "content-length" else value

    if "transfer-encoding" in headers:
        raise _BadRequest(400, "Transfer-Encoding is not supported; send a Content-Length")
    body = b""
    raw_length = headers.get("content-length")
    if raw_length is not None:
        if not raw_length.isdigit() or not raw_length.isascii():
            raise _BadRequest(400, "invalid Content-Length")
        length = int(raw_length)
        if length > MAX_REQUEST_BYTES - total:
            raise _BadRequest(413, f"request larger than {MAX_REQUEST_BYTES} bytes")
        if length:
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await writer.drain()
            try:
                body = await reader.readexactly(length)
            except asyncio.IncompleteReadError as exc:
                raise _ClientGone() from exc

    try:
        url = urlsplit(target)
        query = parse_qs(url.query, keep_blank_values=True, max_num_fields=_MAX_QUERY_FIELDS)
    except ValueError as exc:
        raise _BadRequest(400, "malformed request target") from exc
    if not url.path.startswith("/"):
        raise _BadRequest(400, "malformed request target")
    segments = tuple(unquote(s, errors="replace") for s in url.path.split("/") if s)
    return Request(method, url.path, segments, query, headers, body)


def _serialize(response: Response, include_body: bool) -> bytes:
    """Render a response; framing headers are ours, so handlers cannot break framing."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [
        f"HTTP/1.1 {response.status} {reason}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        "Connection: close",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
    ]
    for name, value in response.headers.items():
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            continue  # never let a value split the header block
        lines.append(f"{name}: {value}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return head + response.body if include_body else head


class WebMonitorEndpoint:
    """Serves Flink's REST API and the web dashboard for one JobManager.

    Created and started by the JobManager on its event loop. It outlives Dispatcher
    leadership changes: ``dispatcher_getter`` is asked on every request, and while it
    returns None the API answers 503.
    """

    def __init__(self, config: Any, dispatcher_getter: Callable[[], Any | None],
                 metric_fetcher: MetricFetcher | None = None) -> None:
        """Prepare the endpoint; nothing is bound until :meth:`start`."""
        self._config = config
        self._metric_fetcher = metric_fetcher
        self._router = build_router(RestContext(config, dispatcher_getter, metric_fetcher))
        self._servers: list[asyncio.AbstractServer] = []
        #: open connections in arrival order: task -> [client address, still reading the request]
        self._connections: dict[asyncio.Task[Any], list[Any]] = {}
        self._per_client: dict[str, int] = {}
        self._max_connections = int(config.get(opts.REST_SERVER_MAX_CONNECTIONS))
        self._max_per_client = int(config.get(opts.REST_SERVER_MAX_CONNECTIONS_PER_CLIENT))
        self._header_timeout = int(config.get(opts.REST_SERVER_HEADER_TIMEOUT)) / 1000.0
        self._ssl = create_rest_server_ssl_context(config)
        self.scheme = "https" if self._ssl is not None else "http"
        self.security: RestSecurity | None = None
        self.refused_connections = 0
        self.port: int = 0
        self.address: str = ""

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind ``rest.bind-address`` (or ``rest.address``) and ``rest.port`` and serve.

        Raises:
            OSError: The address cannot be bound, e.g. the port is taken; the message
                names ``rest.port`` because that is what the operator has to change.
        """
        if self._servers:
            return
        port = int(self._config.get(opts.REST_PORT))
        address = str(self._config.get(opts.REST_ADDRESS) or "") or "localhost"
        host = str(self._config.get(opts.REST_BIND_ADDRESS) or "") or address
        try:
            self._servers = await self._bind(host, port)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            message = (f"cannot start the REST endpoint on {host}:{port}: {reason}; "
                       f"set rest.port to a free port (or 0 to pick any free port)")
            if exc.errno is not None:
                raise OSError(exc.errno, message) from exc
            raise OSError(message) from exc
        self.port = int(self._servers[0].sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        self.address = f"{self.scheme}://{_format_host(address)}:{self.port}"
        try:
            self.security = RestSecurity.from_config(self._config, self.scheme, self.port)
        except BaseException:
            await self._close_servers(self._servers)
            self._servers = []
            raise
        log.info("REST endpoint listening on %s (bound to %s:%d; %s)", self.address, host, self.port,
                 "bearer token required" if self.security.authentication else "NO authentication")

    async def _bind(self, host: str, port: int) -> list[asyncio.AbstractServer]:
        """Listen on every address ``host`` resolves to, all on the same port.

        asyncio would give each address (``localhost`` is ``::1`` and ``127.0.0.1``)
        its own ephemeral port for port 0, leaving no single port to advertise; so for
        port 0 the first address that binds picks the port and the others follow it
        on a best-effort basis.
        """
        if port != 0:
            return [await asyncio.start_server(self._on_connection, host, port, limit=MAX_REQUEST_BYTES, backlog=LISTEN_BACKLOG,
                                               ssl=self._ssl, ssl_handshake_timeout=self._tls_timeout)]
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        servers: list[asyncio.AbstractServer] = []
        error: OSError | None = None
        try:
            for addr in addresses:
                chosen = int(servers[0].sockets[0].getsockname()[1]) if servers else 0  # type: ignore[attr-defined]
                try:
                    servers.append(await asyncio.start_server(
                        self._on_connection, addr, chosen, limit=MAX_REQUEST_BYTES, backlog=LISTEN_BACKLOG, ssl=self._ssl,
                        ssl_handshake_timeout=self._tls_timeout))
                except OSError as exc:
                    if not servers:
                        error = exc
                    else:
                        log.debug("REST endpoint not listening on %s:%d: %s", addr, chosen, exc)
        except BaseException:
            await self._close_servers(servers)
            raise
        if not servers:
            raise error or OSError(f"{host} resolves to no address")
        return servers

    @property
    def _tls_timeout(self) -> float | None:
        return self._header_timeout if self._ssl is not None else None

    async def stop(self) -> None:
        """Stop listening and drop connections still being served."""
        servers, self._servers = self._servers, []
        if self._metric_fetcher is not None:
            await self._metric_fetcher.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        await self._close_servers(servers)

    @staticmethod
    async def _close_servers(servers: list[asyncio.AbstractServer]) -> None:
        for server in servers:
            server.close()
        for server in servers:
            try:
                await server.wait_closed()
            except Exception:  # closing is best effort; the sockets are gone either way
                log.debug("error while closing the REST server", exc_info=True)

    # ------------------------------------------------------------------ serving

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one request on a fresh connection, then close it.

        Catches everything but cancellation: a misbehaving client or a failing
        handler must cost one connection, not the endpoint.
        """
        task = asyncio.current_task()
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if task is None or not self._admit(client):
            self.refused_connections += 1
            writer.close()
            return
        self._connections[task] = [client, True]
        self._per_client[client] = self._per_client.get(client, 0) + 1
        try:
            await self._serve(reader, writer, task)
        except asyncio.CancelledError:
            pass  # stop() or an eviction dropped the connection; nothing to report
        except (ConnectionError, OSError):
            pass  # the peer went away while we answered
        except Exception:
            log.exception("unexpected error in the REST endpoint")
        finally:
            self._connections.pop(task, None)
            left = self._per_client.get(client, 1) - 1
            if left > 0:
                self._per_client[client] = left
            else:
                self._per_client.pop(client, None)
            writer.close()
            try:
                await writer.wait_closed()
            except Exception:
                pass

    def _admit(self, client: str) -> bool:
        """Per-client and total connection limits; at the total limit the oldest connection
        still sending its request makes room (slow-client defence)."""
        if self._per_client.get(client, 0) >= self._max_per_client:
            return False
        if len(self._connections) < self._max_connections:
            return True
        for task, (_, reading) in self._connections.items():
            if reading and not task.done():
                task.cancel()
                self._connections.pop(task)
                return True
        return False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     task: asyncio.Task[Any] | None = None) -> None:
        include_body = True
        try:
            timeout = min(REQUEST_TIMEOUT_S, self._header_timeout)
            request = await asyncio.wait_for(_read_request(reader, writer), timeout)
        except _ClientGone:
            return
        except asyncio.TimeoutError:
            return  # a stalled client gets no answer, only a closed socket
        except _BadRequest as exc:
            response = error_response(exc.status, exc.message)
        else:
            if task is not None and task in self._connections:
                self._connections[task][1] = False  # answering now: not evicted for slowness
            include_body = request.method != "HEAD"
            response = await self._dispatch(request)
        writer.write(_serialize(response, include_body))
        await writer.drain()

    async def _dispatch(self, request: Request) -> Response:
        """Run the handler and turn every failure into a Flink-style error response."""
        try:
            security = self.security
            if security is not None:
                security.authenticate(request)
                segments = request.segments[1:] if request.segments[:1] == ("v1",) else request.segments
                if request.method not in ("GET", "HEAD"):
                    security.check_state_change(request)
                elif segments[-1:] == ("yarn-cancel",):
                    if request.method == "HEAD":  # HEAD must not run the GET handler here: it cancels
                        raise RestError(405, "HEAD is not allowed for yarn-cancel", {"Allow": "GET"})
                    security.check_legacy_get(request)
            return await self._router.handle(request)
        except RestError as exc:
            return error_response(exc.status, exc.message, exc.headers)
        except LookupError as exc:  # JobNotFound and friends
            message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            return error_response(404, message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("REST handler for %s %s failed", request.method, request.path)
            return error_response(500, f"Internal server error: {type(exc).__name__}: {exc}")
