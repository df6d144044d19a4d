"""RpcService over ZeroMQ: one ROUTER per server process, DEALERs on callers.

A JobManager binds one ROUTER; every TaskManager and client connects a DEALER whose routing
id is its identity (a TaskManager uses a random per-process id that is never published),
so the JobManager can call back into a TaskManager over the same connection. Calls
between endpoints of one process skip the socket but keep the same semantics (async,
fenced, timed out).

With a ``SocketSecurity`` holding keys, TCP sockets are CURVE servers/clients
(``runtime.security``): only authenticated peers reach the ROUTER, each message carries
its sender's ``ROLE:KEY`` user id, the ``AccessPolicy`` decides which methods that role
may call, and a routing id stays bound to the key that first used it. Malformed frames
and refused calls are logged at a bounded rate.
"""
from __future__ import annotations

import asyncio
import errno
import itertools
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import zmq
import zmq.asyncio

from runtime.messages.codec import MessageError, to_wire
from runtime.rpc import codec
from runtime.rpc.endpoint import RpcEndpoint, current_sender, current_user
from runtime.rpc.errors import FencingTokenError, PeerUnreachable, RpcError, RpcTimeout, remote_error
from runtime.rpc.signatures import decode_arguments, result_decoder
from runtime.rpc.socket_monitor import close_monitor
from runtime.security.access_policy import DEFAULT_POLICY, AccessPolicy
from runtime.security.rate_limited_log import RateLimitedLog
from runtime.security.socket_security import RPC_DOMAIN, SocketSecurity, role_of

log = logging.getLogger(__name__)

#: errno of a handshake that failed because the peer hung up before speaking (EPIPE, ECONNRESET)
_HUNG_UP = (errno.EPIPE, errno.ECONNRESET)
#: at most this many routing ids are remembered with the key that first used them
_MAX_BOUND_PEERS = 65536
#: calls larger than this are decoded and validated off the event loop
OFFLOAD_BYTES = 64 << 10
#: how every call message starts (codec.call_message: a map whose first entry is k: "call")
_CALL_PREFIX = b"\xa1k\xa4call"

#: Peer address meaning "the server this process's DEALER is connected to".
UPSTREAM = b"\x00upstream"


def shared_context() -> zmq.asyncio.Context:
    """An asyncio context over the process-wide libzmq context, so inproc:// works across
    synchronous and asyncio sockets (the embedded mini cluster relies on that)."""
    return zmq.asyncio.Context.shadow(zmq.Context.instance().underlying)


class AccessDenied(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "AccessDenied")


