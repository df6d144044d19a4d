"""Tell a process at once when a server refuses its CURVE key.

A CURVE server never answers a peer it refused, so a TaskManager with a wrong key would
only see its registration time out, forever. This probe connects one extra DEALER with the
same keys (it never sends a message: the ZMTP handshake runs on connect) and watches its
socket monitor until the first handshake result: success ends the probe, a refusal is
reported with what to do.
"""
from __future__ import annotations

import os
from collections.abc import Callable

import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

from runtime.security.socket_security import SocketSecurity

__all__ = ["probe_handshake"]

_EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
           | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)


def _refusal(kind: int, address: str, security: SocketSecurity, what: str) -> str:
    where = security.keys.directory if security.keys is not None else "(no keys: security.internal.enabled=false)"
    if kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return (f"the JobManager at {address} refused the CURVE key of {what} (from {where}): it is not in the "
                "JobManager's authorized_clients; copy the keys directory from the JobManager host")
    if security.enabled:
        return (f"the secure handshake with the JobManager at {address} failed: it does not hold the JobManager key "
                f"in {where}, or runs with security.internal.enabled=false")
    return f"the JobManager at {address} requires CURVE keys, but {what} runs with security.internal.enabled=false"


def _probe_socket(context: zmq.Context, address: str, security: SocketSecurity) -> tuple[zmq.Socket, zmq.Socket]:
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.IDENTITY, b"probe-" + os.urandom(8).hex().encode())
    security.secure_client(sock)
    monitor = sock.get_monitor_socket(_EVENTS)
    sock.connect(address)
    return sock, monitor


def _close(sock: zmq.Socket, monitor: zmq.Socket) -> None:
    sock.disable_monitor()
    monitor.close(0)
    sock.close(0)


async def probe_handshake(context: zmq.asyncio.Context, address: str, security: SocketSecurity,
                          on_refused: Callable[[str], None], what: str = "this TaskManager") -> bool:
    """True once a handshake succeeded; False (after ``on_refused(message)``) if refused."""
    sock, monitor = _probe_socket(context, address, security)
    try:
        event = parse_monitor_message(await monitor.recv_multipart())  # type: ignore[misc]
        if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            return True
        on_refused(_refusal(event["event"], address, security, what))
        return False
    finally:
        _close(sock, monitor)


def check_handshake(address: str, security: SocketSecurity, timeout: float = 2.0,
                    what: str = "this TaskManager") -> str | None:
    """Blocking variant for the CLI: the refusal message, or None (accepted, or no answer in time)."""
    context: zmq.Context = zmq.Context.instance()
    sock, monitor = _probe_socket(context, address, security)
    try:
        if not monitor.poll(int(timeout * 1000)):
            return None
        event = parse_monitor_message(monitor.recv_multipart())
        return None if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED else _refusal(event["event"], address,
                                                                                     security, what)
    finally:
        _close(sock, monitor)
