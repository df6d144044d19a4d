"""JobMaster (Flink's): one job's RPC face, its slots, its TaskManager heartbeats and its
checkpoints.

It declares the job's slot requirement to the ResourceManager, accepts the slots
TaskManagers offer, and hands them to its scheduler (``runtime.scheduler``), which deploys
the tasks, derives the job's status and restarts it after failures. Its CheckpointCoordinator
takes checkpoints and savepoints; the state a (re)started job begins from is the latest
completed checkpoint (kept in the completed checkpoint store, so it survives a JobManager
crash), else the savepoint the job was submitted with (``execution.savepoint.path``, i.e.
``pyflink run -s``). Printed output and collected results go through its JobOutputService.
It is fenced with its own JobMasterId, new for every JobMaster, so a TaskManager still
talking to a previous incarnation of the job is refused.
"""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from runtime.checkpoint.checkpoint_config import CheckpointCoordinatorConfiguration, job_configuration
from runtime.checkpoint.checkpoint_coordinator import CheckpointCoordinator, CheckpointDeclinedError
from runtime.checkpoint.completed_checkpoint_store import FileCompletedCheckpointStore
from runtime.checkpoint.state_assignment import StateAssignmentError, assign_state
from runtime.common.job import ExecutionState, JobStatus
from runtime.configuration import options as opts
from runtime.configuration.configuration import Configuration
from runtime.deployment.task_deployment_descriptor import JobMasterAddress
from runtime.heartbeat.heartbeat_manager import HeartbeatManager
from runtime.jobgraph.job_graph import JobGraph
from runtime.jobmaster.job_master_gateway import jobmaster_name
from runtime.jobmaster.job_output_service import JobOutputService
from runtime.jobmaster.slot_pool import AllocatedSlot, SlotPool
from runtime.messages.archived_execution_graph import ExecutionGraphInfo
from runtime.messages.checkpoint_messages import CheckpointAck, CheckpointMetadata, CheckpointType, TaskRestore
from runtime.messages.checkpoint_stats import CheckpointStatistics
from runtime.messages.codec import MessageError, from_wire
from runtime.messages.ids import AllocationID, ExecutionAttemptID, JobMasterId, ResourceID
from runtime.messages.job_messages import JobDetailsInfo, JobPollResult, JobResult
from runtime.messages.taskmanager_messages import SlotOffer, TaskExecutionState
from runtime.metrics.metric_dump import MetricScope, MetricScopeKind
from runtime.metrics.metric_group import MetricGroup
from runtime.metrics.metric_registry import MetricRegistry
from runtime.rpc.endpoint import RpcEndpoint, current_sender, rpc
from runtime.rpc.service import RpcService
from runtime.scheduler.archived_execution_graph_factory import create_from
from runtime.scheduler.default_scheduler import DefaultScheduler, SlotAssignment
from runtime.scheduler.restart_backoff_time_strategy import create_restart_strategy
from runtime.state.checkpoint_storage import CheckpointStorage
from runtime.taskexecutor.task_executor_gateway import NAME as TASK_EXECUTOR, TaskExecutorGateway

log = logging.getLogger(__name__)

TerminalListener = Callable[[JobResult], "Awaitable[None] | None"]



