"""Synchronous RPC caller for the CLI and for job programs talking to a Dispatcher.

Over TCP the DEALER is a CURVE client when the ``SocketSecurity`` has keys. A ZeroMQ
socket monitor reports the handshake, so a client whose key the JobManager refuses, or
that holds another cluster's JobManager key, fails at once with what to do instead of
waiting for the call's timeout (the server never answers an unauthenticated peer).
"""
from __future__ import annotations

import itertools
import os
import socket
import struct
import threading
import time
from typing import Any

import zmq

from runtime.messages.codec import to_wire
from runtime.rpc import codec
from runtime.rpc.errors import FencingTokenError, RpcError, RpcTimeout, remote_error
from runtime.rpc.signatures import result_decoder
from runtime.rpc.socket_monitor import close_monitor
from runtime.security.socket_security import SocketSecurity

_HANDSHAKE_EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
                     | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)


def _monitor_event(frames: list[bytes]) -> int:
    """The event id of a ZeroMQ socket-monitor message (first frame: 16-bit event id, 32-bit
    value). ``zmq.utils.monitor.parse_monitor_message`` does the same but imports asyncio,
    which a CLI command would otherwise load for nothing."""
    if len(frames) != 2 or len(frames[0]) != 6:
        raise RpcError(f"invalid ZeroMQ monitor message: {frames!r}")
    return struct.unpack("=Hi", frames[0])[0]


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


