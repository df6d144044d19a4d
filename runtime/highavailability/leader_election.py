"""Standalone leader election and retrieval (Flink's ``StandaloneHaServices``).

In standalone mode there is exactly one JobManager, so election is a formality: a contender
is granted leadership at once. The components still go through it, so that "become leader →
create the component → fence its RPCs with the session id" is the one code path, as in
Flink. Unlike Flink's standalone mode (which always uses ``DEFAULT_LEADER_ID``), every
grant gets a fresh random session id, so each JobManager start fences its Dispatcher and
ResourceManager with new ids and a call carrying the id of a previous incarnation is
refused (``FencingTokenException``).

Processes outside the JobManager learn the current session id from the unfenced
``leaderretrieval`` endpoint (``LeaderRetrievalEndpoint``, only reachable with a valid
CURVE key): ``RpcLeaderRetrieval`` (asyncio, TaskManagers) and ``SyncLeaderRetrieval``
(the CLI) ask for it before their first call and again after a call was refused as stale.
"""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from runtime.highavailability.leader_retrieval import RETRIEVAL_ENDPOINT
from runtime.rpc.endpoint import RpcEndpoint, rpc
from runtime.rpc.service import RpcService

#: Flink's HighAvailabilityServices.DEFAULT_LEADER_ID (UUID(0, 0)); no longer granted, kept
#: as the token of nothing (a client still sending it is refused as stale).
DEFAULT_LEADER_ID = str(uuid.UUID(int=0))

#: endpoint name -> election (component) name, for the endpoints fenced by a session id
_COMPONENTS = {"dispatcher": "dispatcher", "resourcemanager": "resource_manager"}


class LeaderContender(Protocol):
    async def grant_leadership(self, leader_session_id: str) -> None: ...

    async def revoke_leadership(self) -> None: ...


class LeaderElectionError(Exception):
    pass


def new_session_id() -> str:
    return str(uuid.uuid4())


class StandaloneLeaderElection:
    """Grants leadership immediately on ``start``, with a fresh random session id.
    Starting twice is a programming error."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.contender: LeaderContender | None = None
        self.leader_session_id: str | None = None
        self.confirmed_address: str | None = None

    async def start(self, contender: LeaderContender) -> None:
        if self.contender is not None:
            raise LeaderElectionError(f"leader election for {self.component} was already started")
        self.contender = contender
        self.leader_session_id = new_session_id()
        await contender.grant_leadership(self.leader_session_id)

    def confirm_leadership(self, session_id: str, address: str) -> None:
        if session_id == self.leader_session_id:
            self.confirmed_address = address

    def has_leadership(self, session_id: str) -> bool:
        return self.contender is not None and session_id == self.leader_session_id

    async def close(self) -> None:
        contender, self.contender = self.contender, None
        self.leader_session_id = None
        if contender is not None:
            await contender.revoke_leadership()


@dataclass(frozen=True)
class LeaderInfo:
    address: str
    session_id: str | None


class StandaloneLeaderRetrieval:
    """The leader is whatever address is configured; it is reported at once."""

    def __init__(self, address: str, session_id: str | None = None) -> None:
        self.info = LeaderInfo(address, session_id)

    async def start(self, listener: Callable[[LeaderInfo], Awaitable[None] | None]) -> None:
        result = listener(self.info)
        if result is not None:
            await result


class LeaderRetrievalEndpoint(RpcEndpoint):
    """Answers "what is the current session id of the Dispatcher / ResourceManager?"; not
    fenced (the asker does not know the id yet), reachable only by authenticated peers."""

    def __init__(self, rpc_service: RpcService, ha: StandaloneHaServices) -> None:
        super().__init__(rpc_service, RETRIEVAL_ENDPOINT)
        self.ha = ha

    @rpc
    def get_leader_session_id(self, target: str) -> str | None:
        component = _COMPONENTS.get(target)
        if component is None:
            raise ValueError(f"target: {target[:60]!r} is not fenced by a leader session id")
        election = self.ha.existing_election(component)
        return election.leader_session_id if election is not None else None


class RpcLeaderRetrieval:
    """Token source of an asyncio gateway (``RpcService.gateway(peer, target, token=...)``):
    the leader session id of ``target`` at ``peer``, asked for when not known and again
    after the gateway saw a call refused as stale."""

    def __init__(self, service: RpcService, peer: bytes | None, target: str) -> None:
        self.service = service
        self.peer = peer
        self.target = target
        self.token: str | None = None

    async def get(self, timeout: float | None = None) -> str | None:
        if self.token is None:
            self.token = await self.service.call(self.peer, RETRIEVAL_ENDPOINT, "get_leader_session_id",
                                                 self.target, timeout=timeout)
        return self.token

    def invalidate(self) -> None:
        self.token = None


class StandaloneHaServices:
    """Factory of the election/retrieval services of every JobManager component."""

    def __init__(self, jobmanager_address: str) -> None:
        self.jobmanager_address = jobmanager_address
        self._elections: dict[str, StandaloneLeaderElection] = {}
        self._retrieval_endpoint: LeaderRetrievalEndpoint | None = None

    async def start(self, rpc_service: RpcService) -> None:
        """Serve the current session ids to TaskManagers and clients."""
        endpoint = LeaderRetrievalEndpoint(rpc_service, self)
        await endpoint.start()
        self._retrieval_endpoint = endpoint

    def leader_election(self, component: str) -> StandaloneLeaderElection:
        election = self._elections.get(component)
        if election is None:
            election = self._elections[component] = StandaloneLeaderElection(component)
        return election

    def existing_election(self, component: str) -> StandaloneLeaderElection | None:
        return self._elections.get(component)

    def release(self, component: str) -> None:
        """Forget a finished component's election (one exists per job)."""
        self._elections.pop(component, None)

    def resource_manager_retrieval(self) -> StandaloneLeaderRetrieval:
        election = self._elections.get("resource_manager")
        return StandaloneLeaderRetrieval(self.jobmanager_address,
                                         election.leader_session_id if election is not None else None)

    async def close(self) -> None:
        for election in list(self._elections.values()):
            await election.close()
        self._elections.clear()
        endpoint, self._retrieval_endpoint = self._retrieval_endpoint, None
        if endpoint is not None:
            await endpoint.stop()
