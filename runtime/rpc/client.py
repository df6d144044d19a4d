"""Synchronous RPC caller for the CLI and for job programs talking to a Dispatcher."""
from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from typing import Any

import zmq

from runtime.messages.codec import to_wire
from runtime.rpc import codec
from runtime.rpc.errors import RpcError, RpcTimeout, remote_error
from runtime.rpc.signatures import result_decoder


class SyncRpcClient:
    def __init__(self, address: str, timeout: float = 10.0, context: zmq.Context | None = None) -> None:
        self.address = address
        self.timeout = timeout
        self.ctx = context or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.IDENTITY, b"client-" + os.urandom(6).hex().encode())
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
        self.sock.send(codec.call_message(cid, target, method, args, kwargs, token))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.sock.poll(int(remaining * 1000) + 1):
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

    def close(self) -> None:
        self.sock.close(0)

    def __enter__(self) -> SyncRpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncGateway:
    """Blocking proxy of one endpoint for the CLI and job programs: ``gateway.method(*args)``
    sends the call and waits for the reply, decoded into the types the endpoint's gateway
    Protocol declares. ``timeout=`` overrides the client's default per call."""

    def __init__(self, client: SyncRpcClient, target: str, token: Any = None, protocol: type | None = None) -> None:
        self._client = client
        self.address = client.address
        self._target = target
        self._token = None if token is None else str(token)
        self._protocol = protocol

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        decode = result_decoder(self._protocol, method)
        client, target, token = self._client, self._target, self._token

        def invoke(*args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
            raw = client.call(target, method, *[to_wire(a) for a in args], token=token, timeout=timeout,
                              **{k: to_wire(v) for k, v in kwargs.items()})
            return raw if decode is None else decode(raw)
        return invoke

    def close(self) -> None:
        self._client.close()


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at host:port.

    ZeroMQ connects lazily and retries forever, so a missing JobManager would only show up as
    a call timeout; a plain connect answers "refused" at once on a local machine.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


__all__ = ["RpcError", "RpcTimeout", "SyncGateway", "SyncRpcClient", "tcp_reachable"]
