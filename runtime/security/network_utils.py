"""Is an address loopback-only? (Decides whether running without CURVE earns a warning.)"""
from __future__ import annotations

import ipaddress
import socket

__all__ = ["is_loopback", "resolve_bind_host"]


def resolve_bind_host(host: str) -> str:
    """What a socket binds to for a configured host: ``localhost``/empty → 127.0.0.1,
    ``0.0.0.0``/``*`` → all interfaces (``*``)."""
    if host in ("localhost", ""):
        return "127.0.0.1"
    if host in ("0.0.0.0", "*", "::"):
        return "*"
    return host


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    if host in ("localhost", "", "127.0.0.1", "::1"):
        return True
    if host in ("*", "0.0.0.0", "::"):
        return False
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses)
