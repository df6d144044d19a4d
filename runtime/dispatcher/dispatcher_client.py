"""A blocking DispatcherGateway for processes outside the JobManager (the CLI, job programs,
the embedded mini cluster's caller thread)."""
from __future__ import annotations

from typing import Any

from runtime.dispatcher.dispatcher_gateway import NAME, DispatcherGateway
from runtime.highavailability.leader_election import DEFAULT_LEADER_ID
from runtime.rpc.client import SyncGateway, SyncRpcClient


def dispatcher_client(address: str, timeout: float = 10.0, context: Any = None) -> Any:
    """A SyncGateway typed by DispatcherGateway (its methods block and return the decoded
    messages); ``.address`` is where it connects, ``.close()`` closes the socket."""
    client = SyncRpcClient(address, timeout, context)
    return SyncGateway(client, NAME, DEFAULT_LEADER_ID, DispatcherGateway)
