"""Dispatcher (Flink's): accepts, persists, runs, lists and cancels jobs; recovers them on start.

A submitted JobGraph is validated (refused with the offending field, never persisted when
malformed), then written to the job graph store (and its program archive to the blob store)
before the Dispatcher acknowledges it, so a JobManager restart runs it again. Each job gets a
JobManagerRunner; when it ends, its result goes to the job result store and the persisted
graph is removed. What finished jobs looked like (details, vertices, plan, exceptions, final
figures) is kept in the ExecutionGraphInfoStore (``jobstore.max-capacity``,
``jobstore.expiration-time``), across JobManager restarts.

A cancelled job never comes back: ``cancel_job`` and ``shutdown_cluster`` record the job as
CANCELED in the job result store and remove its graph *before* the tasks are asked to stop,
whatever they then do. Only a JobManager that goes away without being asked to end its jobs
(``jobmanager stop``, which suspends them, or a crash) leaves jobs to recover.

The Dispatcher reaches JobMasters and the ResourceManager only through their gateways.
What jobs printed on the TaskManagers (``pyflink logs``) and the TaskManagers' log files are
read through the ResourceManager, which forwards to each TaskManager; that works for
detached and finished jobs too, as long as the TaskManagers keep the files.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from runtime.blob.blob_server import BlobServer
from runtime.common.job import JobID, JobStatus
from runtime.dispatcher.dispatcher_gateway import NAME
from runtime.dispatcher.execution_graph_info_store import ExecutionGraphInfoStore, archive_of_result
from runtime.highavailability.job_stores import FileJobGraphStore, FileJobResultStore
from runtime.jobgraph.job_graph import JobGraph
from runtime.jobmaster.job_manager_runner import JobManagerRunner
from runtime.messages.archived_execution_graph import ArchivedExecutionGraph, ExecutionGraphInfo
from runtime.messages.checkpoint_stats import CheckpointStatistics
from runtime.messages.ids import ResourceID
from runtime.messages.job_messages import JobDetails, JobDetailsInfo, JobPollResult, JobResult, now_ms
from runtime.messages.log_messages import (
    MAX_CHUNK_BYTES,
    JobOutput,
    JobOutputChunk,
    JobOutputCursor,
    LogFileChunk,
    LogFileType,
    LogInfo,
)
from runtime.messages.taskmanager_messages import ClusterOverview, TaskManagerInfo
from runtime.rpc.endpoint import RpcEndpoint, rpc
from runtime.rpc.service import RpcService

log = logging.getLogger(__name__)


class TaskMetrics(Protocol):
    """What the Dispatcher reads of the REST endpoint's MetricStore: one subtask's latest
    metrics (its operators' as ``<operator name>.<metric>``)."""

    def task(self, job_id: str, vertex_id: str, subtask: int) -> dict[str, float]: ...


def sink_records(graph: ArchivedExecutionGraph, metrics: TaskMetrics) -> int | None:
    """Records the job's sinks have taken in: the last operator of every vertex that feeds
    no other vertex, summed over its subtasks (None while no subtask reported metrics)."""
    feeding = {e.source for e in graph.edges}
    total, known = 0, False
    for v in graph.vertices:
        if v.id in feeding or not v.operators:
            continue
        sink = v.operators[-1]
        for s in v.subtasks:
            value = metrics.task(str(graph.job_id), v.hex_id, s.subtask).get(f"{sink}.numRecordsIn")
            if value is not None:
                total, known = total + int(value), True
    return total if known else None

#: how long a finished job's JobMaster stays reachable for attached clients reading its tail
RETIRE_DELAY = 5.0


class JobNotFound(LookupError):
    pass


class Dispatcher(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, leader_session_id: str, graph_store: FileJobGraphStore,
                 result_store: FileJobResultStore, blob_server: BlobServer,
                 runner_factory: Callable[[JobGraph], JobManagerRunner],
                 resource_manager: Any, job_store: ExecutionGraphInfoStore,
                 on_shutdown: Callable[[], Any] | None = None, max_parallelism_cap: int = 32768,
                 metric_store: Callable[[], Awaitable[TaskMetrics]] | None = None) -> None:
        """``metric_store``: the REST endpoint's current MetricStore (None: no REST, no live figures)."""
        super().__init__(rpc_service, NAME)
        self.fencing_token = leader_session_id
        self.graph_store = graph_store
        self.result_store = result_store
        self.blob_server = blob_server
        self.runner_factory = runner_factory
        self.resource_manager = resource_manager
        self.job_store = job_store
        self.on_shutdown = on_shutdown
        self.max_parallelism_cap = max_parallelism_cap
        self.metric_store = metric_store
        self.runners: dict[JobID, JobManagerRunner] = {}
        self.submitted_at: dict[JobID, int] = {}
        self._persisting: dict[JobID, asyncio.Task] = {}
        self._ended: set[JobID] = set()   # cancelled for good (recorded in the result store)
        self._archived: set[JobID] = set()  # ended, and in the job store: listed from there

    async def on_start(self) -> None:
        await self._io(self.job_store.load)
        if not self.job_store.existed:
            # first start with a job store: what the job result store knows is all there is
            for result in sorted(await self._io(self.result_store.all), key=lambda r: r.end_time):
                await self.job_store.put(archive_of_result(result), result)
        await self._recover_jobs()

    async def on_stop(self) -> None:
        # let finished jobs reach the result store before the process goes away
        pending = [t for t in self._persisting.values() if not t.done()]
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
            log.info("recovering job %s (%s)", job_id, job_graph.name)
            await self._run_job(job_graph)

    async def _io(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    # ------------------------------------------------------------------ submission
    @rpc
    async def submit_job(self, job_graph: JobGraph, archive: bytes | None = None) -> JobID:
        job_graph.validate(self.max_parallelism_cap)
        job_id = job_graph.job_id
        if job_id in self.runners or job_id in self.job_store or self.result_store.has(job_id):
            raise ValueError(f"job {job_id} was already submitted")
        log.info("received job %s (%s): %d vertices, %d slots", job_id, job_graph.name, len(job_graph.vertices),
                 job_graph.slots_needed())
        if archive:
            await self._io(self.blob_server.put, str(job_id), archive)
        await self._io(self.graph_store.put, job_graph)
        await self._run_job(job_graph)
        return job_id

    async def _run_job(self, job_graph: JobGraph) -> None:
        job_id = job_graph.job_id
        runner = self.runner_factory(job_graph)
        self.runners[job_id] = runner
        self.submitted_at[job_id] = now_ms()

        def done(f: asyncio.Future, jid: JobID = job_id) -> None:
            self._persisting[jid] = self.run_async(self._job_done(jid, f), name="job-done")
        runner.result.add_done_callback(done)
        try:
            await runner.start()
        except Exception as exc:
            log.exception("could not start job %s", job_id)
            if not runner.result.done():
                start = self.submitted_at.get(job_id, now_ms())
                runner.result.set_result(JobResult(job_id, job_graph.name, JobStatus.FAILED, start, now_ms(),
                                                   f"JobMaster failed to start: {exc}"))

    async def _job_done(self, job_id: JobID, fut: asyncio.Future) -> None:
        result: JobResult = fut.result()
        runner = self.runners.get(job_id)
        cause = (result.failure or "").strip().splitlines()[:1]
        log.info("job %s (%s) ended %s after %d ms%s", job_id, result.name, result.state.name, result.duration,
                 f": {cause[0]}" if cause else "")
        await self._io(self.result_store.put, result)
        await self._io(self.graph_store.remove, job_id)
        await self._io(self.blob_server.remove, str(job_id))
        await self._archive(runner, result)
        self._archived.add(job_id)
        self._persisting.pop(job_id, None)
        self.submitted_at.pop(job_id, None)
        if runner is not None:
            # keep the JobMaster reachable for a moment so attached clients read the tail
            self.schedule(RETIRE_DELAY, lambda: self.run_async(self._retire(job_id, runner)))

    async def _retire(self, job_id: JobID, runner: JobManagerRunner, waited: float = RETIRE_DELAY) -> None:
        if runner.has_unread_output() and waited < 60.0:
            # an attached client is still reading the job's output: keep it available
            self.schedule(RETIRE_DELAY, lambda: self.run_async(self._retire(job_id, runner, waited + RETIRE_DELAY)))
            return
        if self.runners.get(job_id) is runner:
            del self.runners[job_id]
        self._ended.discard(job_id)
        self._archived.discard(job_id)
        await runner.revoke_leadership()
        await runner.close()

    async def _archive(self, runner: JobManagerRunner | None, result: JobResult) -> None:
        """Keep the ended job's final execution graph (from its JobMaster, which is still
        there: it retires later) in the job store."""
        info = None
        if runner is not None and runner.gateway is not None:
            try:
                info = await runner.gateway.request_execution_graph_info()
            except Exception as exc:  # the JobMaster is gone: keep what the result says
                log.warning("could not archive the execution graph of job %s: %s", result.job_id, exc)
        try:
            await self.job_store.put(info or archive_of_result(result), result)
        except OSError as exc:
            log.error("could not write job %s to the job store: %s", result.job_id, exc)

    # ------------------------------------------------------------------ queries
    def _listed_runners(self) -> list[JobID]:
        """Jobs known by their runner: running, or ended and not yet archived (also in the
        moment between the result and the callback that starts archiving it). A runner that
        waits to retire after its job was archived (and maybe already dropped from the job
        store again) no longer counts."""
        return [j for j in self.runners if j not in self._archived]

    def _resolve(self, prefix: str) -> JobID:
        text = str(prefix).strip().lower()
        if not text or len(text) > 32 or not re.fullmatch(r"[0-9a-f]+", text):
            raise JobNotFound(f"'{str(prefix)[:40]}' is not a job id (expected up to 32 hex digits)")
        ids = {str(j): j for j in self._listed_runners()}
        ids.update((str(r.job_id), r.job_id) for r in self.job_store.results())
        if text in ids:
            return ids[text]
        matches = sorted(j for j in ids if j.startswith(text))
        if not matches:
            raise JobNotFound(f"no job with id '{text}'")
        if len(matches) > 1:
            raise JobNotFound(f"job id prefix '{text}' is ambiguous: it matches {', '.join(matches)}")
        return ids[matches[0]]

    async def _details(self, job_id: JobID) -> JobDetails:
        runner = self.runners.get(job_id)
        archived = self.job_store.result(job_id)
        if archived is not None and (runner is None or runner.result.done()):
            return JobDetails.of(archived)
        if runner is not None and runner.result.done():
            return JobDetails.of(runner.result.result())
        if runner is not None and runner.gateway is not None:
            info = await runner.gateway.request_job_details()
            return info.details
        start = self.submitted_at.get(job_id, now_ms())
        return JobDetails(job_id, runner.job_graph.name if runner else "", JobStatus.INITIALIZING, start)

    @rpc
    async def list_jobs(self) -> list[JobDetails]:
        await self.job_store.expire()
        ids = [r.job_id for r in self.job_store.results()]
        ids += [j for j in self._listed_runners() if j not in self.job_store]
        return [await self._details(j) for j in ids]

    @rpc
    def resolve_job_id(self, prefix: str) -> JobID:
        return self._resolve(prefix)

    @rpc
    async def request_job(self, job_id: str) -> JobDetailsInfo:
        jid = self._resolve(job_id)
        runner = self.runners.get(jid)
        if runner is not None and runner.gateway is not None:
            return await runner.gateway.request_job_details()
        result = self.job_store.result(jid)
        if result is not None:
            return JobDetailsInfo(JobDetails.of(result), result.failure)
        return JobDetailsInfo(await self._details(jid))

    @rpc
    async def request_execution_graph_info(self, job_id: str) -> ExecutionGraphInfo:
        """The job as REST ``/jobs/:id`` and its sub-resources show it: from its JobMaster
        while it runs, from the job store once it ended (Flink's ``requestExecutionGraphInfo``)."""
        jid = self._resolve(job_id)
        runner = self.runners.get(jid)
        if runner is not None and runner.gateway is not None:
            try:
                return await runner.gateway.request_execution_graph_info()
            except Exception:  # noqa: BLE001 - the JobMaster just retired: the store has the job
                if jid not in self.job_store:
                    raise
        info = await self.job_store.get(jid)
        if info is not None:
            return info
        start = self.submitted_at.get(jid, now_ms())
        name = runner.job_graph.name if runner is not None else ""
        return ExecutionGraphInfo(ArchivedExecutionGraph(jid, name, JobStatus.INITIALIZING,
                                                         {JobStatus.INITIALIZING: start}, start))

    async def _end_for_good(self, runner: JobManagerRunner, reason: str) -> None:
        """Record the job as CANCELED and drop its graph before anything else happens, so
        that no later JobManager runs it again, whatever its tasks do next."""
        job_id = runner.job_id
        if job_id in self._ended or runner.result.done():
            return
        self._ended.add(job_id)
        start = self.submitted_at.get(job_id, now_ms())
        cancelled = JobResult(job_id, runner.job_graph.name, JobStatus.CANCELED, start, now_ms())
        await self._io(self.result_store.put, cancelled)
        await self._io(self.graph_store.remove, job_id)
        # listed even if this JobManager dies before the job's end is archived
        await self.job_store.put(archive_of_result(cancelled), cancelled)
        log.info("job %s (%s) is being cancelled (%s)", job_id, runner.job_graph.name, reason)

    @rpc
    async def cancel_job(self, job_id: str) -> JobDetails:
        jid = self._resolve(job_id)
        runner = self.runners.get(jid)
        if runner is None or runner.result.done():
            state = (await self._details(jid)).state
            raise ValueError(f"job {jid} is not running (state {state.name}); nothing to cancel")
        await self._end_for_good(runner, "cancel requested by a client")
        if runner.gateway is not None:
            # the cancel calls to the TaskManagers take their time; the caller polls the state
            self.run_async(runner.gateway.cancel(), name="cancel-job")
            await asyncio.sleep(0)
        return await self._details(jid)

    @rpc
    async def poll_job(self, job_id: str, offset: int = 0, collect_offset: int = 0, timeout: float = 1.0,
                       ack: int | None = None) -> JobPollResult:
        jid = self._resolve(job_id)
        runner = self.runners.get(jid)
        timeout = max(0.0, min(float(timeout), 30.0))
        if runner is None or runner.gateway is None:
            if runner is not None and not runner.result.done():
                await asyncio.sleep(min(timeout, 0.05))
                return JobPollResult(JobStatus.INITIALIZING, offset=offset, collect_offset=collect_offset)
            result = self.job_store.result(jid) or (runner.result.result() if runner else None)
            return JobPollResult(result.state if result else JobStatus.INITIALIZING, offset=offset,
                                 collect_offset=collect_offset, result=result)
        reply = await runner.gateway.poll(offset, collect_offset, timeout, ack)
        if reply.result is not None:
            # a client sees a job as ended only once its result is in the job result store
            persisting = self._persisting.get(jid)
            if persisting is not None and not persisting.done():
                await asyncio.wait([persisting], timeout=5.0)
            elif persisting is None and jid not in self.job_store:
                reply.result = None  # terminal, but the Dispatcher has not picked it up yet
        return reply

    # ------------------------------------------------------------------ savepoints
    def _running_job_master(self, job_id: str) -> tuple[JobID, Any]:
        jid = self._resolve(job_id)
        runner = self.runners.get(jid)
        if runner is None or runner.result.done() or runner.gateway is None:
            raise ValueError(f"job {jid} is not running; savepoints are taken of running jobs")
        return jid, runner.gateway

    @rpc
    async def trigger_savepoint(self, job_id: str, target_directory: str | None = None) -> str:
        jid, jm = self._running_job_master(job_id)
        log.info("triggering a savepoint of job %s", jid)
        return await jm.trigger_savepoint(target_directory, False, False, timeout=3600.0)

    @rpc
    async def stop_with_savepoint(self, job_id: str, target_directory: str | None = None, drain: bool = False) -> str:
        jid, jm = self._running_job_master(job_id)
        log.info("stopping job %s with a savepoint%s", jid, " (drain)" if drain else "")
        path = await jm.trigger_savepoint(target_directory, True, drain, timeout=3600.0)
        runner = self.runners.get(jid)
        if runner is not None:
            # the job finishes once its tasks have ended after the savepoint
            try:
                await asyncio.wait_for(asyncio.shield(runner.result), 60.0)
            except asyncio.TimeoutError:
                log.warning("job %s did not finish within 60 s after its stop-with-savepoint", jid)
        return path

    @rpc
    async def request_checkpoint_stats(self, job_id: str) -> CheckpointStatistics:
        jid = self._resolve(job_id)
        runner = self.runners.get(jid)
        if runner is not None and runner.gateway is not None:
            return await runner.gateway.request_checkpoint_stats()
        info = await self.job_store.get(jid)
        return info.archived_execution_graph.checkpoint_stats if info is not None else CheckpointStatistics()

    @rpc
    async def cluster_overview(self) -> ClusterOverview:
        resources = await self.resource_manager.request_resource_overview()
        ids = {*self._listed_runners(), *(r.job_id for r in self.job_store.results())}
        states = [(await self._details(j)).state for j in ids]
        return ClusterOverview(
            taskmanagers=resources.taskmanagers, slots_total=resources.slots_total,
            slots_available=resources.slots_available,
            jobs_running=sum(1 for s in states if not s.is_globally_terminal_state()),
            jobs_finished=states.count(JobStatus.FINISHED), jobs_cancelled=states.count(JobStatus.CANCELED),
            jobs_failed=states.count(JobStatus.FAILED))

    @rpc
    async def list_task_managers(self) -> list[TaskManagerInfo]:
        return await self.resource_manager.request_task_manager_info()

    @rpc
    async def shutdown_cluster(self) -> list[JobID]:
        """End every job for good (recorded first), cancel them, then stop the cluster."""
        running = [r for r in self.runners.values() if not r.result.done()]
        if running:
            log.info("shutting the cluster down: cancelling %d running job(s)", len(running))
        for runner in running:
            await self._end_for_good(runner, "the cluster shuts down")
        for runner in running:
            if runner.gateway is not None:
                self.run_async(runner.gateway.cancel(), name="cancel-job")
        waits = [asyncio.shield(r.result) for r in running]
        if waits:
            await asyncio.wait(waits, timeout=3.0)
        if self.on_shutdown is not None:
            self.run_async(self._delayed_shutdown())
        return [r.job_id for r in running]

    # ------------------------------------------------------------------ job output and TaskManager logs
    @rpc
    async def request_job_output(self, job_id: str, cursor: JobOutputCursor,
                                 max_bytes: int = MAX_CHUNK_BYTES) -> JobOutput:
        """What the job printed on every TaskManager that holds some of it, from ``cursor``.

        The state is read first: once it is terminal, every task has written its output
        (tasks write before they report their end), so a reader that sees ``finished`` has
        seen everything."""
        jid = self._resolve(job_id)
        state = (await self._details(jid)).state
        max_bytes = max(1, min(int(max_bytes), MAX_CHUNK_BYTES))
        tms = await self.resource_manager.request_task_manager_info()

        async def read(resource_id: ResourceID) -> JobOutputChunk | None:
            try:
                return await self.resource_manager.request_task_manager_job_output(
                    resource_id, jid, cursor.offsets.get(str(resource_id), 0), max_bytes, timeout=15.0)
            except Exception as exc:  # a TaskManager going away meanwhile: read the others
                log.debug("reading the output of job %s on %s failed: %s", jid, resource_id, exc)
                return None
        chunks = await asyncio.gather(*(read(tm.id) for tm in tms))
        return JobOutput(jid, state, [c for c in chunks if c is not None and c.found])

    @rpc
    async def request_sink_records(self, job_id: str) -> int | None:
        """Records the job's sinks have taken in so far, from the metrics the REST endpoint
        fetches (an attached run's live status); None while unknown."""
        if self.metric_store is None:
            return None
        info = await self.request_execution_graph_info(job_id)
        return sink_records(info.archived_execution_graph, await self.metric_store())

    @staticmethod
    def _resource_id(taskmanager_id: str) -> ResourceID:
        try:
            return ResourceID(taskmanager_id)
        except ValueError:
            raise LookupError(f"Could not find TaskManager {taskmanager_id[:140]}") from None

    @rpc
    async def request_task_manager_log_list(self, taskmanager_id: str) -> list[LogInfo]:
        return await self.resource_manager.request_task_manager_log_list(self._resource_id(taskmanager_id),
                                                                         timeout=15.0)

    @rpc
    async def request_task_manager_log_file(self, taskmanager_id: str, file_type: LogFileType, name: str,
                                            offset: int, max_bytes: int) -> LogFileChunk:
        return await self.resource_manager.request_task_manager_log_file(
            self._resource_id(taskmanager_id), file_type, name, offset, max_bytes, timeout=35.0)

    async def _delayed_shutdown(self) -> None:
        await asyncio.sleep(0.01)  # reply first, then tear down
        assert self.on_shutdown is not None
        result = self.on_shutdown()
        if asyncio.iscoroutine(result):
            await result

    async def suspend_jobs(self) -> None:
        """The JobManager goes away without ending its jobs (``jobmanager stop``): they are
        suspended, stay in the job graph store, and the next JobManager runs them again."""
        for runner in list(self.runners.values()):
            if runner.gateway is not None and not runner.result.done():
                await runner.gateway.suspend()


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
