"""How a process secures its ZeroMQ sockets (the CURVE counterpart of Flink's SSLUtils
for internal connections).

Every socket gets ``ZMQ_MAXMSGSIZE`` (``security.internal.max-message-size``): a peer that
sends a larger message is disconnected before the message is ever buffered whole. With
``security.internal.enabled`` (the default) server sockets are CURVE servers whose ZAP
domain admits only the keys listed in ``authorized_clients`` with a role the socket
accepts, and client sockets are CURVE clients that know the server's public key, so
both ends are authenticated and everything is encrypted. CURVE encrypts per ZeroMQ
message: one message per RPC call or per data-plane buffer, never per record.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq

from runtime.configuration import options as opts
from runtime.security.internal_keys import ROLE_CLIENT, ROLE_TASKMANAGER, InternalKeys, load_keys
from runtime.security.zap_domains import DATA_DOMAIN, RPC_DOMAIN

__all__ = ["DATA_DOMAIN", "RPC_DOMAIN", "SocketSecurity", "role_of"]

log = logging.getLogger("runtime.security")

#: roles each ZAP domain lets in
_DOMAIN_ROLES = {RPC_DOMAIN: frozenset({ROLE_CLIENT, ROLE_TASKMANAGER}), DATA_DOMAIN: frozenset({ROLE_TASKMANAGER})}
#: a connection that has not finished its handshake by then is dropped
HANDSHAKE_TIMEOUT_MS = 5000


def role_of(user_id: str | None) -> str | None:
    """The role in a ``ROLE:KEY`` ZAP user id (None for an unauthenticated peer)."""
    if not user_id:
        return None
    return user_id.split(":", 1)[0]


@dataclass
class SocketSecurity:
    """``keys`` None: CURVE off (``security.internal.enabled = false``), size limit still on."""

    keys: InternalKeys | None = None
    max_message_size: int = 32 << 20

    @property
    def enabled(self) -> bool:
        return self.keys is not None

    @classmethod
    def from_config(cls, config: Any, role: str) -> SocketSecurity:
        """Load the keys ``role`` needs; raises SecurityConfigurationError with what to do."""
        size = int(config.get(opts.SECURITY_INTERNAL_MAX_MESSAGE_SIZE))
        if not config.get(opts.SECURITY_INTERNAL_ENABLED):
            return cls(None, size)
        return cls(load_keys(Path(config.get(opts.SECURITY_INTERNAL_KEYS_DIR)), role), size)

    def secure_server(self, sock: zmq.Socket, domain: str) -> None:
        """Before ``bind``: CURVE server with this process's key pair, ZAP ``domain``."""
        sock.setsockopt(zmq.MAXMSGSIZE, self.max_message_size)
        if self.keys is None:
            return
        # servers only: the ZAP thread (and the asyncio it imports) is no client's business
        from runtime.security.curve_authenticator import authenticator_for
        auth = authenticator_for(sock.context)
        auth.allow_keys(domain, self.keys.authorized, _DOMAIN_ROLES[domain])
        sock.setsockopt(zmq.HANDSHAKE_IVL, HANDSHAKE_TIMEOUT_MS)
        sock.setsockopt(zmq.CURVE_SERVER, 1)
        sock.setsockopt(zmq.CURVE_PUBLICKEY, self.keys.own.public)
        assert self.keys.own.secret is not None
        sock.setsockopt(zmq.CURVE_SECRETKEY, self.keys.own.secret)
        sock.setsockopt(zmq.ZAP_DOMAIN, domain.encode())

    def release_server(self, sock: zmq.Socket) -> None:
        """After a server socket made with :meth:`secure_server` is closed."""
        if self.keys is not None:
            from runtime.security.curve_authenticator import release_authenticator
            release_authenticator(sock.context)

    def secure_client(self, sock: zmq.Socket, server_public: bytes | None = None) -> None:
        """Before ``connect``: CURVE client with this process's pair, trusting ``server_public``
        (default: the JobManager's public key)."""
        sock.setsockopt(zmq.MAXMSGSIZE, self.max_message_size)
        if self.keys is None:
            return
        sock.setsockopt(zmq.CURVE_SERVERKEY, server_public or self.keys.jobmanager_public)
        sock.setsockopt(zmq.CURVE_PUBLICKEY, self.keys.own.public)
        assert self.keys.own.secret is not None
        sock.setsockopt(zmq.CURVE_SECRETKEY, self.keys.own.secret)

    @property
    def data_server_public(self) -> bytes | None:
        """The public key of every TaskManager's data port."""
        return self.keys.taskmanager_public if self.keys is not None else None
