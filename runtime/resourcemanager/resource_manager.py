"""ResourceManager (Flink's StandaloneResourceManager): TaskManager registrations, heartbeats
and the cluster's slots.

Created by ResourceManagerService only once leadership is granted (as in seed 002), fenced
with the leader session id. A TaskManager registers with its address, resource id, data
port, hardware and slot count, receives a registration id, then sends its slot report; from
then on the ResourceManager asks it for heartbeats and treats a missed ``heartbeat.timeout``
or (for TaskManagers it forked) the process's exit as the TaskManager being gone, which it
tells every JobMaster holding slots through their gateways. A TaskManager forked by another
JobManager process is refused: it belongs to that JobManager and exits.

It also forwards what the REST API and ``pyflink logs`` ask of one TaskManager (its log files,
a job's printed output) to that TaskManager's TaskExecutorGateway, as Flink's
ResourceManager does for ``requestTaskManagerFileUploadByName`` and ``requestTaskManagerLogList``.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.common.job import JobID
from runtime.deployment.task_deployment_descriptor import JobMasterAddress
from runtime.heartbeat.heartbeat_manager import HeartbeatManager
from runtime.jobmaster.job_master_gateway import JobMasterGateway
from runtime.messages.ids import AllocationID, ResourceID
from runtime.messages.log_messages import JobOutputChunk, LogFileChunk, LogFileType, LogInfo
from runtime.messages.taskmanager_messages import (
    RegistrationResponse,
    ResourceOverview,
    SlotReport,
    TaskExecutorRegistration,
    TaskManagerInfo,
)
from runtime.metrics.metric_dump import MetricDumps
from runtime.resourcemanager.resource_manager_gateway import NAME
from runtime.resourcemanager.slot_manager import JobRequirement, SlotManager
from runtime.resourcemanager.task_manager_launcher import TaskManagerLauncher
from runtime.rpc.endpoint import RpcEndpoint, current_sender, rpc
from runtime.rpc.errors import RpcError
from runtime.rpc.service import RpcService
from runtime.taskexecutor.task_executor_gateway import NAME as TASK_EXECUTOR, TaskExecutorGateway

log = logging.getLogger(__name__)


class RegistrationRejected(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "RegistrationRejected")


@dataclass
class WorkerRegistration:
    resource_id: ResourceID
    registration_id: str
    peer: bytes | None
    info: TaskExecutorRegistration
    registered_at: float = field(default_factory=time.time)


class ResourceManager(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, leader_session_id: str, heartbeat_interval: float,
                 heartbeat_timeout: float, launcher: TaskManagerLauncher | None = None) -> None:
        super().__init__(rpc_service, NAME)
        self.fencing_token = leader_session_id
        self.slot_manager = SlotManager()
        self.workers: dict[ResourceID, WorkerRegistration] = {}
        self.launcher = launcher
        self.heartbeats = HeartbeatManager(heartbeat_interval, heartbeat_timeout, self._on_heartbeat_payload,
                                           self._on_heartbeat_timeout)
        self._registration_waiters: list[tuple[int, asyncio.Future]] = []

    async def on_start(self) -> None:
        self.heartbeats.start()

    async def on_stop(self) -> None:
        self.heartbeats.stop()

    def _task_executor(self, peer: bytes | None) -> Any:
        return self.rpc_service.gateway(peer, TASK_EXECUTOR, None, TaskExecutorGateway)

    # ------------------------------------------------------------------ registration
    @rpc
    async def register_task_executor(self, registration: TaskExecutorRegistration) -> RegistrationResponse:
        resource_id = registration.resource_id
        if registration.forked_by is not None and registration.forked_by != os.getpid():
            raise RegistrationRejected(f"TaskManager {resource_id} was started by JobManager pid "
                                       f"{registration.forked_by}, not by this one (pid {os.getpid()})")
        peer = current_sender.get()
        if resource_id in self.workers:
            await self._remove_worker(resource_id, "re-registered")
        reg = WorkerRegistration(resource_id, uuid.uuid4().hex, peer, registration)
        self.workers[resource_id] = reg
        self.slot_manager.register_task_manager(resource_id, registration.num_slots)
        gateway = self._task_executor(peer)
        self.heartbeats.monitor(resource_id.value, lambda: gateway.heartbeat_from_resource_manager(timeout=5.0))
        log.info("registered TaskManager %s (pid %s, %s slots, data %s)", resource_id, registration.pid,
                 registration.num_slots, registration.data_address)
        self._wake_registration_waiters()
        return RegistrationResponse(reg.registration_id, self.fencing_token or "")

    def _check_sender(self, resource_id: ResourceID) -> None:
        """A TaskManager speaks only for itself: calls naming a registered TaskManager must
        come over that TaskManager's own (authenticated) connection."""
        peer = current_sender.get()
        reg = self.workers.get(resource_id)
        if peer is not None and reg is not None and reg.peer != peer:
            raise RegistrationRejected(f"TaskManager {resource_id} is registered over another connection")

    @rpc
    async def send_slot_report(self, resource_id: ResourceID, registration_id: str, report: SlotReport) -> bool:
        self._check_sender(resource_id)
        reg = self.workers.get(resource_id)
        if reg is None or reg.registration_id != registration_id:
            raise LookupError(f"TaskManager {resource_id} is not registered")
        self.slot_manager.apply_slot_report(resource_id, report)
        self.heartbeats.record(resource_id.value)
        self._allocate()
        return True

    @rpc
    async def disconnect_task_manager(self, resource_id: ResourceID, cause: str) -> None:
        self._check_sender(resource_id)
        await self._remove_worker(resource_id, cause)

    def _on_heartbeat_payload(self, resource_id: str, payload: Any) -> None:
        rid = ResourceID(resource_id)
        if isinstance(payload, SlotReport) and rid in self.workers:
            self.slot_manager.apply_slot_report(rid, payload)
            self._allocate()

    async def _on_heartbeat_timeout(self, resource_id: str) -> None:
        rid = ResourceID(resource_id)
        self._kill_if_forked(rid)  # it does not answer (a task holding its interpreter): ours to replace
        await self._remove_worker(rid, f"heartbeat of TaskManager {resource_id} timed out")

    def _kill_if_forked(self, resource_id: ResourceID) -> bool:
        reg = self.workers.get(resource_id)
        return bool(reg is not None and self.launcher is not None and self.launcher.kill(reg.info.pid))

    @rpc
    async def terminate_task_manager(self, resource_id: ResourceID, cause: str) -> bool:
        """A JobMaster gave up waiting for a task on this TaskManager to stop (the task holds
        the interpreter, so the TaskManager cannot end itself): a forked one is killed (and
        replaced), one started elsewhere is dropped until it registers again."""
        killed = self._kill_if_forked(resource_id)
        await self._remove_worker(resource_id, cause)
        return killed

    async def on_process_exit(self, pid: int, code: int) -> None:
        for rid, reg in list(self.workers.items()):
            if reg.info.pid == pid:
                await self._remove_worker(rid, f"TaskManager {rid} (pid {pid}) exited with code {code}")

    async def _remove_worker(self, resource_id: ResourceID, cause: str) -> None:
        reg = self.workers.pop(resource_id, None)
        if reg is None:
            return
        self.heartbeats.unmonitor(resource_id.value)
        self.slot_manager.unregister_task_manager(resource_id)
        log.warning("removed TaskManager %s: %s", resource_id, cause)
        for req in list(self.slot_manager.requirements.values()):
            jm = self.rpc_service.gateway(None, req.jobmaster.target, req.jobmaster.token, JobMasterGateway)
            try:
                await jm.disconnect_task_manager(resource_id, cause)
            except Exception as exc:
                log.debug("telling %s about the lost TaskManager failed: %s", req.jobmaster.target, exc)
        self._allocate()

    # ------------------------------------------------------------------ slots
    @rpc
    async def declare_resource_requirements(self, job_id: JobID, jobmaster: JobMasterAddress, slots: int) -> None:
        if slots <= 0:
            if self.slot_manager.requirements.pop(job_id, None) is not None:
                log.info("job %s needs no slots any more", job_id)
            return
        if slots > 4 * 32768:
            raise ValueError(f"slots: {slots} is more than any job can use")
        previous = self.slot_manager.requirements.get(job_id)
        self.slot_manager.requirements[job_id] = JobRequirement(job_id, jobmaster, slots)
        if previous is None or previous.slots != slots:
            log.info("job %s needs %d slot(s); %d of %d free", job_id, slots, self.slot_manager.available(),
                     self.slot_manager.total())
        self._allocate()

    @rpc
    async def notify_slot_available(self, resource_id: ResourceID, index: int, allocation_id: AllocationID) -> None:
        self._check_sender(resource_id)
        self.slot_manager.free(resource_id, index, allocation_id)
        self._allocate()

    def _allocate(self) -> None:
        for slot, req in self.slot_manager.plan_allocations():
            assert slot.allocation_id is not None
            self.run_async(self._request_slot(slot.resource_id, slot.index, slot.allocation_id, req))

    async def _request_slot(self, resource_id: ResourceID, index: int, allocation_id: AllocationID,
                            req: JobRequirement) -> None:
        reg = self.workers.get(resource_id)
        if reg is None:
            return
        try:
            await self._task_executor(reg.peer).request_slot(index, req.job_id, allocation_id, req.jobmaster)
            self.slot_manager.confirm(resource_id, index, allocation_id)
            log.info("assigned slot %d of TaskManager %s to job %s (allocation %s)", index, resource_id, req.job_id,
                     allocation_id)
        except Exception as exc:
            log.warning("slot request %s to %s failed: %s", allocation_id, resource_id, exc)
            self.slot_manager.free(resource_id, index, allocation_id)
            if resource_id in self.workers:
                self.schedule(0.2, self._allocate)

    # ------------------------------------------------------------------ queries
    def metric_queries(self, timeout: float) -> dict[str, Awaitable[MetricDumps]]:
        """Each registered TaskManager's metric query (for the JobManager's MetricFetcher,
        in this process: Flink's MetricFetcher asks the ResourceManager for the
        TaskManagers' MetricQueryService addresses)."""
        return {str(rid): self._task_executor(reg.peer).request_metric_dump(timeout=timeout)
                for rid, reg in self.workers.items()}

    @rpc
    def request_resource_overview(self) -> ResourceOverview:
        return ResourceOverview(len(self.workers), self.slot_manager.total(), self.slot_manager.available())

    @rpc
    def request_task_manager_info(self) -> list[TaskManagerInfo]:
        now = time.monotonic()
        wall_ms = time.time() * 1000
        forked = set(self.launcher.children) if self.launcher is not None else set()
        out = []
        for rid, reg in sorted(self.workers.items(), key=lambda kv: kv[1].registered_at):
            last = self.heartbeats.last_heartbeat(rid.value)
            info = reg.info
            out.append(TaskManagerInfo(
                id=rid, path=info.data_address, data_port=info.data_port, pid=info.pid, host=info.host,
                slots_number=info.num_slots, free_slots=self.slot_manager.free_slots_of(rid), hardware=info.hardware,
                time_since_last_heartbeat=int(1000 * (now - last)) if last is not None else None,
                forked=info.pid in forked,
                last_heartbeat=int(wall_ms - 1000 * (now - last)) if last is not None else 0,
                allocated_slots=self.slot_manager.allocated_of(rid)))
        return out

    # ------------------------------------------------------------------ TaskManager files
    def _worker_gateway(self, resource_id: ResourceID) -> Any:
        reg = self.workers.get(resource_id)
        if reg is None:
            raise LookupError(f"Could not find TaskManager {resource_id}")
        return self._task_executor(reg.peer)

    @rpc
    async def request_task_manager_job_output(self, resource_id: ResourceID, job_id: JobID, offset: int,
                                              max_bytes: int) -> JobOutputChunk:
        return await self._worker_gateway(resource_id).request_job_output(job_id, offset, max_bytes, timeout=10.0)

    @rpc
    async def request_task_manager_log_list(self, resource_id: ResourceID) -> list[LogInfo]:
        return await self._worker_gateway(resource_id).request_log_list(timeout=10.0)

    @rpc
    async def request_task_manager_log_file(self, resource_id: ResourceID, file_type: LogFileType, name: str,
                                            offset: int, max_bytes: int) -> LogFileChunk:
        try:
            return await self._worker_gateway(resource_id).request_log_file(file_type, name, offset, max_bytes,
                                                                            timeout=30.0)
        except RpcError as exc:
            if exc.error_type == "UnknownLogFile":  # not one of its files: as unknown as a missing one
                raise LookupError(str(exc)) from None
            raise

    async def wait_for_workers(self, count: int, timeout: float) -> bool:
        if len(self.workers) >= count:
            return True
        fut = asyncio.get_running_loop().create_future()
        self._registration_waiters.append((count, fut))
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def _wake_registration_waiters(self) -> None:
        for count, fut in list(self._registration_waiters):
            if len(self.workers) >= count and not fut.done():
                fut.set_result(True)
                self._registration_waiters.remove((count, fut))

    async def shutdown_task_managers(self, only_forked: bool = False) -> None:
        """Ask TaskManagers to exit (all, or only the ones this process forked); forked ones
        are then awaited and killed if stuck. TaskManagers started elsewhere survive a
        JobManager-only stop and re-register with the next JobManager."""
        if self.launcher is not None:
            self.launcher.stopping = True
        forked = set(self.launcher.children) if self.launcher is not None else set()
        for rid, reg in list(self.workers.items()):
            if only_forked and reg.info.pid not in forked:
                continue
            try:
                await self._task_executor(reg.peer).shutdown(timeout=1.0)
            except Exception as exc:
                log.debug("shutdown of %s: %s", rid, exc)
        if self.launcher is not None:
            await self.launcher.stop_all()


class ResourceManagerService:
    """Leader contender for the ResourceManager: creates and starts it on grant, stops it
    on revoke (seed 002's lazy creation)."""

    def __init__(self, factory: Callable[[str], ResourceManager]) -> None:
        self.factory = factory
        self.resource_manager: ResourceManager | None = None

    async def grant_leadership(self, leader_session_id: str) -> None:
        rm = self.factory(leader_session_id)
        await rm.start()
        self.resource_manager = rm

    async def revoke_leadership(self) -> None:
        rm, self.resource_manager = self.resource_manager, None
        if rm is not None:
            await rm.stop()
