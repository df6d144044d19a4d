"""The CLI's side of leader retrieval: the blocking token source of a ``SyncGateway``.

Kept apart from ``leader_election`` (the JobManager's side, built on the asyncio RPC
service) so that a client command imports neither asyncio nor the RPC server to learn the
Dispatcher's leader session id.
"""
from __future__ import annotations

from typing import Any

#: name of the unfenced endpoint that tells the current leader session ids
RETRIEVAL_ENDPOINT = "leaderretrieval"


class SyncLeaderRetrieval:
    """The leader session id of ``target`` for a blocking ``SyncGateway`` (the CLI), asked for
    before the first call and again after a call was refused as stale."""

    def __init__(self, client: Any, target: str) -> None:
        self.client = client
        self.target = target
        self.token: str | None = None

    def get_sync(self, timeout: float | None = None) -> str | None:
        if self.token is None:
            self.token = self.client.call(RETRIEVAL_ENDPOINT, "get_leader_session_id", self.target, timeout=timeout)
        return self.token

    def invalidate(self) -> None:
        self.token = None
