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


async def probe_handshake(context: zmq.asyncio.Context, address: str, security: SocketSecurity,
                          on_refused: Callable[[str], None], what: str = "this TaskManager") -> bool:
    """True once a handshake succeeded; False (after ``on_refused(message)``) if refused."""
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.IDENTITY, b"probe-" + os.urandom(8).hex().encode())
    security.secure_client(sock)
    monitor = sock.get_monitor_socket(_EVENTS)
    sock.connect(address)
    where = security.keys.directory if security.keys is not None else "(no keys: security.internal.enabled=false)"
    try:
        while True:
            event = parse_monitor_message(await monitor.recv_multipart())
            kind = event["event"]
            if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                return True
            if kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                on_refused(f"the JobManager at {address} refused the CURVE key of {what} (from {where}): it is not "
                           "in the JobManager's authorized_clients; copy the keys directory from the JobManager host")
            elif security.enabled:
                on_refused(f"the secure handshake with the JobManager at {address} failed: it does not hold the "
                           f"JobManager key in {where}, or runs with security.internal.enabled=false")
            else:
                on_refused(f"the JobManager at {address} requires CURVE keys, but {what} runs with "
                           "security.internal.enabled=false")
            return False
    finally:
        sock.disable_monitor()
        monitor.close(0)
        sock.close(0)
