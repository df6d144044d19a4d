"""TaskExecutor: the TaskManager's RPC endpoint (seed 003).

Registers with the ResourceManager (retrying with exponential backoff), sends its slot
report, answers heartbeats from the ResourceManager and from each JobMaster it serves,
allocates slots on the ResourceManager's request and offers them to the JobMaster, runs
deployed tasks (each in its own thread), reports their state changes, and frees slots.
If the JobManager goes away it cancels its tasks, frees its slots and keeps trying to
register until a JobManager answers at the configured address again.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import pickle
import socket
from pathlib import Path
from typing import Any

import zmq
from zmq.utils.monitor import parse_monitor_message

from runtime.blob.blob_cache import BlobCache
from runtime.common.job import ExecutionState
from runtime.heartbeat.heartbeat_manager import HeartbeatMonitor
from runtime.highavailability.leader_election import DEFAULT_LEADER_ID
from runtime.io.network.network_environment import NetworkEnvironment
from runtime.io.network.partition import TaskCancelled
from runtime.rpc.endpoint import RpcEndpoint, rpc
from runtime.rpc.service import UPSTREAM, RpcService
from runtime.streaming.stream_task import StreamTask
from runtime.taskexecutor import output_capture
from runtime.taskexecutor.output_capture import CapturingStream
from runtime.taskexecutor.task_slot_table import SlotAllocationError, TaskSlotTable

log = logging.getLogger(__name__)

NAME = "taskexecutor"


class TaskExecutor(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, resource_id: str, num_slots: int, network: NetworkEnvironment,
                 heartbeat_timeout: float, registration_initial: float, registration_max: float,
                 work_dir: Path, capture: CapturingStream | None = None, credits: int = 4) -> None:
        super().__init__(rpc_service, NAME)
        self.resource_id = resource_id
        self.table = TaskSlotTable(num_slots)
        self.network = network
        self.registration_initial = registration_initial
        self.registration_max = registration_max
        self.capture = capture
        self.credits = credits
        self.registration_id: str | None = None
        self.rm = rpc_service.gateway(UPSTREAM, "resourcemanager", DEFAULT_LEADER_ID)
        self.blob_cache = BlobCache(work_dir / "blobs", rpc_service.gateway(UPSTREAM, "blobserver"))
        self.rm_monitor = HeartbeatMonitor(heartbeat_timeout, lambda: self._connection_lost("heartbeat timeout"))
        self.terminated: asyncio.Future | None = None
        self._reconnect = asyncio.Event()
        self._registering: asyncio.Task | None = None
        self._flush_scheduled = False
        self.loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ lifecycle
    async def on_start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.terminated = self.loop.create_future()
        if self.capture is not None:
            self.capture.on_first_write = self._schedule_output_flush
        self._start_registration()
        if self.rpc_service.dealer is not None:
            self.run_async(self._watch_connection(self.rpc_service.dealer), name="connection-monitor")

    async def on_stop(self) -> None:
        self.rm_monitor.stop()
        for slot in self.table.slots:
            for task in list(slot.tasks.values()):
                task.cancel()
        if self.registration_id is not None:
            # tell the ResourceManager now, instead of letting it wait for a heartbeat timeout
            try:
                await self.rm.disconnect_task_manager(self.resource_id, "TaskManager shut down", timeout=0.5)
            except Exception as exc:
                log.debug("disconnect on shutdown failed: %s", exc)

    def _start_registration(self) -> None:
        if self._registering is None or self._registering.done():
            self._registering = self.run_async(self._register(), name="registration")

    async def _register(self) -> None:
        delay = self.registration_initial
        info = self._registration_info()
        while True:
            try:
                reply = await self.rm.register_task_executor(info, timeout=max(delay, 1.0))
                self.registration_id = reply["registration_id"]
                await self.rm.send_slot_report(self.resource_id, self.registration_id, self.table.report(),
                                               timeout=5.0)
                log.info("registered at the ResourceManager (registration %s)", self.registration_id)
                self.rm_monitor.start()
                return
            except Exception as exc:
                log.info("registration at the ResourceManager failed (%s); retrying in %.2fs", exc, delay)
            self._reconnect.clear()
            try:
                await asyncio.wait_for(self._reconnect.wait(), delay)
            except asyncio.TimeoutError:
                pass
            delay = min(delay * 2, self.registration_max)

    def _registration_info(self) -> dict[str, Any]:
        import psutil
        address = self.network.address
        return {
            "resource_id": self.resource_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "data_address": address,
            "data_port": int(address.rsplit(":", 1)[1]) if address.startswith("tcp://") else 0,
            "num_slots": len(self.table.slots),
            "hardware": {"cores": os.cpu_count(), "memory": psutil.virtual_memory().total},
        }

    async def _watch_connection(self, sock: Any) -> None:
        """ZeroMQ socket events tell us at once when the JobManager's socket goes away or
        comes back, instead of waiting for the heartbeat timeout."""
        monitor = sock.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
        try:
            while True:
                event = parse_monitor_message(await monitor.recv_multipart())
                if event["event"] == zmq.EVENT_DISCONNECTED:
                    await self._connection_lost("JobManager connection closed")
                elif event["event"] == zmq.EVENT_CONNECTED:
                    self._reconnect.set()
        finally:
            monitor.close(0)

    async def _connection_lost(self, cause: str) -> None:
        if self.registration_id is None and self._registering is not None and not self._registering.done():
            return
        log.warning("lost the ResourceManager (%s); cancelling tasks and re-registering", cause)
        self.registration_id = None
        self.rm_monitor.stop()
        for slot in self.table.slots:
            for task in list(slot.tasks.values()):
                task.cancel()
            if slot.allocation_id is not None:
                job_id = slot.job_id
                self.table.free(slot.allocation_id)
                if job_id and not self.table.slots_of_job(job_id):
                    self._release_job(job_id)
        self._start_registration()

    # ------------------------------------------------------------------ heartbeats
    @rpc
    def heartbeat_from_resource_manager(self) -> dict[str, Any]:
        self.rm_monitor.received()
        return {"slots": self.table.report()}

    @rpc
    def heartbeat_from_job_manager(self, job_id: str) -> dict[str, Any]:
        return {"job_id": job_id, "slots": len(self.table.slots_of_job(job_id))}

    # ------------------------------------------------------------------ slots
    @rpc
    async def request_slot(self, index: int, job_id: str, allocation_id: str, jobmaster_target: str,
                           jobmaster_token: str) -> bool:
        self.table.allocate(index, job_id, allocation_id, {"target": jobmaster_target, "token": jobmaster_token})
        self.run_async(self._offer(index, job_id, allocation_id, jobmaster_target, jobmaster_token), name="offer")
        return True

    async def _offer(self, index: int, job_id: str, allocation_id: str, target: str, token: str) -> None:
        jm = self.rpc_service.gateway(UPSTREAM, target, token)
        try:
            accepted = await jm.offer_slots(self.resource_id, self.network.address,
                                            [{"allocation_id": allocation_id, "index": index}])
        except Exception as exc:
            log.warning("offering slot %d to %s failed: %s", index, target, exc)
            accepted = []
        if allocation_id not in accepted:
            await self._free(allocation_id)

    @rpc
    async def free_slot(self, allocation_id: str, job_id: str | None = None) -> bool:
        return await self._free(allocation_id)

    async def _free(self, allocation_id: str) -> bool:
        slot = self.table.by_allocation(allocation_id)
        if slot is None:
            return False
        for task in list(slot.tasks.values()):
            task.cancel()
        index, job_id = slot.index, slot.job_id
        self.table.free(allocation_id)
        if job_id and not self.table.slots_of_job(job_id):
            self._release_job(job_id)
        if self.registration_id is not None:
            try:
                await self.rm.notify_slot_available(self.resource_id, index, allocation_id, timeout=5.0)
            except Exception as exc:
                log.debug("notify_slot_available failed: %s", exc)
        return True

    def _release_job(self, job_id: str) -> None:
        self.network.partition_manager.release_job(f"{job_id}:")
        self.blob_cache.release(job_id)

    # ------------------------------------------------------------------ tasks
    @rpc
    async def submit_task(self, tdd: dict) -> bool:
        slot = self.table.by_allocation(tdd.get("allocation_id") or "")
        if slot is None or slot.job_id != tdd["job_id"]:
            raise SlotAllocationError(f"no slot allocated for job {tdd['job_id']} with allocation "
                                      f"{tdd.get('allocation_id')}")
        await self.blob_cache.ensure(tdd["job_id"])
        job_id = tdd["job_id"]
        jm_info = tdd.get("jobmaster") or slot.jobmaster or {}
        jm = self.rpc_service.gateway(UPSTREAM, jm_info.get("target", ""), jm_info.get("token"))
        loop = self.loop

        def on_state(execution_id: str, state: ExecutionState, error: str | None) -> None:
            loop.call_soon_threadsafe(self._task_state_changed, jm, slot.allocation_id, execution_id, state, error)

        def publish(kind: str, payload: Any) -> None:
            # collected results wait for room at the JobMaster (backpressure on the sink's
            # task); the task thread waits in slices so that cancelling it stays prompt
            future = asyncio.run_coroutine_threadsafe(jm.collect_batch(payload, timeout=86400.0), loop)
            while True:
                try:
                    future.result(timeout=0.2)
                    return
                except concurrent.futures.TimeoutError:
                    if task.cancelled:
                        future.cancel()
                        raise TaskCancelled() from None

        task = StreamTask(tdd, self.network, self.resource_id, on_state, pickle.loads, self.credits,
                          publish=publish)
        task.thread_hook = lambda: output_capture.bind_thread(job_id)
        slot.tasks[tdd["execution_id"]] = task
        task.start()
        return True

    def _task_state_changed(self, jm: Any, allocation_id: str, execution_id: str, state: ExecutionState,
                            error: str | None) -> None:
        if state.is_terminal():
            self._flush_output()
            slot = self.table.by_allocation(allocation_id)
            if slot is not None:
                slot.tasks.pop(execution_id, None)
        self.run_async(self._report_state(jm, execution_id, state, error), name="task-state")

    async def _report_state(self, jm: Any, execution_id: str, state: ExecutionState, error: str | None) -> None:
        try:
            await jm.update_task_execution_state(execution_id, state.name, error)
        except Exception as exc:
            log.warning("reporting %s of %s failed: %s", state.name, execution_id, exc)

    @rpc
    def cancel_task(self, execution_id: str) -> bool:
        task = self.table.find_task(execution_id)
        if task is None:
            return False
        task.cancel()
        return True

    # ------------------------------------------------------------------ output relay
    def _schedule_output_flush(self) -> None:
        if self._flush_scheduled or self.loop is None:
            return
        self._flush_scheduled = True
        self.loop.call_soon_threadsafe(self.loop.call_later, output_capture.FLUSH_INTERVAL, self._flush_output)

    def _flush_output(self) -> None:
        self._flush_scheduled = False
        if self.capture is None:
            return
        for job_id, text in self.capture.drain().items():
            slots = self.table.slots_of_job(job_id)
            jm_info = slots[0].jobmaster if slots else None
            if not jm_info:
                continue
            jm = self.rpc_service.gateway(UPSTREAM, jm_info["target"], jm_info["token"])
            self.run_async(jm.tell("job_output", "stdout", text), name="stdout")

    # ------------------------------------------------------------------ shutdown
    @rpc
    def shutdown(self) -> bool:
        if self.terminated is not None and not self.terminated.done():
            self.loop.call_later(0.01, lambda: self.terminated.done() or self.terminated.set_result("shutdown"))
        return True
