"""JobManagerRunner: owns one job's JobMaster across leadership (Flink's
JobMasterServiceLeadershipRunner).

On start it joins the job's leader election, which in standalone mode grants at once; on
grant it checks the job result store (a job recorded as done is not run again) and only then
creates and starts the JobMaster. Its ``result`` future completes with the job's JobResult.
Others reach the JobMaster through ``gateway`` (its JobMasterGateway, fenced by its id).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from runtime.common.job import JobStatus
from runtime.highavailability.job_stores import FileJobResultStore
from runtime.highavailability.leader_election import StandaloneLeaderElection
from runtime.jobgraph.job_graph import JobGraph
from runtime.jobmaster.job_master import JobMaster
from runtime.jobmaster.job_master_gateway import JobMasterGateway
from runtime.messages.job_messages import JobResult, now_ms

log = logging.getLogger(__name__)


class JobManagerRunner:
    def __init__(self, job_graph: JobGraph, election: StandaloneLeaderElection, result_store: FileJobResultStore,
                 jobmaster_factory: Callable[[JobGraph, Callable[[JobResult], None]], JobMaster]) -> None:
        self.job_graph = job_graph
        self.job_id = job_graph.job_id
        self.election = election
        self.result_store = result_store
        self.jobmaster_factory = jobmaster_factory
        self.job_master: JobMaster | None = None
        self.gateway: Any = None
        self.result: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
        self.on_close: Callable[[], None] | None = None

    async def start(self) -> None:
        await self.election.start(self)

    async def grant_leadership(self, leader_session_id: str) -> None:
        if self.result_store.has(self.job_id):
            done = self.result_store.get(self.job_id) or JobResult(
                self.job_id, self.job_graph.name, JobStatus.FAILED, now_ms(), now_ms(),
                "the job's entry in the job result store is unreadable")
            log.info("job %s is already done according to the job result store; not running it again", self.job_id)
            if not self.result.done():
                self.result.set_result(done)
            return
        jm = self.jobmaster_factory(self.job_graph, self._on_terminal)
        self.job_master = jm
        self.gateway = jm.rpc_service.gateway(None, jm.name, jm.fencing_token, JobMasterGateway)
        self.election.confirm_leadership(leader_session_id, jm.name)
        await jm.start()

    async def revoke_leadership(self) -> None:
        jm = self.job_master
        if jm is not None:
            await jm.stop()

    def _on_terminal(self, result: JobResult) -> None:
        if not self.result.done():
            self.result.set_result(result)

    def has_unread_output(self) -> bool:
        """An attached client is still reading what the job printed."""
        return self.job_master is not None and self.job_master.output.unread_output()

    async def close(self) -> None:
        await self.election.close()
        if self.on_close is not None:
            self.on_close()