class RpcService:
    def __init__(self, default_timeout: float = 10.0, context: zmq.asyncio.Context | None = None,
                 security: SocketSecurity | None = None, policy: AccessPolicy = DEFAULT_POLICY) -> None:
        self.ctx = context or shared_context()
        self.default_timeout = default_timeout
        self.security = security or SocketSecurity()
        self.policy = policy
        self._bad_frames = RateLimitedLog(log)
        self._peer_users: OrderedDict[bytes, str | None] = OrderedDict()
        self._secured_server = False
        self._tcp_router = self._tcp_dealer = False  # TCP sockets have the message size limit
        #: one thread decodes large calls: they queue instead of taking every worker thread, and
        #: their memory stays in one allocator arena (a flood cannot grow the heap per thread)
        self._decoder: ThreadPoolExecutor | None = None
        self.endpoints: dict[str, RpcEndpoint] = {}
        self.router: zmq.asyncio.Socket | None = None
        self.dealer: zmq.asyncio.Socket | None = None
        self.bound_address: str | None = None
        self._ids = itertools.count(1)
        #: correlation id -> (future, the peer whose reply it awaits)
        self._pending: dict[int, tuple[asyncio.Future, bytes]] = {}
        self._readers: list[asyncio.Task] = []
        self._handlers: set[asyncio.Task] = set()
        self._closed = False

    # ------------------------------------------------------------------ sockets
    def bind(self, address: str) -> str:
        """Bind the ROUTER (``tcp://host:port`` or ``inproc://name``); returns the bound address."""
        sock = self.ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        # a peer that reconnects with its (secret, random) routing id takes over its stale entry
        sock.setsockopt(zmq.ROUTER_HANDOVER, 1)
        if not address.startswith("inproc://"):
            self.security.secure_server(sock, RPC_DOMAIN)
            self._secured_server = self.security.enabled
            self._tcp_router = True
        try:
            sock.bind(address)
        except BaseException:
            sock.close(0)
            if self._secured_server:
                self.security.release_server(sock)
                self._secured_server = False
            raise
        self.router = sock
        self.bound_address = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self._readers.append(asyncio.get_running_loop().create_task(self._read_loop(sock, True)))
        if self._secured_server:
            self._readers.append(asyncio.get_running_loop().create_task(self._watch_handshakes(sock)))
        return self.bound_address

    async def _watch_handshakes(self, sock: zmq.asyncio.Socket) -> None:
        """Log peers that fail the CURVE handshake without reaching the ZAP handler (no keys
        at all, or another cluster's server key); refused keys are logged by the ZAP handler."""
        from zmq.utils.monitor import parse_monitor_message
        monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        try:
            while not self._closed:
                event = parse_monitor_message(await monitor.recv_multipart())
                if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL and event.get("value") in _HUNG_UP:
                    # the peer closed before its greeting: a TCP probe (the CLI checks that the
                    # port answers before it speaks ZMTP) or a port scan, not a refused peer
                    log.debug("a connection closed before its ZeroMQ greeting (error %s)", event.get("value"))
                    continue
                self._bad_frames.warning(("handshake", event["event"]), "refused a connection that failed the CURVE "
                                         "handshake (a peer without this cluster's keys, or not using CURVE; ZeroMQ "
                                         "error %s); it gets no answer", event.get("value"))
        except (asyncio.CancelledError, zmq.ZMQError):
            pass
        finally:
            close_monitor(sock, monitor)

    def connect(self, address: str, identity: bytes, server_public: bytes | None = None) -> zmq.asyncio.Socket:
        """Connect the DEALER; over TCP a CURVE client trusting ``server_public`` (default:
        the JobManager's key) when security is on."""
        sock = self.ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.IDENTITY, identity)
        if not address.startswith("inproc://"):
            self.security.secure_client(sock, server_public)
            self._tcp_dealer = True
        sock.setsockopt(zmq.RECONNECT_IVL, 50)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        sock.connect(address)
        self.dealer = sock
        self._readers.append(asyncio.get_running_loop().create_task(self._read_loop(sock, False)))
        return sock

    def register(self, endpoint: RpcEndpoint) -> None:
        if endpoint.name in self.endpoints:
            raise RpcError(f"an endpoint named {endpoint.name!r} is already registered")
        self.endpoints[endpoint.name] = endpoint

    def unregister(self, endpoint: RpcEndpoint) -> None:
        if self.endpoints.get(endpoint.name) is endpoint:
            del self.endpoints[endpoint.name]

    async def close(self) -> None:
        self._closed = True
        for t in self._readers + list(self._handlers):
            t.cancel()
        for fut, _ in self._pending.values():
            if not fut.done():
                fut.set_exception(RpcError("RPC service closed"))
        self._pending.clear()
        for sock in (self.router, self.dealer):
            if sock is not None:
                sock.close(0)
        if self._decoder is not None:
            self._decoder.shutdown(wait=False, cancel_futures=True)
        if self._secured_server and self.router is not None:
            self._secured_server = False
            self.security.release_server(self.router)

    # ------------------------------------------------------------------ calling
    def gateway(self, peer: bytes | None, target: str, token: Any = None, protocol: type | None = None) -> Any:
        """A proxy for the endpoint ``target`` at ``peer`` (None: this process). With the
        endpoint's gateway ``protocol``, results are decoded into its declared types.
        ``token`` is the fencing token, or a token source (``async get(timeout)`` and
        ``invalidate()``, e.g. ``RpcLeaderRetrieval``) asked before each call and told
        when a call was refused as stale."""
        if token is not None and not hasattr(token, "get"):
            token = str(token)
        return Gateway(self, peer, target, token, protocol)

    async def call(self, peer: bytes | None, target: str, method: str, *args: Any,
                   token: str | None = None, timeout: float | None = None, **kwargs: Any) -> Any:
        timeout = self.default_timeout if timeout is None else timeout
        if peer is None:
            return await asyncio.wait_for(self._dispatch(None, target, method, args, kwargs, token), timeout)
        cid = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._pending[cid] = (fut, peer)
        try:
            await self._send(peer, codec.call_message(cid, target, method, args, kwargs, token))
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise RpcTimeout(f"{target}.{method} did not answer within {timeout:.1f}s") from None
        finally:
            self._pending.pop(cid, None)

    async def tell(self, peer: bytes | None, target: str, method: str, *args: Any,
                   token: str | None = None, **kwargs: Any) -> None:
        """Fire-and-forget: no reply, errors only logged on the receiving side."""
        if peer is None:
            task = asyncio.get_running_loop().create_task(self._dispatch(None, target, method, args, kwargs, token))
            self._track(task)
            return
        await self._send(peer, codec.call_message(0, target, method, args, kwargs, token, kind=codec.TELL))

    async def _send(self, peer: bytes, frame: bytes) -> None:
        if len(frame) > self.security.max_message_size and (self._tcp_dealer if peer == UPSTREAM else self._tcp_router):
            # the peer's socket would drop the connection rather than take it
            raise RpcError(f"message of {len(frame) / 2**20:.1f} MiB is larger than "
                           "security.internal.max-message-size", "MessageTooLarge")
        if peer == UPSTREAM:
            if self.dealer is None:
                raise PeerUnreachable("not connected to a server")
            await self.dealer.send(frame)
            return
        if self.router is None:
            raise PeerUnreachable("this process has no ROUTER socket")
        try:
            # never wait for one peer: a peer that stops reading (its queue is at the high-water
            # mark) would otherwise stall every send of this ROUTER
            await self.router.send_multipart([peer, frame], flags=zmq.NOBLOCK)
        except zmq.Again:
            raise PeerUnreachable(f"peer {peer[:40].decode(errors='replace')} does not read its messages") from None
        except zmq.ZMQError as exc:
            if exc.errno == zmq.EHOSTUNREACH:
                raise PeerUnreachable(f"peer {peer[:40].decode(errors='replace')} is not connected") from None
            raise

    # ------------------------------------------------------------------ serving
    def _track(self, task: asyncio.Task) -> None:
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _read_loop(self, sock: zmq.asyncio.Socket, is_router: bool) -> None:
        # with CURVE, frames are received as zmq.Frame to read the sender's User-Id property
        authenticated = is_router and self.security.enabled
        while not self._closed:
            user: str | None = None
            try:
                if authenticated:
                    zframes = await sock.recv_multipart(copy=False)
                    user = _user_id(zframes[-1])
                    frames = [f.bytes for f in zframes]
                else:
                    frames = await sock.recv_multipart()
            except asyncio.CancelledError:
                raise
            except zmq.ZMQError as exc:
                if self._closed or exc.errno == zmq.ENOTSOCK:
                    return
                log.warning("socket receive failed: %s", exc)
                continue
            if is_router:
                if len(frames) != 2:
                    self._bad_frames.warning(("frames", frames[0] if frames else b""),
                                             "dropped a message with %d frames from %r", len(frames),
                                             frames[0][:40] if frames else b"")
                    continue
                peer, frame = frames
                if authenticated and not self._bind_peer(peer, user):
                    continue
            else:
                if len(frames) != 1:
                    self._bad_frames.warning(("frames", UPSTREAM), "dropped a message with %d frames from the server",
                                             len(frames))
                    continue
                peer, frame = UPSTREAM, frames[0]
            if len(frame) > OFFLOAD_BYTES and frame[1:8] == _CALL_PREFIX:
                # a big call (a job graph with its archive, a batch of results): decoded and
                # validated in a worker thread, so the loop keeps answering everyone else
                self._track(asyncio.get_running_loop().create_task(self._serve_large(peer, frame, user)))
                continue
            try:
                msg = codec.decode(frame)
            except codec.MalformedMessage as exc:
                self._bad_frames.warning(("malformed", peer), "dropped a malformed message from %r: %s", peer[:40], exc)
                continue
            kind = msg["k"]
            if kind in (codec.OK, codec.ERR):
                pending = self._pending.get(msg.get("id", 0))
                if pending is None or pending[1] != peer or pending[0].done():
                    continue  # late reply to a timed-out call, or not from the callee: dropped, never misrouted
                fut = pending[0]
                if kind == codec.OK:
                    fut.set_result(msg.get("r"))
                else:
                    fut.set_exception(remote_error(msg))
            else:
                self._track(asyncio.get_running_loop().create_task(self._serve(peer, msg, user)))

    def _bind_peer(self, peer: bytes, user: str | None) -> bool:
        """A routing id stays bound to the CURVE key that first used it: a message from
        another key under the same id (an attempt to take a TaskManager's connection over)
        is dropped."""
        bound = self._peer_users.get(peer, _UNBOUND)
        if bound is _UNBOUND:
            self._peer_users[peer] = user
            if len(self._peer_users) > _MAX_BOUND_PEERS:
                self._peer_users.popitem(last=False)
            return True
        if bound != user:
            self._bad_frames.warning(("takeover", peer, user), "dropped a message from key %s... under the routing id "
                                     "%r, which belongs to another key", str(user).split(":")[-1][:8], peer[:40])
            return False
        self._peer_users.move_to_end(peer)
        return True

    def _decode_executor(self) -> ThreadPoolExecutor:
        if self._decoder is None:
            self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rpc-decode")
        return self._decoder

    async def _serve_large(self, peer: bytes, frame: bytes, user: str | None) -> None:
        try:
            msg = await asyncio.get_running_loop().run_in_executor(self._decode_executor(), codec.decode, frame)
        except codec.MalformedMessage as exc:
            self._bad_frames.warning(("malformed", peer), "dropped a malformed message from %r: %s", peer[:40], exc)
            return
        if msg["k"] == codec.CALL:
            await self._serve(peer, msg, user, offload=True)

    async def _serve(self, peer: bytes, msg: dict, user: str | None = None, offload: bool = False) -> None:
        cid = msg.get("id", 0)
        target, method = str(msg.get("t"))[:200], str(msg.get("m"))[:200]
        try:
            args = msg.get("a") or []
            kwargs = msg.get("kw") or {}
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise RpcError("malformed arguments")
            if peer != UPSTREAM and self.security.enabled:
                role = role_of(user)
                if not self.policy.allows(target, method, role):
                    self._bad_frames.warning(("denied", user, target, method), "refused %s.%s from a %s key",
                                             target, method, role)
                    raise AccessDenied(f"a {role} key may not call {target}.{method}")
            current_user.set(user)
            result = await self._dispatch(peer, target, method, args, kwargs, msg.get("tok"), offload)
            reply = codec.reply_message(cid, to_wire(result))
        except asyncio.CancelledError:
            raise
        except RpcError as exc:
            reply = codec.error_message(cid, exc.error_type, str(exc))
        except MessageError as exc:  # the arguments do not have the declared shape: refused
            self._bad_frames.warning(("refused", peer, target, method), "refused %s.%s from %r: %s", target, method,
                                     peer[:40], exc)
            reply = codec.error_message(cid, "MessageError", str(exc)[:2000])
        except Exception as exc:  # the endpoint failed; report, do not crash the process
            log.debug("RPC %s.%s failed", target, method, exc_info=True)
            reply = codec.error_message(cid, type(exc).__name__, str(exc) or type(exc).__name__)
        if msg["k"] == codec.TELL:
            return
        try:
            await self._send(peer, reply)
        except Exception as exc:
            log.debug("could not reply to %r: %s", peer, exc)

    async def _dispatch(self, peer: bytes | None, target: str, method: str, args, kwargs, token,
                        offload: bool = False) -> Any:
        endpoint = self.endpoints.get(target)
        if endpoint is None:
            raise RpcError(f"no endpoint named {target!r}", "EndpointNotFound")
        if endpoint.fencing_token is not None and token != endpoint.fencing_token:
            raise FencingTokenError(f"fencing token mismatch for {target!r}: the sender talks to a stale leader")
        fn = getattr(endpoint, method, None)
        if fn is None or not getattr(fn, "__rpc__", False):
            raise RpcError(f"{target!r} has no RPC method {method!r}", "NoSuchMethod")
        if peer is not None and offload:
            args, kwargs = await asyncio.get_running_loop().run_in_executor(
                self._decode_executor(), decode_arguments, fn, method, args, kwargs)
        elif peer is not None:  # from the wire: decode and validate by the method's declared types
            args, kwargs = decode_arguments(fn, method, args, kwargs)
        current_sender.set(peer)
        result = fn(*args, **kwargs)
        if asyncio.iscoroutine(result):
            result = await result
        return result


