"""Free ports for test and benchmark clusters (no pytest here: the benchmarks use it too)."""
from __future__ import annotations

import random
import socket
from pathlib import Path


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_PORTS_GIVEN: set[int] = set()


def free_port() -> int:
    """A free port on 127.0.0.1 *below* the kernel's ephemeral range. A port taken by binding
    to 0 comes from that range, and any outgoing connection (a client, a TaskManager) may be
    given it before the cluster binds it ("address already in use" at start); below the range
    only an explicit bind can take it. Never the same port twice in one process."""
    return free_port_range(1)


def free_port_range(count: int) -> int:
    """The first of ``count`` consecutive free ports, chosen as :func:`free_port` chooses one."""
    low = _ephemeral_low()
    for _ in range(500):
        base = random.randrange(max(1024, low - 12000), low - count + 1)
        ports = range(base, base + count)
        if any(p in _PORTS_GIVEN for p in ports) or not all(_bindable(p) for p in ports):
            continue
        _PORTS_GIVEN.update(ports)
        return base
    if count == 1:
        with socket.socket() as s:  # nothing free below the range: any free port
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    raise RuntimeError(f"no {count} consecutive free ports below {low}")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
