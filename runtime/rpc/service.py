"""RpcService over ZeroMQ: one ROUTER per server process, DEALERs on callers.

A JobManager binds one ROUTER; every TaskManager and client connects a DEALER whose routing
id is its identity (a TaskManager uses its resource id), so the JobManager can call back into
a TaskManager over the same connection. Calls between endpoints of one process skip the
socket but keep the same semantics (async, fenced, timed out).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import zmq
import zmq.asyncio

from runtime.messages.codec import MessageError, to_wire
from runtime.rpc import codec
from runtime.rpc.endpoint import RpcEndpoint, current_sender
from runtime.rpc.errors import FencingTokenError, PeerUnreachable, RpcError, RpcTimeout, remote_error
from runtime.rpc.signatures import decode_arguments, result_decoder

log = logging.getLogger(__name__)

#: Peer address meaning "the server this process's DEALER is connected to".
UPSTREAM = b"\x00upstream"


def shared_context() -> zmq.asyncio.Context:
    """An asyncio context over the process-wide libzmq context, so inproc:// works across
    synchronous and asyncio sockets (the embedded mini cluster relies on that)."""
    return zmq.asyncio.Context.shadow(zmq.Context.instance().underlying)


class RpcService:
    def __init__(self, default_timeout: float = 10.0, context: zmq.asyncio.Context | None = None) -> None:
        self.ctx = context or shared_context()
        self.default_timeout = default_timeout
        self.endpoints: dict[str, RpcEndpoint] = {}
        self.router: zmq.asyncio.Socket | None = None
        self.dealer: zmq.asyncio.Socket | None = None
        self.bound_address: str | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._readers: list[asyncio.Task] = []
        self._handlers: set[asyncio.Task] = set()
        self._closed = False

    # ------------------------------------------------------------------ sockets
    def bind(self, address: str) -> str:
        """Bind the ROUTER (``tcp://host:port`` or ``inproc://name``); returns the bound address."""
        sock = self.ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        sock.setsockopt(zmq.ROUTER_HANDOVER, 1)
        sock.bind(address)
        self.router = sock
        self.bound_address = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self._readers.append(asyncio.get_running_loop().create_task(self._read_loop(sock, True)))
        return self.bound_address

    def connect(self, address: str, identity: bytes) -> zmq.asyncio.Socket:
        sock = self.ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.IDENTITY, identity)
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
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(RpcError("RPC service closed"))
        self._pending.clear()
        for sock in (self.router, self.dealer):
            if sock is not None:
                sock.close(0)

    # ------------------------------------------------------------------ calling
    def gateway(self, peer: bytes | None, target: str, token: Any = None, protocol: type | None = None) -> Any:
        """A proxy for the endpoint ``target`` at ``peer`` (None: this process). With the
        endpoint's gateway ``protocol``, results are decoded into its declared types."""
        return Gateway(self, peer, target, None if token is None else str(token), protocol)

    async def call(self, peer: bytes | None, target: str, method: str, *args: Any,
                   token: str | None = None, timeout: float | None = None, **kwargs: Any) -> Any:
        timeout = self.default_timeout if timeout is None else timeout
        if peer is None:
            return await asyncio.wait_for(self._dispatch(None, target, method, args, kwargs, token), timeout)
        cid = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._pending[cid] = fut
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
        if peer == UPSTREAM:
            if self.dealer is None:
                raise PeerUnreachable("not connected to a server")
            await self.dealer.send(frame)
            return
        if self.router is None:
            raise PeerUnreachable("this process has no ROUTER socket")
        try:
            await self.router.send_multipart([peer, frame])
        except zmq.ZMQError as exc:
            if exc.errno == zmq.EHOSTUNREACH:
                raise PeerUnreachable(f"peer {peer.decode(errors='replace')} is not connected") from None
            raise

    # ------------------------------------------------------------------ serving
    def _track(self, task: asyncio.Task) -> None:
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _read_loop(self, sock: zmq.asyncio.Socket, is_router: bool) -> None:
        while not self._closed:
            try:
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
                    log.warning("dropped a message with %d frames", len(frames))
                    continue
                peer, frame = frames
            else:
                if len(frames) != 1:
                    log.warning("dropped a message with %d frames", len(frames))
                    continue
                peer, frame = UPSTREAM, frames[0]
            try:
                msg = codec.decode(frame)
            except codec.MalformedMessage as exc:
                log.warning("dropped a malformed message from %r: %s", peer, exc)
                continue
            kind = msg["k"]
            if kind in (codec.OK, codec.ERR):
                fut = self._pending.get(msg.get("id", 0))
                if fut is None or fut.done():
                    continue  # late reply to a timed-out call: dropped, never misrouted
                if kind == codec.OK:
                    fut.set_result(msg.get("r"))
                else:
                    fut.set_exception(remote_error(msg))
            else:
                self._track(asyncio.get_running_loop().create_task(self._serve(peer, msg)))

    async def _serve(self, peer: bytes, msg: dict) -> None:
        cid = msg.get("id", 0)
        try:
            args = msg.get("a") or []
            kwargs = msg.get("kw") or {}
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise RpcError("malformed arguments")
            result = await self._dispatch(peer, str(msg.get("t")), str(msg.get("m")), args, kwargs, msg.get("tok"))
            reply = codec.reply_message(cid, to_wire(result))
        except asyncio.CancelledError:
            raise
        except RpcError as exc:
            reply = codec.error_message(cid, exc.error_type, str(exc))
        except MessageError as exc:  # the arguments do not have the declared shape: refused
            log.warning("refused %s.%s from %r: %s", msg.get("t"), msg.get("m"), peer, exc)
            reply = codec.error_message(cid, "MessageError", str(exc))
        except Exception as exc:  # the endpoint failed; report, do not crash the process
            log.debug("RPC %s.%s failed", msg.get("t"), msg.get("m"), exc_info=True)
            reply = codec.error_message(cid, type(exc).__name__, str(exc) or type(exc).__name__)
        if msg["k"] == codec.TELL:
            return
        try:
            await self._send(peer, reply)
        except Exception as exc:
            log.debug("could not reply to %r: %s", peer, exc)

    async def _dispatch(self, peer: bytes | None, target: str, method: str, args, kwargs, token) -> Any:
        endpoint = self.endpoints.get(target)
        if endpoint is None:
            raise RpcError(f"no endpoint named {target!r}", "EndpointNotFound")
        if endpoint.fencing_token is not None and token != endpoint.fencing_token:
            raise FencingTokenError(f"fencing token mismatch for {target!r}: the sender talks to a stale leader")
        fn = getattr(endpoint, method, None)
        if fn is None or not getattr(fn, "__rpc__", False):
            raise RpcError(f"{target!r} has no RPC method {method!r}", "NoSuchMethod")
        if peer is not None:  # from the wire: decode and validate by the method's declared types
            args, kwargs = decode_arguments(fn, method, args, kwargs)
        current_sender.set(peer)
        result = fn(*args, **kwargs)
        if asyncio.iscoroutine(result):
            result = await result
        return result


class Gateway:
    """Proxy: ``await gateway.method(*args)`` calls ``method`` on the endpoint. Arguments are
    encoded with the message codec; with a gateway Protocol, results are decoded into the
    types it declares (and so validated)."""

    def __init__(self, service: RpcService, peer: bytes | None, target: str, token: str | None,
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
            if peer is None:
                return await service.call(None, target, method, *args, token=token, timeout=timeout, **kwargs)
            raw = await service.call(peer, target, method, *[to_wire(a) for a in args], token=token,
                                     timeout=timeout, **{k: to_wire(v) for k, v in kwargs.items()})
            return raw if decode is None else decode(raw)
        return invoke

    async def tell(self, method: str, *args: Any, **kwargs: Any) -> None:
        if self.peer is not None:
            args = tuple(to_wire(a) for a in args)
            kwargs = {k: to_wire(v) for k, v in kwargs.items()}
        await self._service.tell(self.peer, self.target, method, *args, token=self.token, **kwargs)
