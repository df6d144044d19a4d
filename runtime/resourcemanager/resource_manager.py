"""ResourceManager: TaskManager registrations, heartbeats and slots of the cluster.

Created by ResourceManagerService only once leadership is granted (as in seed 002), fenced
with the leader session id. A TaskManager registers with its address, resource id, data
port, hardware and slot count, receives a registration id, then sends its slot report; from
then on the ResourceManager asks it for heartbeats and treats a missed ``heartbeat.timeout``
or (for TaskManagers it forked) the process's exit as the TaskManager being gone.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.heartbeat.heartbeat_manager import HeartbeatManager
from runtime.resourcemanager.slot_manager import JobRequirement, SlotManager
from runtime.resourcemanager.task_manager_launcher import TaskManagerLauncher
from runtime.rpc.endpoint import RpcEndpoint, current_sender, rpc
from runtime.rpc.service import RpcService

log = logging.getLogger(__name__)

NAME = "resourcemanager"


@dataclass
class WorkerRegistration:
    resource_id: str
    registration_id: str
    peer: bytes | None
    info: dict[str, Any]
    registered_at: float = field(default_factory=time.time)


class ResourceManager(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, leader_session_id: str, heartbeat_interval: float,
                 heartbeat_timeout: float, launcher: TaskManagerLauncher | None = None,
                 on_task_manager_lost: Callable[[str, str], Any] | None = None) -> None:
        super().__init__(rpc_service, NAME)
        self.fencing_token = leader_session_id
        self.slot_manager = SlotManager()
        self.workers: dict[str, WorkerRegistration] = {}
        self.launcher = launcher
        self.on_task_manager_lost = on_task_manager_lost
        self.heartbeats = HeartbeatManager(heartbeat_interval, heartbeat_timeout, self._on_heartbeat_payload,
                                           self._on_heartbeat_timeout)
        self._registration_waiters: list[tuple[int, asyncio.Future]] = []

    async def on_start(self) -> None:
        self.heartbeats.start()

    async def on_stop(self) -> None:
        self.heartbeats.stop()

    # ------------------------------------------------------------------ registration
    @rpc
    async def register_task_executor(self, info: dict) -> dict:
        resource_id = str(info["resource_id"])
        peer = current_sender.get()
        old = self.workers.get(resource_id)
        if old is not None:
            await self._remove_worker(resource_id, "re-registered", notify=True)
        reg = WorkerRegistration(resource_id, uuid.uuid4().hex, peer, dict(info))
        self.workers[resource_id] = reg
        self.slot_manager.register_task_manager(resource_id, int(info.get("num_slots", 1)))
        gateway = self.rpc_service.gateway(peer, "taskexecutor")
        self.heartbeats.monitor(resource_id, lambda: gateway.heartbeat_from_resource_manager(timeout=5.0))
        log.info("registered TaskManager %s (pid %s, %s slots, data %s)", resource_id, info.get("pid"),
                 info.get("num_slots"), info.get("data_address"))
        self._wake_registration_waiters()
        return {"registration_id": reg.registration_id, "resource_manager_id": self.fencing_token}

    @rpc
    async def send_slot_report(self, resource_id: str, registration_id: str, report: list) -> bool:
        reg = self.workers.get(resource_id)
        if reg is None or reg.registration_id != registration_id:
            raise LookupError(f"TaskManager {resource_id} is not registered")
        self.slot_manager.apply_slot_report(resource_id, report)
        self.heartbeats.record(resource_id)
        self._allocate()
        return True

    @rpc
    async def disconnect_task_manager(self, resource_id: str, cause: str) -> None:
        await self._remove_worker(resource_id, cause, notify=True)

    def _on_heartbeat_payload(self, resource_id: str, payload: Any) -> None:
        if isinstance(payload, dict) and isinstance(payload.get("slots"), list):
            self.slot_manager.apply_slot_report(resource_id, payload["slots"])
            self._allocate()

    async def _on_heartbeat_timeout(self, resource_id: str) -> None:
        await self._remove_worker(resource_id, f"heartbeat of TaskManager {resource_id} timed out", notify=True)

    async def on_process_exit(self, pid: int, code: int) -> None:
        for rid, reg in list(self.workers.items()):
            if reg.info.get("pid") == pid:
                await self._remove_worker(rid, f"TaskManager {rid} (pid {pid}) exited with code {code}", notify=True)

    async def _remove_worker(self, resource_id: str, cause: str, notify: bool) -> None:
        reg = self.workers.pop(resource_id, None)
        if reg is None:
            return
        self.heartbeats.unmonitor(resource_id)
        self.slot_manager.unregister_task_manager(resource_id)
        log.warning("removed TaskManager %s: %s", resource_id, cause)
        if notify and self.on_task_manager_lost is not None:
            result = self.on_task_manager_lost(resource_id, cause)
            if asyncio.iscoroutine(result):
                await result
        self._allocate()

    # ------------------------------------------------------------------ slots
    @rpc
    async def declare_resource_requirements(self, job_id: str, jobmaster_target: str, jobmaster_token: str,
                                            slots: int) -> None:
        if slots <= 0:
            self.slot_manager.requirements.pop(job_id, None)
            return
        self.slot_manager.requirements[job_id] = JobRequirement(job_id, jobmaster_target, jobmaster_token, slots)
        self._allocate()

    @rpc
    async def notify_slot_available(self, resource_id: str, index: int, allocation_id: str) -> None:
        self.slot_manager.free(resource_id, index, allocation_id)
        self._allocate()

    def _allocate(self) -> None:
        for slot, req in self.slot_manager.plan_allocations():
            self.run_async(self._request_slot(slot.resource_id, slot.index, slot.allocation_id, req))

    async def _request_slot(self, resource_id: str, index: int, allocation_id: str, req: JobRequirement) -> None:
        reg = self.workers.get(resource_id)
        if reg is None:
            return
        gateway = self.rpc_service.gateway(reg.peer, "taskexecutor")
        try:
            await gateway.request_slot(index, req.job_id, allocation_id, req.jobmaster_target, req.jobmaster_token)
            self.slot_manager.confirm(resource_id, index, allocation_id)
        except Exception as exc:
            log.warning("slot request %s to %s failed: %s", allocation_id, resource_id, exc)
            self.slot_manager.free(resource_id, index, allocation_id)
            if resource_id in self.workers:
                self.schedule(0.2, self._allocate)

    # ------------------------------------------------------------------ queries
    def available_slots(self) -> int:
        return self.slot_manager.available()

    def total_slots(self) -> int:
        return self.slot_manager.total()

    @rpc
    def list_task_managers(self) -> list[dict]:
        now = time.monotonic()
        out = []
        for rid, reg in sorted(self.workers.items(), key=lambda kv: kv[1].registered_at):
            last = self.heartbeats.last_heartbeat(rid)
            hw = reg.info.get("hardware") or {}
            out.append({
                "id": rid,
                "path": reg.info.get("data_address"),
                "dataPort": reg.info.get("data_port"),
                "pid": reg.info.get("pid"),
                "host": reg.info.get("host"),
                "slotsNumber": reg.info.get("num_slots"),
                "freeSlots": self.slot_manager.free_slots_of(rid),
                "timeSinceLastHeartbeat": int(1000 * (now - last)) if last is not None else None,
                "hardware": {"cpuCores": hw.get("cores"), "physicalMemory": hw.get("memory")},
                "forked": bool(self.launcher and reg.info.get("pid") in self.launcher.children),
            })
        return out

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
        forked = set(self.launcher.children) if self.launcher is not None else set()
        for rid, reg in list(self.workers.items()):
            if only_forked and reg.info.get("pid") not in forked:
                continue
            try:
                await self.rpc_service.gateway(reg.peer, "taskexecutor").shutdown(timeout=1.0)
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
