"""Exceptions of the RPC layer, shared by servers and callers."""
from __future__ import annotations


class RpcError(Exception):
    """A call failed on the remote side; ``error_type`` names the remote exception class."""

    def __init__(self, message: str, error_type: str = "RpcError") -> None:
        super().__init__(message)
        self.error_type = error_type


class RpcTimeout(RpcError):
    """No reply within the call's timeout. A reply arriving later is dropped."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "RpcTimeout")


class FencingTokenError(RpcError):
    """The caller used a stale leader/session token: the endpoint it meant is gone."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "FencingTokenException")


class PeerUnreachable(RpcError):
    """The ROUTER has no connection to the addressed peer (it disconnected or never came)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "PeerUnreachable")


def remote_error(msg: dict) -> RpcError:
    """Rebuild the exception a remote endpoint reported in an ``err`` reply."""
    kind = str(msg.get("c", "RpcError"))
    text = str(msg.get("e", ""))
    if kind == "FencingTokenException":
        return FencingTokenError(text)
    return RpcError(text, kind)
