"""A blocking DispatcherGateway for processes outside the JobManager (the CLI, job programs,
the embedded mini cluster's caller thread).

The Dispatcher is fenced with the JobManager's random leader session id; the gateway asks
the unfenced ``leaderretrieval`` endpoint for it before the first call (one round trip)
and again after a call was refused as stale (the JobManager restarted)."""
from __future__ import annotations

from typing import Any

from runtime.dispatcher.dispatcher_gateway import NAME, DispatcherGateway
from runtime.highavailability.leader_retrieval import SyncLeaderRetrieval
from runtime.rpc.client import SyncGateway, SyncRpcClient
from runtime.security.socket_security import SocketSecurity


def dispatcher_client(address: str, timeout: float = 10.0, context: Any = None,
                      security: SocketSecurity | None = None) -> Any:
    """A SyncGateway typed by DispatcherGateway (its methods block and return the decoded
    messages); ``.address`` is where it connects, ``.close()`` closes the socket.
    ``security``: the client's CURVE keys (``SocketSecurity.from_config(config, "client")``)."""
    client = SyncRpcClient(address, timeout, context, security)
    return SyncGateway(client, NAME, SyncLeaderRetrieval(client, NAME), DispatcherGateway)
