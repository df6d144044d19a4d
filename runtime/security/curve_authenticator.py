"""The ZAP handler of a process: which CURVE keys may connect to its server sockets.

pyzmq's ``ThreadAuthenticator`` (``zmq.auth``) answers libzmq's ZAP requests in its own
thread, so a busy event loop never delays a handshake. One per ZeroMQ context (ZAP is per
context); each server socket names a ZAP domain that says which roles it lets in:
``pyflink-rpc`` (the JobManager's RPC socket: clients and TaskManagers) and
``pyflink-data`` (a TaskManager's data port: TaskManagers only). The user id handed to
libzmq is ``ROLE:KEY``; it comes back on every message as the frame's ``User-Id``
property, which is how the RPC service knows who sent a call.

A refused key is logged once per (peer address, key) and minute, at most 20 lines a
minute (``RateLimitedLog``); the peer gets no answer at all.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils import z85

from runtime.security.rate_limited_log import RateLimitedLog
from runtime.security.zap_domains import DATA_DOMAIN, RPC_DOMAIN

__all__ = ["DATA_DOMAIN", "RPC_DOMAIN", "CurveAuthenticator", "authenticator_for", "release_authenticator"]


log = logging.getLogger("runtime.security")


class _Provider:
    def __init__(self, auth: CurveAuthenticator, domain: str) -> None:
        self.auth = auth
        self.domain = domain

    def callback(self, domain: str, key: bytes) -> bool:
        return self.auth.check(self.domain, key)


class CurveAuthenticator(ThreadAuthenticator):
    def __init__(self, context: zmq.Context) -> None:
        # pyzmq's own DEBUG lines stay quiet; refusals are logged here, rate-limited
        zap_log = logging.getLogger("runtime.security.zap")
        zap_log.setLevel(logging.WARNING)
        super().__init__(context, log=zap_log)
        self._roles: dict[bytes, str] = {}
        self._domain_roles: dict[str, frozenset[str]] = {}
        self._address = ""
        self.refusals = RateLimitedLog(log)
        self.refused = 0
        self.users = 0

    def allow_keys(self, domain: str, authorized: Mapping[bytes, str], roles: set[str] | frozenset[str]) -> None:
        """Let keys of ``roles`` (looked up in ``authorized``: Z85 key -> role) into ``domain``."""
        self._roles.update(authorized)
        self._domain_roles[domain] = frozenset(roles)
        self.configure_curve_callback(domain, _Provider(self, domain))

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        # remember the peer's address for the refusal line (the credentials callback only sees the key)
        self._address = msg[3].decode("utf-8", "replace") if len(msg) > 3 else "?"
        try:
            await super().handle_zap_message(msg)
        except Exception:  # an exception would end pyzmq's ZAP thread, and with it every later handshake
            self.refusals.log(logging.ERROR, ("zap-error",), "the ZAP handler failed on a request; refusing it",
                              exc_info=True)
            if len(msg) > 1:
                try:
                    self._send_zap_reply(msg[1], b"500", b"Internal error")
                except Exception:
                    pass

    def check(self, domain: str, key: bytes) -> bool:
        role = self._roles.get(key)
        if role is not None and role in self._domain_roles.get(domain, ()):
            return True
        self.refused += 1
        why = "an unknown key" if role is None else f"a {role} key, which may not connect here"
        self.refusals.warning((self._address, key), "refused a connection from %s to %s: %s (%s...); "
                              "it gets no answer", self._address or "?", domain, why, key[:8].decode("ascii", "replace"))
        return False

    def curve_user_id(self, client_public_key: bytes) -> str:
        key = z85.encode(client_public_key)
        return f"{self._roles.get(key, 'unknown')}:{key.decode('ascii')}"


_LOCK = threading.Lock()
_AUTHENTICATORS: dict[int, tuple[CurveAuthenticator, int]] = {}


def authenticator_for(context: zmq.Context) -> CurveAuthenticator:
    """The running authenticator of ``context`` (started on first use, reference counted)."""
    key = context.underlying
    with _LOCK:
        entry = _AUTHENTICATORS.get(key)
        if entry is None:
            auth = CurveAuthenticator(zmq.Context.shadow(key))
            auth.start()
            entry = (auth, 0)
        _AUTHENTICATORS[key] = (entry[0], entry[1] + 1)
        return entry[0]


def release_authenticator(context: zmq.Context) -> None:
    key = context.underlying
    with _LOCK:
        entry = _AUTHENTICATORS.get(key)
        if entry is None:
            return
        auth, refs = entry
        if refs > 1:
            _AUTHENTICATORS[key] = (auth, refs - 1)
            return
        del _AUTHENTICATORS[key]
    auth.stop()
