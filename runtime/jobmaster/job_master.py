"""JobMaster (Flink's): one job's RPC face, its slots and its TaskManager heartbeats.

It declares the job's slot requirement to the ResourceManager, accepts the slots
TaskManagers offer, and hands them to its scheduler (``runtime.scheduler``), which deploys
the tasks and derives the job's status. Printed output and collected results go through its
JobOutputService. It is fenced with its own JobMasterId, new for every JobMaster, so a
TaskManager still talking to a previous incarnation of the job is refused.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from runtime.common.job import JobStatus
from runtime.deployment.task_deployment_descriptor import JobMasterAddress
from runtime.heartbeat.heartbeat_manager import HeartbeatManager
from runtime.jobgraph.job_graph import JobGraph
from runtime.jobmaster.job_master_gateway import jobmaster_name
from runtime.jobmaster.job_output_service import JobOutputService
from runtime.jobmaster.slot_pool import AllocatedSlot, SlotPool
from runtime.messages.ids import AllocationID, JobMasterId, ResourceID
from runtime.messages.job_messages import JobDetailsInfo, JobPollResult, JobResult
from runtime.messages.taskmanager_messages import SlotOffer, TaskExecutionState
from runtime.rpc.endpoint import RpcEndpoint, current_sender, rpc
from runtime.rpc.service import RpcService
from runtime.scheduler.default_scheduler import DefaultScheduler, SlotAssignment
from runtime.taskexecutor.task_executor_gateway import NAME as TASK_EXECUTOR
from runtime.taskexecutor.task_executor_gateway import TaskExecutorGateway

log = logging.getLogger(__name__)

TerminalListener = Callable[[JobResult], "Awaitable[None] | None"]


class JobMaster(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, job_graph: JobGraph, resource_manager: Any,
                 slot_request_timeout: float, heartbeat_interval: float, heartbeat_timeout: float,
                 on_terminal: TerminalListener, cancellation_timeout: float = 0.0) -> None:
        super().__init__(rpc_service, jobmaster_name(job_graph.job_id))
        self.jobmaster_id = JobMasterId.generate()
        self.fencing_token = str(self.jobmaster_id)
        self.address = JobMasterAddress(self.name, self.jobmaster_id)
        self.job_graph = job_graph
        self.job_id = job_graph.job_id
        self.job_name = job_graph.name
        self.resource_manager = resource_manager
        self.slot_request_timeout = slot_request_timeout
        self.on_terminal = on_terminal
        self.scheduler = DefaultScheduler(job_graph, self.address, self._on_status, self._on_scheduler_terminal,
                                          self.run_async, cancellation_timeout, self._on_stuck_task)
        self.slot_pool = SlotPool(job_graph.slots_needed())
        self.heartbeats = HeartbeatManager(heartbeat_interval, heartbeat_timeout, lambda rid, p: None,
                                           self._on_heartbeat_timeout)
        self.output = JobOutputService(lambda: self.scheduler.status, lambda: self.result)
        self.result: JobResult | None = None

    @property
    def status(self) -> JobStatus:
        return self.scheduler.status

    # ------------------------------------------------------------------ lifecycle
    async def on_start(self) -> None:
        self.heartbeats.start()
        self.scheduler.start_scheduling()
        await self.resource_manager.declare_resource_requirements(self.job_id, self.address, self.slot_pool.needed)
        self.run_async(self._slot_timeout(), name="slot-timeout")

    async def on_stop(self) -> None:
        self.heartbeats.stop()

    def _on_status(self, status: JobStatus, cause: str | None) -> None:
        first = (cause or "").strip().splitlines()[:1]
        log.info("job %s (%s) switched to %s%s", self.job_id, self.job_name, status.name,
                 f": {first[0]}" if first else "")
        self.output.changed()

    async def _slot_timeout(self) -> None:
        await asyncio.sleep(self.slot_request_timeout)
        if self.scheduler.deployed or self.status.is_terminal_state():
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

    # ------------------------------------------------------------------ slots
    def _task_executor(self, peer: bytes | None) -> Any:
        return self.rpc_service.gateway(peer, TASK_EXECUTOR, None, TaskExecutorGateway)

    @rpc
    async def offer_slots(self, resource_id: ResourceID, data_address: str,
                          offers: list[SlotOffer]) -> list[AllocationID]:
        peer = current_sender.get()
        accepted: list[AllocationID] = []
        if self.status is not JobStatus.CREATED or self.scheduler.deployed:
            return accepted
        for offer in offers:
            slot = AllocatedSlot(offer.allocation_id, resource_id, offer.index, peer, data_address)
            if self.slot_pool.offer(slot):
                accepted.append(slot.allocation_id)
        if accepted and resource_id.value not in self.heartbeats.targets:
            gateway = self._task_executor(peer)
            job_id = self.job_id
            self.heartbeats.monitor(resource_id.value, lambda: gateway.heartbeat_from_job_manager(job_id, timeout=5.0))
        if self.slot_pool.complete() and not self.scheduler.deployed:
            slots = [SlotAssignment(s.allocation_id, s.resource_id, s.index, s.data_address,
                                    self._task_executor(s.peer)) for s in self.slot_pool.slots.values()]
            self.run_async(self.scheduler.deploy(slots), name="deploy")
        return accepted

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
        return await self.scheduler.update_task_execution_state(state.execution_id, state.state, state.error)

    async def _on_scheduler_terminal(self, status: JobStatus) -> None:
        s = self.scheduler
        self.result = JobResult(self.job_id, self.job_name, status, s.start_time, s.end_time, s.failure,
                                s.graph.task_counts())
        await self._release_slots()
        self.output.changed()
        outcome = self.on_terminal(self.result)
        if asyncio.iscoroutine(outcome):
            await outcome

    @rpc
    async def cancel(self) -> None:
        await self.scheduler.cancel()

    @rpc
    async def suspend(self) -> None:
        await self.scheduler.suspend()
        await self._release_slots()

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
