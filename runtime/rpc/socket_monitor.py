"""Closing a ZeroMQ socket monitor safely (what libzmq's ``zmq_socket_monitor`` needs).

libzmq's I/O thread sends monitor events with a blocking send, so an event for a monitor
socket nobody reads any more blocks that thread, and with it every socket of the context.
The monitor must therefore be disabled on the monitored socket before its reading end is
closed. Kept free of asyncio so the light client path can use it too.
"""
from __future__ import annotations

import zmq


def close_monitor(sock: zmq.Socket, monitor: zmq.Socket) -> None:
    """Stop ``sock``'s monitor, then close the monitor socket."""
    try:
        if not sock.closed:
            sock.disable_monitor()
    except zmq.ZMQError:
        pass
    monitor.close(0)