_UNBOUND = object()


def _user_id(frame: zmq.Frame) -> str | None:
    try:
        value = frame.get("User-Id")
    except zmq.ZMQError:  # NULL mechanism: no user id
        return None
    return value if isinstance(value, str) else None


class Gateway:
    """Proxy: ``await gateway.method(*args)`` calls ``method`` on the endpoint. Arguments are
    encoded with the message codec; with a gateway Protocol, results are decoded into the
    types it declares (and so validated)."""

    def __init__(self, service: RpcService, peer: bytes | None, target: str, token: Any,
                 protocol: type | None = None) -> None:
        self._service = service
        self.peer = peer
        self.target = target
        self.token = token
        self.protocol = protocol

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        service, peer, target, token = self._service, self.peer, self.target, self.token
        decode = result_decoder(self.protocol, method) if peer is not None else None

        async def invoke(*args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
            tok = await _resolve(token, timeout)
            try:
                if peer is None:
                    return await service.call(None, target, method, *args, token=tok, timeout=timeout, **kwargs)
                raw = await service.call(peer, target, method, *[to_wire(a) for a in args], token=tok,
                                         timeout=timeout, **{k: to_wire(v) for k, v in kwargs.items()})
            except FencingTokenError:
                if not isinstance(token, (str, type(None))):
                    token.invalidate()  # the leader changed: the next call asks for its new id
                raise
            return raw if decode is None else decode(raw)
        return invoke

    async def tell(self, method: str, *args: Any, **kwargs: Any) -> None:
        if self.peer is not None:
            args = tuple(to_wire(a) for a in args)
            kwargs = {k: to_wire(v) for k, v in kwargs.items()}
        await self._service.tell(self.peer, self.target, method, *args, token=await _resolve(self.token, None),
                                 **kwargs)


async def _resolve(token: Any, timeout: float | None) -> str | None:
    if token is None or isinstance(token, str):
        return token
    value = await token.get(timeout)
    return None if value is None else str(value)
