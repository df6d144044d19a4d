"""JobManagerRunner: owns one job's JobMaster across leadership (seed 000).

On start it joins the job's leader election, which in standalone mode grants at once; on
grant it checks the job result store — a job recorded as done is not run again — and only
then creates and starts the JobMaster. Its ``result`` future completes with the job's
terminal result.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from runtime.highavailability.job_stores import FileJobResultStore
from runtime.highavailability.leader_election import StandaloneLeaderElection
from runtime.jobmaster.job_master import JobMaster

log = logging.getLogger(__name__)


class JobManagerRunner:
    def __init__(self, job_graph: dict[str, Any], election: StandaloneLeaderElection,
                 result_store: FileJobResultStore, jobmaster_factory: Callable[[dict, Callable], JobMaster]) -> None:
        self.job_graph = job_graph
        self.job_id: str = job_graph["job_id"]
        self.election = election
        self.result_store = result_store
        self.jobmaster_factory = jobmaster_factory
        self.job_master: JobMaster | None = None
        self.result: asyncio.Future = asyncio.get_running_loop().create_future()
        self.on_close: Callable[[], None] | None = None

    async def start(self) -> None:
        await self.election.start(self)

    async def grant_leadership(self, leader_session_id: str) -> None:
        if self.result_store.has(self.job_id):
            log.info("job %s is already done according to the job result store; not running it again", self.job_id)
            if not self.result.done():
                self.result.set_result(self.result_store.get(self.job_id))
            return
        jm = self.jobmaster_factory(self.job_graph, self._on_terminal)
        self.job_master = jm
        self.election.confirm_leadership(leader_session_id, jm.name)
        await jm.start()

    async def revoke_leadership(self) -> None:
        jm = self.job_master
        if jm is not None:
            await jm.stop()

    def _on_terminal(self, result: dict[str, Any]) -> None:
        if not self.result.done():
            self.result.set_result(result)

    async def close(self) -> None:
        await self.election.close()
        if self.on_close is not None:
            self.on_close()