class AuthenticationFailed(RpcError):
    """The CURVE handshake with the server failed: wrong or missing keys on one side."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "AuthenticationFailed")


class SyncRpcClient:
    def __init__(self, address: str, timeout: float = 10.0, context: zmq.Context | None = None,
                 security: SocketSecurity | None = None, server_public: bytes | None = None) -> None:
        self.address = address
        self.timeout = timeout
        self.security = security or SocketSecurity()
        self.ctx = context or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.IDENTITY, b"client-" + os.urandom(16).hex().encode())
        self._monitor: zmq.Socket | None = None
        if not address.startswith("inproc://"):
            self.security.secure_client(self.sock, server_public)
            self._monitor = self.sock.get_monitor_socket(_HANDSHAKE_EVENTS)
        self.sock.connect(address)
        self._ids = itertools.count(1)
        # a ZeroMQ socket must not be used by two threads at once (e.g. a result iterator
        # polling in one thread while another closes it); calls are rare, so a lock is fine
        self._lock = threading.Lock()

    def call(self, target: str, method: str, *args: Any, token: str | None = None,
             timeout: float | None = None, **kwargs: Any) -> Any:
        with self._lock:
            return self._call(target, method, args, kwargs, token, timeout)

    def _call(self, target: str, method: str, args: tuple, kwargs: dict, token: str | None,
              timeout: float | None) -> Any:
        timeout = self.timeout if timeout is None else timeout
        cid = next(self._ids)
        frame = codec.call_message(cid, target, method, args, kwargs, token)
        limit = self.security.max_message_size
        if self._monitor is not None and len(frame) > limit:  # over TCP the server would drop us, never answer
            raise RpcError(f"the {method} request is {_size(len(frame))}, more than the {_size(limit)} the JobManager "
                           "accepts (security.internal.max-message-size); ship less with the job or raise that "
                           "option on the JobManager and here", "MessageTooLarge")
        self.sock.send(frame)
        deadline = time.monotonic() + timeout
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        if self._monitor is not None:
            poller.register(self._monitor, zmq.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            events = dict(poller.poll(int(remaining * 1000) + 1)) if remaining > 0 else {}
            if self._monitor is not None and self._monitor in events:
                self._check_handshake()
            if self.sock not in events:
                if time.monotonic() >= deadline:
                    raise RpcTimeout(f"{target}.{method} at {self.address} did not answer within {timeout:.1f}s")
                continue
            try:
                msg = codec.decode(self.sock.recv())
            except codec.MalformedMessage:
                continue
            if msg.get("id") != cid:
                continue  # a late reply to an earlier, timed-out call
            if msg["k"] == codec.OK:
                return msg.get("r")
            raise remote_error(msg)

    def _check_handshake(self) -> None:
        assert self._monitor is not None
        while True:
            try:
                kind = _monitor_event(self._monitor.recv_multipart(zmq.NOBLOCK))
            except zmq.Again:
                return
            if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                continue
            where = self.security.keys.directory if self.security.keys is not None else None
            if kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                raise AuthenticationFailed(
                    f"the JobManager at {self.address} refused this client's CURVE key (from {where}): it is not in "
                    "the JobManager's authorized_clients; copy the keys directory from the JobManager host "
                    "(security.internal.keys-dir)")
            if self.security.enabled:
                raise AuthenticationFailed(
                    f"the secure handshake with {self.address} failed: the server does not hold the JobManager key "
                    f"in {where}/jobmanager.key, or it runs with security.internal.enabled=false; use the keys "
                    "directory of that cluster")
            raise AuthenticationFailed(
                f"the handshake with {self.address} failed: the JobManager expects CURVE keys, but "
                "security.internal.enabled=false here; enable it and use the cluster's keys directory")

    def close(self) -> None:
        """Stop the socket monitor, then close both sockets: in that order, always (see ``__del__``)."""
        if self._monitor is not None:
            close_monitor(self.sock, self._monitor)
            self._monitor = None
        self.sock.close(0)

    def __del__(self) -> None:
        # A client dropped without close() must still stop its monitor before its sockets go.
        # Otherwise pyzmq closes the monitor's reading end on its own, and libzmq's I/O thread,
        # which sends monitor events with a blocking send, blocks for good on the next
        # handshake event of the still-connecting socket: from then on no socket of this
        # (process-wide) context connects or receives, and every later call times out.
        if getattr(self, "sock", None) is not None:
            try:
                self.close()
            except Exception:  # at interpreter exit zmq may already be torn down
                pass

    def __enter__(self) -> SyncRpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncGateway:
    """Blocking proxy of one endpoint for the CLI and job programs: ``gateway.method(*args)``
    sends the call and waits for the reply, decoded into the types the endpoint's gateway
    Protocol declares. ``timeout=`` overrides the client's default per call. ``token`` is
    the fencing token or a token source (``get_sync(timeout)``/``invalidate()``, e.g.
    ``SyncLeaderRetrieval``)."""

    def __init__(self, client: SyncRpcClient, target: str, token: Any = None, protocol: type | None = None) -> None:
        self._client = client
        self.address = client.address
        self._target = target
        self._token = token if token is None or hasattr(token, "get_sync") else str(token)
        self._protocol = protocol

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        decode = result_decoder(self._protocol, method)
        client, target, source = self._client, self._target, self._token

        def invoke(*args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
            token = source if source is None or isinstance(source, str) else source.get_sync(timeout)
            try:
                raw = client.call(target, method, *[to_wire(a) for a in args], token=token, timeout=timeout,
                                  **{k: to_wire(v) for k, v in kwargs.items()})
            except FencingTokenError:
                if not isinstance(source, (str, type(None))):
                    source.invalidate()
                raise
            return raw if decode is None else decode(raw)
        return invoke

    def close(self) -> None:
        self._client.close()


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at host:port.

    ZeroMQ connects lazily and retries forever, so a missing JobManager would only show up as
    a call timeout; a plain connect answers "refused" at once on a local machine.
    """
    # an ASCII name as bytes: given a str, getaddrinfo encodes it with the idna codec, whose
    # import (unicodedata, stringprep) would be a good part of a client command's own work
    name = host.encode("ascii") if host.isascii() else host.encode("idna")
    try:
        with socket.create_connection((name, port), timeout=timeout):  # type: ignore[arg-type]  # bytes is fine
            return True
    except OSError:
        return False


__all__ = ["AuthenticationFailed", "RpcError", "RpcTimeout", "SyncGateway", "SyncRpcClient", "tcp_reachable"]
