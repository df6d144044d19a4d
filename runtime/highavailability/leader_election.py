"""Standalone leader election and retrieval.

In standalone mode there is exactly one JobManager, so election is a formality: a contender
is granted leadership at once with the well-known default session id. The components still go
through it, so that "become leader → create the component → fence its RPCs with the session
id" is the one code path, as in Flink.
"""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

#: Flink's HighAvailabilityServices.DEFAULT_LEADER_ID (UUID(0, 0)).
DEFAULT_LEADER_ID = str(uuid.UUID(int=0))


class LeaderContender(Protocol):
    async def grant_leadership(self, leader_session_id: str) -> None: ...

    async def revoke_leadership(self) -> None: ...


class LeaderElectionError(Exception):
    pass


class StandaloneLeaderElection:
    """Grants leadership immediately on ``start``. Starting twice is a programming error."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.contender: LeaderContender | None = None
        self.leader_session_id: str | None = None
        self.confirmed_address: str | None = None

    async def start(self, contender: LeaderContender) -> None:
        if self.contender is not None:
            raise LeaderElectionError(f"leader election for {self.component} was already started")
        self.contender = contender
        self.leader_session_id = DEFAULT_LEADER_ID
        await contender.grant_leadership(DEFAULT_LEADER_ID)

    def confirm_leadership(self, session_id: str, address: str) -> None:
        if session_id == self.leader_session_id:
            self.confirmed_address = address

    def has_leadership(self, session_id: str) -> bool:
        return self.contender is not None and session_id == self.leader_session_id

    async def close(self) -> None:
        contender, self.contender = self.contender, None
        if contender is not None:
            await contender.revoke_leadership()


@dataclass(frozen=True)
class LeaderInfo:
    address: str
    session_id: str


class StandaloneLeaderRetrieval:
    """The leader is whatever address is configured; it is reported at once."""

    def __init__(self, address: str, session_id: str = DEFAULT_LEADER_ID) -> None:
        self.info = LeaderInfo(address, session_id)

    async def start(self, listener: Callable[[LeaderInfo], Awaitable[None] | None]) -> None:
        result = listener(self.info)
        if result is not None:
            await result


class StandaloneHaServices:
    """Factory of the election/retrieval services of every JobManager component."""

    def __init__(self, jobmanager_address: str) -> None:
        self.jobmanager_address = jobmanager_address
        self._elections: dict[str, StandaloneLeaderElection] = {}

    def leader_election(self, component: str) -> StandaloneLeaderElection:
        election = self._elections.get(component)
        if election is None:
            election = self._elections[component] = StandaloneLeaderElection(component)
        return election

    def release(self, component: str) -> None:
        """Forget a finished component's election (one exists per job)."""
        self._elections.pop(component, None)

    def resource_manager_retrieval(self) -> StandaloneLeaderRetrieval:
        return StandaloneLeaderRetrieval(self.jobmanager_address)

    async def close(self) -> None:
        for election in list(self._elections.values()):
            await election.close()
        self._elections.clear()
