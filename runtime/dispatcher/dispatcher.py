"""Dispatcher: accepts, persists, runs, lists and cancels jobs; recovers them on start.

A submitted JobGraph is written to the job graph store (and its program archive to the blob
store) before the Dispatcher acknowledges it, so a JobManager restart can run it again. Each
job gets a JobManagerRunner; when it ends, its result goes to the job result store and the
persisted graph is removed. Finished jobs stay listed (``jobstore.max-capacity``).
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from runtime.blob.blob_server import BlobServer
from runtime.common.job import JobStatus
from runtime.highavailability.job_stores import FileJobGraphStore, FileJobResultStore
from runtime.jobmaster.job_manager_runner import JobManagerRunner
from runtime.rpc.endpoint import RpcEndpoint, rpc
from runtime.rpc.service import RpcService

log = logging.getLogger(__name__)

NAME = "dispatcher"
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


class JobNotFound(LookupError):
    pass


class Dispatcher(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, leader_session_id: str, graph_store: FileJobGraphStore,
                 result_store: FileJobResultStore, blob_server: BlobServer,
                 runner_factory: Callable[[dict[str, Any]], JobManagerRunner],
                 resource_manager: Callable[[], Any], max_archived: int = 1000,
                 on_shutdown: Callable[[], Any] | None = None) -> None:
        super().__init__(rpc_service, NAME)
        self.fencing_token = leader_session_id
        self.graph_store = graph_store
        self.result_store = result_store
        self.blob_server = blob_server
        self.runner_factory = runner_factory
        self.resource_manager = resource_manager
        self.max_archived = max_archived
        self.on_shutdown = on_shutdown
        self.runners: dict[str, JobManagerRunner] = {}
        self.archived: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.submitted_at: dict[str, int] = {}
        self._cleanups: set[asyncio.Task] = set()
        self._persisting: dict[str, asyncio.Task] = {}

    async def on_start(self) -> None:
        for result in sorted(self.result_store.all(), key=lambda r: r.get("start-time", 0)):
            self._archive(result)
        await self._recover_jobs()

    async def on_stop(self) -> None:
        # let finished jobs reach the result store before the process goes away
        pending = [t for t in self._cleanups if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)

    async def _recover_jobs(self) -> None:
        for job_id in self.graph_store.job_ids():
            if self.result_store.has(job_id):
                self.graph_store.remove(job_id)
                continue
            job_graph = self.graph_store.get(job_id)
            if job_graph is None:
                continue
            log.info("recovering job %s (%s)", job_id, job_graph.get("name"))
            await self._run_job(job_graph)

    # ------------------------------------------------------------------ submission
    @rpc
    async def submit_job(self, job_graph: dict, archive: bytes | None = None) -> str:
        job_id = str(job_graph.get("job_id", ""))
        if not _JOB_ID.match(job_id):
            raise ValueError(f"invalid job id {job_id!r}")
        if job_id in self.runners or job_id in self.archived:
            raise ValueError(f"job {job_id} was already submitted")
        if not isinstance(job_graph.get("vertices"), list) or not job_graph["vertices"]:
            raise ValueError("the job graph has no vertices")
        loop = asyncio.get_running_loop()
        if archive:
            await loop.run_in_executor(None, self.blob_server.put, job_id, archive)
        await loop.run_in_executor(None, self.graph_store.put, job_id, job_graph)
        await self._run_job(job_graph)
        return job_id

    async def _run_job(self, job_graph: dict[str, Any]) -> None:
        job_id = job_graph["job_id"]
        runner = self.runner_factory(job_graph)
        self.runners[job_id] = runner
        self.submitted_at[job_id] = int(time.time() * 1000)

        def done(f: asyncio.Future, jid: str = job_id) -> None:
            task = self.run_async(self._job_done(jid, f), name="job-done")
            self._cleanups.add(task)
            self._persisting[jid] = task
        runner.result.add_done_callback(done)
        try:
            await runner.start()
        except Exception as exc:
            log.exception("could not start job %s", job_id)
            if not runner.result.done():
                runner.result.set_result(self._failed_result(job_graph, f"JobMaster failed to start: {exc}"))

    def _failed_result(self, job_graph: dict, cause: str) -> dict[str, Any]:
        now = int(time.time() * 1000)
        start = self.submitted_at.get(job_graph["job_id"], now)
        return {"jid": job_graph["job_id"], "name": job_graph.get("name", ""), "state": "FAILED",
                "start-time": start, "end-time": now, "duration": now - start, "failure": cause}

    async def _job_done(self, job_id: str, fut: asyncio.Future) -> None:
        result = fut.result()
        runner = self.runners.get(job_id)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.result_store.put, result)
        await loop.run_in_executor(None, self.graph_store.remove, job_id)
        await loop.run_in_executor(None, self.blob_server.remove, job_id)
        self._archive(result)
        self._persisting.pop(job_id, None)
        self.submitted_at.pop(job_id, None)
        if runner is not None:
            # keep the JobMaster reachable for a moment so attached clients read the tail
            self.schedule(5.0, lambda: self.run_async(self._retire(job_id, runner)))

    async def _retire(self, job_id: str, runner: JobManagerRunner, waited: float = 5.0) -> None:
        jm = runner.job_master
        if jm is not None and jm.read_offset and jm.output.has_more(jm.read_offset) and waited < 60.0:
            # an attached client is still reading the job's output: keep it available
            self.schedule(5.0, lambda: self.run_async(self._retire(job_id, runner, waited + 5.0)))
            return
        if self.runners.get(job_id) is runner:
            del self.runners[job_id]
        if runner.job_master is not None:
            await runner.job_master.stop()
        await runner.close()

    def _archive(self, result: dict[str, Any]) -> None:
        self.archived[result["jid"]] = result
        self.archived.move_to_end(result["jid"])
        while len(self.archived) > self.max_archived:
            self.archived.popitem(last=False)

    # ------------------------------------------------------------------ queries
    def _resolve(self, prefix: str) -> str:
        prefix = str(prefix).strip().lower()
        if not prefix or not re.match(r"^[0-9a-f]+$", prefix):
            raise JobNotFound(f"'{prefix}' is not a job id (expected hex digits)")
        ids = set(self.runners) | set(self.archived)
        if prefix in ids:
            return prefix
        matches = sorted(j for j in ids if j.startswith(prefix))
        if not matches:
            raise JobNotFound(f"no job with id '{prefix}'")
        if len(matches) > 1:
            raise JobNotFound(f"job id prefix '{prefix}' is ambiguous: it matches {', '.join(matches)}")
        return matches[0]

    def _overview(self, job_id: str) -> dict[str, Any]:
        runner = self.runners.get(job_id)
        if runner is not None and runner.job_master is not None and not runner.result.done():
            r = runner.job_master.result()
        elif job_id in self.archived:
            r = self.archived[job_id]
        elif runner is not None and runner.result.done():
            r = runner.result.result()
        else:
            start = self.submitted_at.get(job_id, int(time.time() * 1000))
            r = {"jid": job_id, "name": runner.job_graph.get("name", "") if runner else "",
                 "state": JobStatus.INITIALIZING.name, "start-time": start, "end-time": -1,
                 "duration": int(time.time() * 1000) - start}
        return {k: r.get(k) for k in ("jid", "name", "state", "start-time", "end-time", "duration")}

    @rpc
    def list_jobs(self) -> list[dict[str, Any]]:
        ids = list(self.archived) + [j for j in self.runners if j not in self.archived]
        return [self._overview(j) for j in ids]

    @rpc
    def resolve_job_id(self, prefix: str) -> str:
        return self._resolve(prefix)

    @rpc
    def request_job(self, job_id: str) -> dict[str, Any]:
        job_id = self._resolve(job_id)
        runner = self.runners.get(job_id)
        if runner is not None and runner.job_master is not None:
            return runner.job_master.details()
        if job_id in self.archived:
            return dict(self.archived[job_id])
        return self._overview(job_id)

    @rpc
    async def cancel_job(self, job_id: str) -> dict[str, Any]:
        job_id = self._resolve(job_id)
        runner = self.runners.get(job_id)
        if runner is None or runner.result.done():
            state = self._overview(job_id)["state"]
            raise ValueError(f"job {job_id} is not running (state {state}); nothing to cancel")
        if runner.job_master is not None:
            await runner.job_master.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(runner.result), 10.0)
        except asyncio.TimeoutError:
            pass
        return self._overview(job_id)

    @rpc
    async def poll_job(self, job_id: str, offset: int = 0, collect_offset: int = 0, timeout: float = 1.0,
                       ack: int | None = None) -> dict[str, Any]:
        job_id = self._resolve(job_id)
        runner = self.runners.get(job_id)
        timeout = max(0.0, min(float(timeout), 30.0))
        if runner is None or runner.job_master is None:
            if runner is not None and not runner.result.done():
                await asyncio.sleep(min(timeout, 0.05))
                return {"status": JobStatus.INITIALIZING.name, "output": "", "offset": offset, "collected": [],
                        "collect_offset": collect_offset, "result": None}
            result = self.archived.get(job_id) or (runner.result.result() if runner else None)
            return {"status": result["state"] if result else "UNKNOWN", "output": "", "offset": offset,
                    "collected": [], "collect_offset": collect_offset, "result": result}
        jm = runner.job_master
        if ack is not None:
            jm.ack_collected(int(ack))
        reply = await jm.poll(int(offset), int(collect_offset), timeout)
        if reply.get("result") is not None:
            # a client sees a job as ended only once its result is in the job result store
            persisting = self._persisting.get(job_id)
            if persisting is not None and not persisting.done():
                await asyncio.wait([persisting], timeout=5.0)
            elif persisting is None and job_id not in self.archived:
                reply["result"] = None  # terminal, but the Dispatcher has not picked it up yet
        return reply

    @rpc
    def cluster_overview(self) -> dict[str, Any]:
        rm = self.resource_manager()
        states = [self._overview(j)["state"] for j in set(self.runners) | set(self.archived)]
        running = sum(1 for s in states if s not in ("FINISHED", "CANCELED", "FAILED"))
        return {
            "taskmanagers": len(rm.workers) if rm else 0,
            "slots-total": rm.total_slots() if rm else 0,
            "slots-available": rm.available_slots() if rm else 0,
            "jobs-running": running,
            "jobs-finished": states.count("FINISHED"),
            "jobs-cancelled": states.count("CANCELED"),
            "jobs-failed": states.count("FAILED"),
            "flink-version": "pyflink-0.1",
        }

    @rpc
    def list_task_managers(self) -> list[dict[str, Any]]:
        rm = self.resource_manager()
        return rm.list_task_managers() if rm else []

    @rpc
    async def shutdown_cluster(self) -> dict[str, Any]:
        """Cancel running jobs, then ask the entrypoint to stop everything."""
        cancelled = []
        for job_id, runner in list(self.runners.items()):
            if runner.job_master is not None and not runner.result.done():
                await runner.job_master.cancel()
                cancelled.append(job_id)
        waits = [asyncio.shield(r.result) for r in self.runners.values() if not r.result.done()]
        if waits:
            await asyncio.wait(waits, timeout=5.0)
        # let result files be written
        await asyncio.sleep(0)
        if self.on_shutdown is not None:
            self.run_async(self._delayed_shutdown())
        return {"cancelled": cancelled}

    async def _delayed_shutdown(self) -> None:
        await asyncio.sleep(0.01)  # reply first, then tear down
        result = self.on_shutdown()
        if asyncio.iscoroutine(result):
            await result

    async def suspend_jobs(self) -> None:
        """JobManager shutdown without `cluster stop`: running jobs are suspended, not ended;
        they stay in the job graph store and the next JobManager runs them again."""
        for runner in list(self.runners.values()):
            if runner.job_master is not None and not runner.result.done():
                await runner.job_master.suspend()

    async def task_manager_lost(self, resource_id: str, cause: str) -> None:
        for runner in list(self.runners.values()):
            if runner.job_master is not None:
                await runner.job_master.task_manager_lost(resource_id, cause)


class DispatcherRunner:
    """Leader contender that creates the Dispatcher once leadership is granted."""

    def __init__(self, factory: Callable[[str], Dispatcher]) -> None:
        self.factory = factory
        self.dispatcher: Dispatcher | None = None

    async def grant_leadership(self, leader_session_id: str) -> None:
        d = self.factory(leader_session_id)
        self.dispatcher = d
        await d.start()

    async def revoke_leadership(self) -> None:
        d, self.dispatcher = self.dispatcher, None
        if d is not None:
            await d.stop()