class JobMaster(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, job_graph: JobGraph, resource_manager: Any,
                 slot_request_timeout: float, heartbeat_interval: float, heartbeat_timeout: float,
                 on_terminal: TerminalListener, cancellation_timeout: float = 0.0,
                 cluster_config: Configuration | None = None, metric_registry: MetricRegistry | None = None) -> None:
        super().__init__(rpc_service, jobmaster_name(job_graph.job_id))
        self.metric_registry = metric_registry
        self.metric_group: MetricGroup | None = None
        #: monotonic time the job switched to RUNNING (uptime) / to a failure or restart (downtime)
        self._running_since: float | None = None
        self._down_since: float | None = None
        self.jobmaster_id = JobMasterId.generate()
        self.fencing_token = str(self.jobmaster_id)
        self.address = JobMasterAddress(self.name, self.jobmaster_id)
        self.job_graph = job_graph
        self.job_id = job_graph.job_id
        self.job_name = job_graph.name
        self.resource_manager = resource_manager
        self.slot_request_timeout = slot_request_timeout
        self.on_terminal = on_terminal
        self.config = job_configuration(cluster_config or Configuration(), job_graph.config)
        self.scheduler = DefaultScheduler(job_graph, self.address, self._on_status, self._on_scheduler_terminal,
                                          self.run_async, cancellation_timeout, self._on_stuck_task,
                                          create_restart_strategy(self.config), self._on_restart,
                                          self.config.get(opts.WEB_EXCEPTION_HISTORY_SIZE))
        self.slot_pool = SlotPool(job_graph.slots_needed())
        self.heartbeats = HeartbeatManager(heartbeat_interval, heartbeat_timeout, lambda rid, p: None,
                                           self._on_heartbeat_timeout)
        self.output = JobOutputService(lambda: self.scheduler.status, lambda: self.result)
        self.result: JobResult | None = None
        self._slot_round = 0
        self.checkpoint_config = CheckpointCoordinatorConfiguration.from_configuration(self.config)
        storage_dir = Path(self.config.get(opts.HIGH_AVAILABILITY_STORAGE_DIR)).expanduser()
        self.checkpoint_store = FileCompletedCheckpointStore(storage_dir, self.job_id,
                                                             self.checkpoint_config.num_retained)
        self.checkpoints = CheckpointCoordinator(job_graph, self.checkpoint_config, self.checkpoint_store,
                                                 self.scheduler.checkpoint_plan, self.run_async,
                                                 self._on_checkpoint_failure)

    @property
    def status(self) -> JobStatus:
        return self.scheduler.status

    # ------------------------------------------------------------------ lifecycle
    async def on_start(self) -> None:
        self._register_metrics()
        self.heartbeats.start()
        try:
            self.scheduler.restores = await self._load_restore(initial=True)
        except StateAssignmentError as exc:
            self.scheduler.start_scheduling()
            await self.scheduler.fail(f"cannot restore the job's state: {exc}")
            return
        self.scheduler.start_scheduling()
        log.info("job %s (%s): requesting %d slot(s) from the ResourceManager (slot.request.timeout %g s)",
                 self.job_id, self.job_name, self.slot_pool.needed, self.slot_request_timeout)
        await self.resource_manager.declare_resource_requirements(self.job_id, self.address, self.slot_pool.needed)
        self._start_slot_timeout()

    async def on_stop(self) -> None:
        self.checkpoints.stop("the JobMaster stops")
        self.heartbeats.stop()
        if self.metric_group is not None:
            self.metric_group.close()

    def _register_metrics(self) -> None:
        """The job's metrics on the JobManager (Flink's JobManagerJobMetricGroup): uptime,
        restarts and the checkpoint figures, under Flink's names."""
        if self.metric_registry is None:
            return
        g = self.metric_group = self.metric_registry.group(MetricScope(
            MetricScopeKind.JOBMANAGER_JOB, host=socket.gethostname(), job_id=str(self.job_id), job_name=self.job_name))
        g.gauge("uptime", self._uptime)
        g.gauge("downtime", self._downtime)
        g.gauge("numRestarts", lambda: self.scheduler.num_restarts)
        g.gauge("fullRestarts", lambda: self.scheduler.num_restarts)
        stats = lambda: self.checkpoints.stats  # noqa: E731 - read at each sample
        g.gauge("totalNumberOfCheckpoints", lambda: stats().total)
        g.gauge("numberOfInProgressCheckpoints", lambda: stats().in_progress)
        g.gauge("numberOfCompletedCheckpoints", lambda: stats().completed)
        g.gauge("numberOfFailedCheckpoints", lambda: stats().failed)
        g.gauge("lastCheckpointSize", lambda: _last(stats(), "state_size"))
        g.gauge("lastCheckpointFullSize", lambda: _last(stats(), "state_size"))
        g.gauge("lastCheckpointDuration", lambda: _last(stats(), "end_to_end_duration"))
        g.gauge("lastCompletedCheckpointId", lambda: _last(stats(), "id"))
        g.gauge("lastCheckpointRestoreTimestamp", lambda: stats().restore_timestamp or -1)

    def _uptime(self) -> int:
        """Milliseconds since the job last switched to RUNNING (Flink: 0 while not running,
        -1 once it has ended)."""
        if self.scheduler.status.is_globally_terminal_state():
            return -1
        since = self._running_since
        return int((time.monotonic() - since) * 1000) if since is not None else 0

    def _downtime(self) -> int:
        if self.scheduler.status.is_globally_terminal_state():
            return -1
        since = self._down_since
        return int((time.monotonic() - since) * 1000) if since is not None else 0

    def _on_status(self, status: JobStatus, cause: str | None) -> None:
        self._running_since = time.monotonic() if status is JobStatus.RUNNING else None
        if status in (JobStatus.FAILING, JobStatus.RESTARTING):
            self._down_since = self._down_since or time.monotonic()
        else:
            self._down_since = None
        # the scheduler logs the switch ("Job ... switched from state ... to ...")
        if status is JobStatus.RUNNING:
            self.checkpoints.start()
        elif status is not JobStatus.CREATED:
            self.checkpoints.stop(f"the job is {status.name}")
        self.output.changed()

    def _start_slot_timeout(self) -> None:
        """``slot.request.timeout`` for this round of waiting for slots (the first deployment or
        a restart). A round ends when its slots are complete; the timer of an earlier round
        that fires while a later round waits (a restart) is stale and does nothing."""
        self._slot_round += 1
        self.run_async(self._slot_timeout(self._slot_round), name="slot-timeout")

    async def _slot_timeout(self, round_: int) -> None:
        await asyncio.sleep(self.slot_request_timeout)
        if round_ != self._slot_round or not self.scheduler.awaiting_slots:
            return
        try:
            overview = await self.resource_manager.request_resource_overview()
            total, available = overview.slots_total, overview.slots_available
        except Exception:
            total = available = -1
        held = len(self.slot_pool.slots)
        await self.scheduler.fail(
            f"NoResourceAvailableException: could not acquire the minimum required resources within "
            f"{self.slot_request_timeout:g} s (slot.request.timeout): the job needs {self.slot_pool.needed} slots, "
            f"the cluster has {total} slots of which {available + held} were available to it. "
            "Lower the parallelism or add TaskManagers/slots.")

    # ------------------------------------------------------------------ restore
    async def _load_restore(self, initial: bool) -> dict[tuple[int, int], TaskRestore]:
        """The state the job starts from: its latest readable completed checkpoint (a corrupt
        or missing ``_metadata`` falls back to the one before, with a warning naming it), else
        the savepoint it was submitted with, else nothing."""
        loop = asyncio.get_running_loop()
        allow_unmatched = self.config.get(opts.SAVEPOINT_IGNORE_UNCLAIMED_STATE)
        for completed in reversed(await loop.run_in_executor(None, self.checkpoint_store.all)):
            try:
                metadata = await loop.run_in_executor(None, read_metadata, completed.location)
            except (OSError, ValueError, MessageError) as exc:
                log.warning("checkpoint %d of job %s cannot be restored: %s/_metadata is unreadable (%s); "
                            "trying the one before", completed.checkpoint_id, self.job_id, completed.location, exc)
                continue
            restores = assign_state(metadata, completed.location, self.job_graph, allow_unmatched)
            log.info("job %s restores from checkpoint %d (%s)", self.job_id, completed.checkpoint_id,
                     completed.location)
            self.checkpoints.restored_from(completed.checkpoint_id, completed.location)
            return restores
        savepoint = self.config.get(opts.SAVEPOINT_RESTORE_PATH)
        if savepoint:
            location = savepoint[:-len("/_metadata")] if savepoint.endswith("/_metadata") else savepoint
            try:
                metadata = await loop.run_in_executor(None, read_metadata, location)
            except (OSError, ValueError, MessageError) as exc:
                raise StateAssignmentError(f"the savepoint {savepoint} is unreadable: {exc}") from None
            restores = assign_state(metadata, location, self.job_graph, allow_unmatched)
            if initial:
                log.info("job %s restores from savepoint %s", self.job_id, location)
            self.checkpoints.restored_from(metadata.checkpoint_id, location)
            self.checkpoints.next_id = max(self.checkpoints.next_id, metadata.checkpoint_id + 1)
            return restores
        return {}

    async def _on_restart(self) -> None:
        """The scheduler created new executions: give them their state and slots."""
        try:
            self.scheduler.restores = await self._load_restore(initial=False)
        except StateAssignmentError as exc:
            await self.scheduler.fail(f"cannot restore the job's state: {exc}")
            return
        self._maybe_deploy()
        self._start_slot_timeout()

    # ------------------------------------------------------------------ slots
    def _task_executor(self, peer: bytes | None) -> Any:
        return self.rpc_service.gateway(peer, TASK_EXECUTOR, None, TaskExecutorGateway)

    @rpc
    async def offer_slots(self, resource_id: ResourceID, data_address: str,
                          offers: list[SlotOffer]) -> list[AllocationID]:
        peer = current_sender.get()
        accepted: list[AllocationID] = []
        if self.status.is_terminal_state() or self.status in (JobStatus.CANCELLING, JobStatus.FAILING):
            return accepted
        for offer in offers:
            slot = AllocatedSlot(offer.allocation_id, resource_id, offer.index, peer, data_address)
            if self.slot_pool.offer(slot):
                accepted.append(slot.allocation_id)
        if accepted and resource_id.value not in self.heartbeats.targets:
            gateway = self._task_executor(peer)
            job_id = self.job_id
            self.heartbeats.monitor(resource_id.value, lambda: gateway.heartbeat_from_job_manager(job_id, timeout=5.0))
        self._maybe_deploy()
        return accepted

    def _maybe_deploy(self) -> None:
        if self.slot_pool.complete() and self.scheduler.awaiting_slots:
            self._slot_round += 1  # this round of waiting is over: its timer is stale
            log.info("job %s: all %d slot(s) offered; deploying its tasks", self.job_id, self.slot_pool.needed)
            slots = [SlotAssignment(s.allocation_id, s.resource_id, s.index, s.data_address,
                                    self._task_executor(s.peer)) for s in self.slot_pool.slots.values()]
            self.run_async(self.scheduler.deploy(slots), name="deploy")

    async def _on_stuck_task(self, resource_id: ResourceID, cause: str) -> None:
        try:
            await self.resource_manager.terminate_task_manager(resource_id, cause)
        except Exception as exc:
            log.warning("terminating TaskManager %s failed: %s", resource_id, exc)

    async def _release_slots(self) -> None:
        try:
            await self.resource_manager.declare_resource_requirements(self.job_id, self.address, 0)
        except Exception as exc:
            log.debug("clearing requirements failed: %s", exc)
        for slot in list(self.slot_pool.slots.values()):
            try:
                await self._task_executor(slot.peer).free_slot(slot.allocation_id, timeout=2.0)
            except Exception as exc:
                log.debug("freeing slot %s failed: %s", slot.allocation_id, exc)
        self.slot_pool.slots.clear()

    # ------------------------------------------------------------------ task states
    @rpc
    async def update_task_execution_state(self, state: TaskExecutionState) -> bool:
        if state.io_metrics is not None:
            ex = self.scheduler.graph.executions.get(state.execution_id)
            if ex is not None:
                ex.io_metrics = state.io_metrics
        changed = await self.scheduler.update_task_execution_state(state.execution_id, state.state, state.error)
        if changed and state.state is ExecutionState.FINISHED:
            # tasks behind it may wait for a final checkpoint; one it did not take is dropped
            self.checkpoints.task_finished(state.execution_id)
        return changed

    async def _on_scheduler_terminal(self, status: JobStatus) -> None:
        s = self.scheduler
        self.result = JobResult(self.job_id, self.job_name, status, s.start_time, s.end_time, s.failure,
                                s.graph.task_counts())
        self.checkpoints.stop(f"the job is {status.name}")
        await self._release_slots()
        await self._apply_retention(status)
        self.output.changed()
        outcome = self.on_terminal(self.result)
        if asyncio.iscoroutine(outcome):
            await outcome

    async def _apply_retention(self, status: JobStatus) -> None:
        """Flink's externalized-checkpoint retention: which checkpoints outlive the job."""
        retention = self.checkpoint_config.retention
        keep = (retention == "RETAIN_ON_CANCELLATION" and status in (JobStatus.CANCELED, JobStatus.FAILED)) or \
               (retention == "DELETE_ON_CANCELLATION" and status is JobStatus.FAILED)
        loop = asyncio.get_running_loop()
        if keep:
            return
        for completed in await loop.run_in_executor(None, self.checkpoint_store.all):
            await loop.run_in_executor(None, CheckpointStorage.discard, completed.location)
        await loop.run_in_executor(None, self.checkpoint_store.clear)

    @rpc
    async def cancel(self) -> None:
        await self.scheduler.cancel()

    @rpc
    async def suspend(self) -> None:
        await self.scheduler.suspend()
        await self._release_slots()

    # ------------------------------------------------------------------ checkpoints
    @rpc
    async def acknowledge_checkpoint(self, ack: CheckpointAck) -> None:
        await self.checkpoints.receive_acknowledge(ack.execution_id, ack.checkpoint_id, ack.snapshot)

    @rpc
    async def decline_checkpoint(self, execution_id: ExecutionAttemptID, checkpoint_id: int, reason: str) -> None:
        await self.checkpoints.receive_decline(execution_id, checkpoint_id, reason)

    async def _on_checkpoint_failure(self, cause: str) -> None:
        await self.scheduler.handle_checkpoint_failure(cause)

    @rpc
    async def trigger_savepoint(self, target_directory: str | None, terminate: bool, drain: bool) -> str:
        if self.status is not JobStatus.RUNNING:
            raise ValueError(f"job {self.job_id} is {self.status.name}: a savepoint needs a running job")
        try:
            completed = await self.checkpoints.trigger(CheckpointType.SAVEPOINT, target_directory or None,
                                                       terminate, drain)
        except CheckpointDeclinedError as exc:
            raise ValueError(f"the savepoint of job {self.job_id} failed: {exc}") from None
        return completed.location

    @rpc
    def request_checkpoint_stats(self) -> CheckpointStatistics:
        return self.checkpoints.stats

    # ------------------------------------------------------------------ TaskManager loss
    @rpc
    async def disconnect_task_manager(self, resource_id: ResourceID, cause: str) -> None:
        self.heartbeats.unmonitor(resource_id.value)
        if self.slot_pool.remove_task_manager(resource_id):
            await self.scheduler.task_manager_lost(resource_id, cause)

    async def _on_heartbeat_timeout(self, resource_id: str) -> None:
        await self.disconnect_task_manager(ResourceID(resource_id), f"heartbeat of TaskManager {resource_id} timed out")

    # ------------------------------------------------------------------ output and queries
    @rpc
    def job_output(self, text: str) -> None:
        self.output.append_output(text)

    @rpc
    async def collect_batch(self, payload: bytes) -> bool:
        return await self.output.collect(payload)

    @rpc
    async def poll(self, offset: int, collect_offset: int, timeout: float, ack: int | None) -> JobPollResult:
        if ack is not None:
            self.output.ack_collected(ack)
        return await self.output.poll(offset, collect_offset, max(0.0, min(timeout, 30.0)))

    @rpc
    def request_job_status(self) -> JobStatus:
        return self.status

    @rpc
    def request_job_details(self) -> JobDetailsInfo:
        return self.scheduler.details_info(self.job_name)

    @rpc
    def request_job_result(self) -> JobResult | None:
        return self.result

    @rpc
    def request_execution_graph_info(self) -> ExecutionGraphInfo:
        """The job as the REST API shows it (Flink's ``JobMasterGateway.requestJob``)."""
        return create_from(self.scheduler, self.job_name, self.checkpoints.stats,
                           self.scheduler.restart_strategy.describe())


def read_metadata(location: str) -> CheckpointMetadata:
    """The ``_metadata`` of a checkpoint or savepoint directory, decoded and validated."""
    data = CheckpointStorage.read_metadata(location)
    return from_wire(CheckpointMetadata, json.loads(data), f"{location}/_metadata")


def _last(stats: CheckpointStatistics, field: str) -> int:
    """A figure of the latest completed checkpoint (-1 before the first, as Flink shows)."""
    latest = stats.latest_completed
    return int(getattr(latest, field)) if latest is not None else -1
