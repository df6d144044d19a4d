"""JobMaster: runs one job — slots, deployment, task states, job status, output relay.

It declares its slot requirement to the ResourceManager, accepts slots the TaskManagers
offer, deploys every subtask once all slots are there (streaming jobs run all tasks at
once), and derives the job status from the tasks' ExecutionStates. It is fenced with its
own JobMaster id so a TaskManager still talking to a previous incarnation is rejected.
Printed output and collected results of the job are relayed to attached clients.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from runtime.common.job import ExecutionState, JobStatus
from runtime.heartbeat.heartbeat_manager import HeartbeatManager
from runtime.jobmaster.output_relay import OutputRelay
from runtime.jobmaster.slot_pool import AllocatedSlot, SlotPool
from runtime.rpc.endpoint import RpcEndpoint, current_sender, rpc
from runtime.rpc.service import RpcService
from runtime.scheduler.execution_graph import Execution, ExecutionGraph

log = logging.getLogger(__name__)

#: bytes of collected (execute_and_collect) results a JobMaster holds before the sink waits
COLLECT_WINDOW = 16 * 1024 * 1024



def jobmaster_name(job_id: str) -> str:
    return f"jobmaster-{job_id}"


class JobMaster(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, job_graph: dict[str, Any], resource_manager: Any,
                 slot_request_timeout: float, heartbeat_interval: float, heartbeat_timeout: float,
                 on_terminal: Callable[[dict[str, Any]], Any], cluster_slots: Callable[[], tuple[int, int]]) -> None:
        super().__init__(rpc_service, jobmaster_name(job_graph["job_id"]))
        self.fencing_token = uuid.uuid4().hex
        self.job_graph = job_graph
        self.job_id: str = job_graph["job_id"]
        self.job_name: str = job_graph.get("name", "")
        self.resource_manager = resource_manager
        self.slot_request_timeout = slot_request_timeout
        self.on_terminal = on_terminal
        self.cluster_slots = cluster_slots
        self.graph = ExecutionGraph(job_graph)
        self.slot_pool = SlotPool(self.graph.slots_needed())
        self.status = JobStatus.CREATED
        self.status_times: dict[str, int] = {JobStatus.CREATED.name: _now_ms()}
        self.start_time = _now_ms()
        self.end_time = -1
        self.failure: str | None = None
        self.deployed = False
        self.heartbeats = HeartbeatManager(heartbeat_interval, heartbeat_timeout, lambda rid, p: None,
                                           self._on_heartbeat_timeout)
        self.output = OutputRelay()
        self.read_offset = 0   # how far an attached client has read the output
        self.collected: list[bytes] = []
        self.collected_base = 0
        self.collected_bytes = 0
        self._drained = asyncio.Event()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def on_start(self) -> None:
        self.heartbeats.start()
        self._set_status(JobStatus.RUNNING)
        self.graph.new_attempt()
        for ex in self.graph.executions.values():
            self._set_execution_state(ex, ExecutionState.SCHEDULED)
        await self.resource_manager.declare_resource_requirements(
            self.job_id, self.name, self.fencing_token, self.slot_pool.needed)
        self.run_async(self._slot_timeout(), name="slot-timeout")

    async def on_stop(self) -> None:
        self.heartbeats.stop()

    async def _slot_timeout(self) -> None:
        await asyncio.sleep(self.slot_request_timeout)
        if not self.deployed and not self.status.is_globally_terminal_state():
            total, available = self.cluster_slots()
            held = len(self.slot_pool.slots)
            await self._fail(
                f"NoResourceAvailableException: could not acquire the minimum required resources within "
                f"{self.slot_request_timeout:g} s (slot.request.timeout): the job needs {self.slot_pool.needed} slots, "
                f"the cluster has {total} slots of which {available + held} were available to it. "
                "Lower the parallelism or add TaskManagers/slots.")

    # ------------------------------------------------------------------ slots
    @rpc
    async def offer_slots(self, resource_id: str, data_address: str, slots: list[dict]) -> list[str]:
        peer = current_sender.get()
        accepted = []
        if self.status.is_globally_terminal_state() or self.status in (JobStatus.FAILING, JobStatus.CANCELLING):
            return accepted
        for s in slots:
            slot = AllocatedSlot(s["allocation_id"], resource_id, s["index"], peer, data_address)
            if self.slot_pool.offer(slot):
                accepted.append(slot.allocation_id)
        if accepted and resource_id not in self.heartbeats.targets:
            gateway = self.rpc_service.gateway(peer, "taskexecutor")
            job_id = self.job_id
            self.heartbeats.monitor(resource_id, lambda: gateway.heartbeat_from_job_manager(job_id, timeout=5.0))
        if self.slot_pool.complete() and not self.deployed:
            self.deployed = True
            self.run_async(self._deploy(), name="deploy")
        return accepted

    async def _deploy(self) -> None:
        slots = self.slot_pool.ordered()
        groups = self.graph.slot_sharing_groups()
        offset = 0
        group_offset: dict[str, int] = {}
        for g in sorted(groups):
            group_offset[g] = offset
            offset += groups[g]
        for ex in self.graph.executions.values():
            v = ex.vertex.job_vertex
            slot = slots[group_offset[v.get("slot_sharing_group", "default")] + ex.vertex.subtask]
            ex.resource_id, ex.allocation_id = slot.resource_id, slot.allocation_id
        locations = {s.resource_id: s.data_address for s in slots}
        config = dict(self.job_graph.get("config") or {})
        calls = []
        for ex in self.graph.executions.values():
            if ex.state != ExecutionState.SCHEDULED:
                continue
            slot = self.slot_pool.slots[ex.allocation_id]
            tdd = self.graph.deployment_descriptor(ex, locations, config)
            tdd["jobmaster"] = {"target": self.name, "token": self.fencing_token}
            self._set_execution_state(ex, ExecutionState.DEPLOYING)
            gateway = self.rpc_service.gateway(slot.peer, "taskexecutor")
            calls.append(self._submit(gateway, ex, tdd))
        await asyncio.gather(*calls)

    async def _submit(self, gateway: Any, ex: Execution, tdd: dict) -> None:
        try:
            await gateway.submit_task(tdd, timeout=30.0)
        except Exception as exc:
            await self._execution_failed(ex, f"deployment of {ex.vertex.task_name} "
                                             f"({ex.vertex.subtask + 1}) to {ex.resource_id} failed: {exc}")

    # ------------------------------------------------------------------ task states
    @rpc
    async def update_task_execution_state(self, execution_id: str, state: str, error: str | None = None) -> bool:
        ex = self.graph.executions.get(execution_id)
        if ex is None:
            return False
        new = ExecutionState[state]
        if ex.state.is_terminal():
            return False
        if new == ExecutionState.FAILED:
            await self._execution_failed(ex, error or "task failed")
            return True
        self._set_execution_state(ex, new)
        await self._check_job_state()
        return True

    async def _execution_failed(self, ex: Execution, error: str) -> None:
        if ex.state.is_terminal():
            return
        ex.failure = error
        self._set_execution_state(ex, ExecutionState.FAILED)
        if self.status == JobStatus.RUNNING:
            await self._fail(error)
        else:
            await self._check_job_state()

    async def _fail(self, cause: str) -> None:
        if self.status.is_globally_terminal_state() or self.status in (JobStatus.FAILING, JobStatus.CANCELLING):
            return
        self.failure = cause
        log.warning("job %s failed: %s", self.job_id, cause.splitlines()[0] if cause else cause)
        self._set_status(JobStatus.FAILING)
        await self._cancel_executions()
        await self._check_job_state()

    async def cancel(self) -> None:
        if self.status.is_globally_terminal_state() or self.status == JobStatus.CANCELLING:
            return
        self._set_status(JobStatus.CANCELLING)
        await self._cancel_executions()
        await self._check_job_state()

    async def suspend(self) -> None:
        """The JobManager is going away without the job ending (SIGTERM, not cancel): stop
        the tasks but record no result, so the next JobManager recovers the job from the job
        graph store."""
        if self.status.is_globally_terminal_state() or self.status == JobStatus.SUSPENDED:
            return
        self._set_status(JobStatus.SUSPENDED)
        await self._cancel_executions()
        await self._release_slots()

    async def _cancel_executions(self) -> None:
        calls = []
        for ex in self.graph.executions.values():
            if ex.state.is_terminal():
                continue
            if ex.state in (ExecutionState.CREATED, ExecutionState.SCHEDULED) or ex.allocation_id not in self.slot_pool.slots:
                self._set_execution_state(ex, ExecutionState.CANCELED)
                continue
            self._set_execution_state(ex, ExecutionState.CANCELING)
            slot = self.slot_pool.slots[ex.allocation_id]
            calls.append(self._cancel_one(self.rpc_service.gateway(slot.peer, "taskexecutor"), ex))
        await asyncio.gather(*calls)

    async def _cancel_one(self, gateway: Any, ex: Execution) -> None:
        try:
            found = await gateway.cancel_task(ex.attempt_id, timeout=5.0)
            if not found and not ex.state.is_terminal():
                self._set_execution_state(ex, ExecutionState.CANCELED)
        except Exception as exc:
            log.warning("cancelling %s failed: %s", ex.attempt_id, exc)
            if not ex.state.is_terminal():
                self._set_execution_state(ex, ExecutionState.CANCELED)
        await self._check_job_state()

    async def _check_job_state(self) -> None:
        if self.status.is_globally_terminal_state():
            return
        if not self.graph.all_terminal():
            return
        if self.status == JobStatus.FAILING:
            final = JobStatus.FAILED
        elif self.status == JobStatus.CANCELLING:
            final = JobStatus.CANCELED
        elif all(ex.state == ExecutionState.FINISHED for ex in self.graph.executions.values()):
            final = JobStatus.FINISHED
        else:
            return
        await self._terminate(final)

    async def _terminate(self, final: JobStatus) -> None:
        self._set_status(final)
        self.end_time = _now_ms()
        await self._release_slots()
        self._changed.set()
        result = self.on_terminal(self.result())
        if asyncio.iscoroutine(result):
            await result

    async def _release_slots(self) -> None:
        try:
            await self.resource_manager.declare_resource_requirements(self.job_id, self.name, self.fencing_token, 0)
        except Exception as exc:
            log.debug("clearing requirements failed: %s", exc)
        for slot in list(self.slot_pool.slots.values()):
            try:
                await self.rpc_service.gateway(slot.peer, "taskexecutor").free_slot(slot.allocation_id, self.job_id,
                                                                                    timeout=2.0)
            except Exception as exc:
                log.debug("freeing slot %s failed: %s", slot.allocation_id, exc)
        self.slot_pool.slots.clear()

    # ------------------------------------------------------------------ TaskManager loss
    async def task_manager_lost(self, resource_id: str, cause: str) -> None:
        self.heartbeats.unmonitor(resource_id)
        lost = self.slot_pool.remove_task_manager(resource_id)
        if not lost:
            return
        for ex in self.graph.executions.values():
            if ex.resource_id == resource_id and not ex.state.is_terminal():
                await self._execution_failed(ex, f"TaskManager {resource_id} was lost: {cause}")
        await self._check_job_state()

    async def _on_heartbeat_timeout(self, resource_id: str) -> None:
        await self.task_manager_lost(resource_id, f"heartbeat of TaskManager {resource_id} timed out")

    # ------------------------------------------------------------------ output relay
    @rpc
    def job_output(self, kind: str, payload: Any) -> None:
        if kind == "stdout" and isinstance(payload, str):
            self.output.append(payload)
        self._changed.set()

    async def poll(self, offset: int, collect_offset: int, timeout: float) -> dict[str, Any]:
        """Long poll: returns as soon as there is output past ``offset``, collected data past
        ``collect_offset`` or the job has ended, else after ``timeout`` seconds. ``more`` says
        that output is left to read (a burst is streamed over several polls)."""
        deadline = time.monotonic() + timeout
        while True:
            fresh = collect_offset < self.collected_base + len(self.collected)
            if self.output.has_more(offset) or fresh or self.status.is_globally_terminal_state():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                break
        text, next_offset = self.output.read(offset)
        self.read_offset = max(self.read_offset, next_offset)
        start = max(collect_offset - self.collected_base, 0)
        batches = self.collected[start:]
        return {"status": self.status.name, "output": text, "offset": next_offset,
                "more": self.output.has_more(next_offset),
                "collected": batches, "collect_offset": self.collected_base + len(self.collected),
                "result": self.result() if self.status.is_globally_terminal_state() else None}

    @rpc
    async def collect_batch(self, payload: bytes) -> bool:
        """A collect sink's batch (``execute_and_collect``). Answered only once the held,
        unread results are below COLLECT_WINDOW bytes, so a fast job waits for a slow reader
        instead of growing the JobMaster's memory (the sink's task blocks meanwhile)."""
        while self.collected_bytes >= COLLECT_WINDOW and not self.status.is_globally_terminal_state():
            self._drained.clear()
            await self._drained.wait()
        self.collected.append(payload)
        self.collected_bytes += len(payload)
        self._changed.set()
        return True

    def ack_collected(self, upto: int) -> None:
        """Drop collected batches the client has consumed (bounded JobMaster memory)."""
        n = upto - self.collected_base
        if n > 0:
            self.collected_bytes -= sum(len(b) for b in self.collected[:n])
            del self.collected[:n]
            self.collected_base = upto
            self._drained.set()

    # ------------------------------------------------------------------ status
    def _set_status(self, status: JobStatus) -> None:
        self.status = status
        self.status_times[status.name] = _now_ms()
        self._changed.set()
        self._drained.set()

    def _set_execution_state(self, ex: Execution, state: ExecutionState) -> None:
        ex.state = state
        ex.state_times[state.name] = time.time()

    def result(self) -> dict[str, Any]:
        end = self.end_time
        return {
            "jid": self.job_id,
            "name": self.job_name,
            "state": self.status.name,
            "start-time": self.start_time,
            "end-time": end,
            "duration": (end if end > 0 else _now_ms()) - self.start_time,
            "failure": self.failure,
            "tasks": self.graph.task_counts(),
        }

    def details(self) -> dict[str, Any]:
        out = self.result()
        out["vertices"] = [
            {"id": vid, "name": v["name"], "parallelism": v["parallelism"],
             "subtasks": [{"subtask": ev.subtask, "status": ev.current.state.name if ev.current else "CREATED",
                           "taskmanager-id": ev.current.resource_id if ev.current else None,
                           "attempt": ev.current.attempt if ev.current else 0}
                          for ev in self.graph.execution_vertices[vid]]}
            for vid, v in sorted(self.graph.vertices.items())]
        out["timestamps"] = dict(self.status_times)
        out["plan"] = self.job_graph.get("plan")
        return out


def _now_ms() -> int:
    return int(time.time() * 1000)
