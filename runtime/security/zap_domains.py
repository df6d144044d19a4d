"""The ZAP domains of the server sockets: which roles each one lets in is decided by
``SocketSecurity``; the ``CurveAuthenticator`` answers per domain.

A module of its own so that clients (which never run a ZAP handler) can name them without
importing pyzmq's ``ThreadAuthenticator`` and, with it, asyncio.
"""
from __future__ import annotations

#: the JobManager's RPC socket: clients and TaskManagers
RPC_DOMAIN = "pyflink-rpc"
#: a TaskManager's data port: TaskManagers only
DATA_DOMAIN = "pyflink-data"
