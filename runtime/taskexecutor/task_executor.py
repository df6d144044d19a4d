"""TaskExecutor (Flink's): the TaskManager's RPC endpoint.

Registers with the ResourceManager (retrying with exponential backoff), sends its slot
report, answers heartbeats from the ResourceManager and from each JobMaster it serves,
allocates slots on the ResourceManager's request and offers them to the JobMaster, runs
deployed tasks (each in its own thread), reports their state changes, and frees slots.

Cancelling always completes: a cancelled task is interrupted every
``task.cancellation.interval`` until its threads are gone, and one still running after
``task.cancellation.timeout`` is a fatal error that ends the TaskManager process (Flink's
TaskCancelerWatchDog); the JobManager's launcher replaces a forked TaskManager.
A TaskManager that loses its JobManager cancels every task of it; a forked one whose
JobManager process is gone exits.

It logs its slots, deployments and every task state change (Flink's TaskExecutor and Task
log lines), keeps each job's printed output in its JobOutputStore, and serves that output
and its own log files (``request_job_output``, ``request_log_list``, ``request_log_file``:
``pyflink logs`` and the ``/taskmanagers/<id>/log*`` REST calls, through the ResourceManager).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import pickle
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq
from zmq.utils.monitor import parse_monitor_message

from runtime.blob.blob_cache import BlobCache
from runtime.blob.blob_server_gateway import NAME as BLOB_SERVER, BlobServerGateway
from runtime.common.job import ExecutionState, JobID
from runtime.deployment.task_deployment_descriptor import JobMasterAddress, TaskDeploymentDescriptor
from runtime.heartbeat.heartbeat_manager import HeartbeatMonitor
from runtime.highavailability.leader_election import RpcLeaderRetrieval
from runtime.io.network.network_environment import NetworkEnvironment
from runtime.io.network.partition import TaskCancelled
from runtime.jobmaster.job_master_gateway import JobMasterGateway
from runtime.messages.checkpoint_messages import CheckpointAck, CheckpointOptions
from runtime.messages.ids import AllocationID, ExecutionAttemptID, ResourceID
from runtime.messages.log_messages import MAX_CHUNK_BYTES, JobOutputChunk, LogFileChunk, LogFileType, LogInfo
from runtime.messages.taskmanager_messages import (
    HardwareDescription,
    SlotOffer,
    SlotReport,
    TaskExecutionState,
    TaskExecutorRegistration,
)
from runtime.metrics.metric_dump import MetricDumps, MetricScope, MetricScopeKind
from runtime.metrics.metric_registry import MetricRegistry
from runtime.metrics.system_metrics import register_system_metrics
from runtime.metrics.task_metric_group import TaskMetricGroup
from runtime.resourcemanager.resource_manager_gateway import NAME as RESOURCE_MANAGER, ResourceManagerGateway
from runtime.rpc.endpoint import RpcEndpoint, rpc
from runtime.rpc.errors import RpcError
from runtime.rpc.service import UPSTREAM, RpcService
from runtime.rpc.socket_monitor import close_monitor
from runtime.streaming.tasks.stream_task import StreamTask
from runtime.streaming.tasks.subtask_checkpoint_coordinator import OperatorSnapshot, write_task_snapshot
from runtime.taskexecutor import output_capture
from runtime.taskexecutor.job_output_store import JobOutputStore
from runtime.taskexecutor.output_capture import CapturingStream
from runtime.taskexecutor.task_executor_gateway import NAME
from runtime.taskexecutor.task_slot_table import SlotAllocationError, TaskSlotTable
from runtime.util.log_files import ProcessLogFiles

log = logging.getLogger(__name__)

#: how often a forked TaskManager checks that the JobManager that forked it still exists
PARENT_CHECK_INTERVAL = 0.25
#: seconds between two samples of the metric views (meters, per-second times)
VIEW_UPDATE_INTERVAL = 1.0

#: Task threads unpickle their chains concurrently; the user's modules they import may import
#: each other in cycles, which Python's per-module import locks resolve by handing one thread
#: a partially initialised module. Loading one job's code at a time (as Flink's user-code class
#: loader serialises class definition) keeps imports whole; it happens once per deployment.
_USER_CODE_LOCK = threading.Lock()


def load_user_code(data: bytes) -> Any:
    with _USER_CODE_LOCK:
        return pickle.loads(data)


#: errors of a JobManager that is still starting: its RPC socket answers, the endpoint is not there yet
_STARTING_UP = ("EndpointNotFound", "FencingTokenException")
#: for this long after the first attempt such an error is retried every STARTUP_RETRY seconds
STARTUP_GRACE = 5.0
STARTUP_RETRY = 0.02


def _physical_memory() -> tuple[int, int]:
    """Total and available physical memory in bytes, from sysconf where it has it (psutil
    costs a starting TaskManager ~10 ms of imports before it can register)."""
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return page * os.sysconf("SC_PHYS_PAGES"), page * os.sysconf("SC_AVPHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        import psutil
        memory = psutil.virtual_memory()
        return int(memory.total), int(memory.available)


class TaskExecutor(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, resource_id: ResourceID, num_slots: int, network: NetworkEnvironment,
                 heartbeat_timeout: float, registration_initial: float, registration_max: float,
                 work_dir: Path, capture: CapturingStream | None = None, credits: int = 4,
                 cancellation_interval: float = 0.5, cancellation_timeout: float = 30.0,
                 forked_by: int | None = None, on_fatal_error: Callable[[str], None] | None = None,
                 metric_registry: MetricRegistry | None = None,
                 job_output: JobOutputStore | None = None, log_files: ProcessLogFiles | None = None) -> None:
        super().__init__(rpc_service, NAME)
        self.resource_id = resource_id
        self.table = TaskSlotTable(num_slots)
        self.network = network
        self.registration_initial = registration_initial
        self.registration_max = registration_max
        self.capture = capture
        self.credits = credits
        self.cancellation_interval = cancellation_interval
        self.cancellation_timeout = cancellation_timeout
        self.forked_by = forked_by
        self.on_fatal_error = on_fatal_error
        #: each job's printed output on this TaskManager (None: not kept, as in the mini cluster)
        self.job_output = job_output
        self.log_files = log_files or ProcessLogFiles(None)
        #: the last state of each running task, for the "switched from ... to ..." log lines
        self._task_states: dict[ExecutionAttemptID, ExecutionState] = {}
        self.registration_id: str | None = None
        # fenced with the JobManager's current leader session id, asked for before registering
        self.rm: Any = rpc_service.gateway(UPSTREAM, RESOURCE_MANAGER,
                                           RpcLeaderRetrieval(rpc_service, UPSTREAM, RESOURCE_MANAGER),
                                           ResourceManagerGateway)
        self.blob_cache = BlobCache(work_dir / "blobs", rpc_service.gateway(UPSTREAM, BLOB_SERVER, None,
                                                                           BlobServerGateway))
        self.rm_monitor = HeartbeatMonitor(heartbeat_timeout, lambda: self._connection_lost("heartbeat timeout"))
        self.terminated: asyncio.Future | None = None
        self._reconnect = asyncio.Event()
        self._registering: asyncio.Task | None = None
        self._flush_scheduled = False
        self._cancelling: set[ExecutionAttemptID] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        #: this TaskManager's metrics (Flink's MetricRegistry and TaskManagerMetricGroup):
        #: what ``request_metric_dump`` answers (Flink's MetricQueryService) and reporters show
        self.metric_registry = metric_registry if metric_registry is not None else MetricRegistry()
        self.host = socket.gethostname()
        self.metric_group = self.metric_registry.group(
            MetricScope(MetricScopeKind.TASKMANAGER, host=self.host, tm_id=str(resource_id)))
        register_system_metrics(self.metric_group)
        self.metric_group.gauge("taskSlotsTotal", lambda: num_slots)
        self.metric_group.gauge("taskSlotsAvailable", lambda: sum(1 for s in self.table.slots if s.free))
        self.metric_group.gauge("numRunningTasks", lambda: len(self.table.all_tasks()))

    # ------------------------------------------------------------------ lifecycle
    async def on_start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.terminated = self.loop.create_future()
        if self.capture is not None:
            self.capture.on_first_write = self._schedule_output_flush
        self._start_registration()
        if self.rpc_service.dealer is not None:
            self.run_async(self._watch_connection(self.rpc_service.dealer), name="connection-monitor")
        if self.forked_by is not None:
            self.run_async(self._watch_parent(self.forked_by), name="parent-monitor")
        self.run_async(self._update_metric_views(), name="metric-views")

    async def _update_metric_views(self) -> None:
        """Rates and per-second times are sampled once a second (Flink's ViewUpdater)."""
        while True:
            self.metric_registry.update_meters()
            await asyncio.sleep(VIEW_UPDATE_INTERVAL)

    @rpc
    def request_metric_dump(self) -> MetricDumps:
        """Every metric of this TaskManager and its tasks (Flink's MetricQueryService)."""
        return self.metric_registry.dump()

    async def on_stop(self) -> None:
        self.rm_monitor.stop()
        for task in self.table.all_tasks():
            task.cancel()
            task.interrupt()
        if self.registration_id is not None:
            # tell the ResourceManager now, instead of letting it wait for a heartbeat timeout
            try:
                await self.rm.disconnect_task_manager(self.resource_id, "TaskManager shut down", timeout=0.5)
            except Exception as exc:
                log.debug("disconnect on shutdown failed: %s", exc)

    def terminate(self, reason: str) -> None:
        if self.terminated is not None and not self.terminated.done():
            self.terminated.set_result(reason)

    def _start_registration(self) -> None:
        if self._registering is None or self._registering.done():
            self._registering = self.run_async(self._register(), name="registration")

    async def _register(self) -> None:
        delay = self.registration_initial
        registration = self._registration()
        first_attempt = time.monotonic()
        while True:
            wait = delay
            try:
                reply = await self.rm.register_task_executor(registration, timeout=max(delay, 1.0))
                self.registration_id = reply.registration_id
                await self.rm.send_slot_report(self.resource_id, reply.registration_id, self.table.report(),
                                               timeout=5.0)
                log.info("registered at the ResourceManager (registration %s)", self.registration_id)
                self.rm_monitor.start()
                return
            except RpcError as exc:
                if exc.error_type == "RegistrationRejected":
                    log.error("the ResourceManager refused this TaskManager: %s", exc)
                    self.terminate(f"registration refused: {exc}")
                    return
                if exc.error_type in _STARTING_UP and time.monotonic() - first_attempt < STARTUP_GRACE:
                    # the JobManager's socket is up but its ResourceManager not yet (a TaskManager
                    # forked with the JobManager often asks first): ask again soon, not after a backoff
                    wait = STARTUP_RETRY
                log.info("registration at the ResourceManager failed (%s); retrying in %.2fs", exc, wait)
            except Exception as exc:
                log.info("registration at the ResourceManager failed (%s); retrying in %.2fs", exc, delay)
            self._reconnect.clear()
            try:
                await asyncio.wait_for(self._reconnect.wait(), wait)
            except asyncio.TimeoutError:
                pass
            if wait == delay:
                delay = min(delay * 2, self.registration_max)

    def _registration(self) -> TaskExecutorRegistration:
        return TaskExecutorRegistration(
            resource_id=self.resource_id, pid=os.getpid(), host=socket.gethostname(),
            data_address=self.network.address, num_slots=len(self.table.slots),
            hardware=HardwareDescription(os.cpu_count() or 1, *_physical_memory()),
            forked_by=self.forked_by)

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
            close_monitor(sock, monitor)

    async def _watch_parent(self, parent: int) -> None:
        """A forked TaskManager belongs to the JobManager process that forked it: once that
        process is gone (killed, crashed), its tasks are cancelled and this process exits, so
        a new JobManager never finds orphans beside the TaskManagers it forks itself."""
        while os.getppid() == parent:
            await asyncio.sleep(PARENT_CHECK_INTERVAL)
        log.warning("the JobManager that started this TaskManager (pid %d) is gone; cancelling tasks and exiting",
                    parent)
        self.registration_id = None
        for task in self.table.all_tasks():
            self._cancel(task)
        self.terminate(f"JobManager pid {parent} is gone")

    async def _connection_lost(self, cause: str) -> None:
        if self.registration_id is None and self._registering is not None and not self._registering.done():
            return
        log.warning("lost the ResourceManager (%s); cancelling tasks and re-registering", cause)
        self.registration_id = None
        self.rm_monitor.stop()
        for slot in self.table.slots:
            if slot.allocation_id is not None:
                self.run_async(self._free(slot.allocation_id, notify=False), name="free-slot")
        self._start_registration()

    # ------------------------------------------------------------------ heartbeats
    @rpc
    def heartbeat_from_resource_manager(self) -> SlotReport:
        self.rm_monitor.received()
        return self.table.report()

    @rpc
    def heartbeat_from_job_manager(self, job_id: JobID) -> list[AllocationID]:
        return [s.allocation_id for s in self.table.slots_of_job(job_id) if s.allocation_id is not None]

    # ------------------------------------------------------------------ slots
    @rpc
    async def request_slot(self, index: int, job_id: JobID, allocation_id: AllocationID,
                           jobmaster: JobMasterAddress) -> bool:
        self.table.allocate(index, job_id, allocation_id, jobmaster)
        log.info("allocated slot %d (allocation %s) to job %s", index, allocation_id, job_id)
        self.run_async(self._offer(index, allocation_id, jobmaster), name="offer")
        return True

    def _jobmaster(self, address: JobMasterAddress) -> Any:
        return self.rpc_service.gateway(UPSTREAM, address.target, address.token, JobMasterGateway)

    async def _offer(self, index: int, allocation_id: AllocationID, jobmaster: JobMasterAddress) -> None:
        try:
            accepted = await self._jobmaster(jobmaster).offer_slots(self.resource_id, self.network.address,
                                                                     [SlotOffer(allocation_id, index)])
        except Exception as exc:
            log.warning("offering slot %d to %s failed: %s", index, jobmaster.target, exc)
            accepted = []
        if allocation_id not in accepted:
            await self._free(allocation_id)

    @rpc
    async def free_slot(self, allocation_id: AllocationID) -> bool:
        return await self._free(allocation_id)

    async def _free(self, allocation_id: AllocationID, notify: bool = True) -> bool:
        """Cancel the slot's tasks, wait until they are gone (the watchdog bounds the wait),
        then free the slot and tell the ResourceManager."""
        slot = self.table.by_allocation(allocation_id)
        if slot is None:
            return False
        tasks = list(slot.tasks.values())
        for task in tasks:
            self._cancel(task)
        while any(not t.is_done() for t in tasks):
            await asyncio.sleep(0.01)
        if self.table.by_allocation(allocation_id) is not slot:
            return True  # freed meanwhile
        index, job_id = slot.index, slot.job_id
        self.table.free(allocation_id)
        log.info("freed slot %d (allocation %s) of job %s", index, allocation_id, job_id)
        if job_id is not None and not self.table.slots_of_job(job_id):
            self._release_job(job_id)
        if notify and self.registration_id is not None:
            try:
                await self.rm.notify_slot_available(self.resource_id, index, allocation_id, timeout=5.0)
            except Exception as exc:
                log.debug("notify_slot_available failed: %s", exc)
        return True

    def _release_job(self, job_id: JobID) -> None:
        self.network.partition_manager.release_job(f"{job_id}:")
        self.blob_cache.release(str(job_id))
        if self.job_output is not None:
            self.job_output.job_released(str(job_id))
        log.info("job %s has no slot here any more: released its partitions and files", job_id)

    # ------------------------------------------------------------------ tasks
    @rpc
    async def submit_task(self, tdd: TaskDeploymentDescriptor) -> bool:
        slot = self.table.by_allocation(tdd.allocation_id)
        if slot is None or slot.job_id != tdd.job_id:
            raise SlotAllocationError(f"no slot allocated for job {tdd.job_id} with allocation {tdd.allocation_id}")
        await self.blob_cache.ensure(str(tdd.job_id))
        job_id = str(tdd.job_id)
        jm = self._jobmaster(tdd.jobmaster)
        loop = self.loop
        assert loop is not None
        allocation_id = tdd.allocation_id

        def on_state(execution_id: ExecutionAttemptID, state: ExecutionState, error: str | None) -> None:
            loop.call_soon_threadsafe(self._task_state_changed, jm, allocation_id, execution_id, state, error)

        def publish(kind: str, payload: Any) -> None:
            # collected results wait for room at the JobMaster (backpressure on the sink's
            # task); the task thread waits in slices so that cancelling it stays prompt
            future = asyncio.run_coroutine_threadsafe(jm.collect_batch(payload, timeout=86400.0), loop)
            while True:
                try:
                    future.result(timeout=0.2)
                    return
                except concurrent.futures.TimeoutError:
                    if task.canceled:
                        future.cancel()
                        raise TaskCancelled() from None

        metrics = TaskMetricGroup(MetricScope(
            MetricScopeKind.TASK, host=self.host, tm_id=str(self.resource_id), job_id=job_id, job_name=tdd.job_name,
            task_id=tdd.vertex_hex_id or str(tdd.vertex_id), task_name=tdd.task_name, subtask_index=tdd.subtask_index,
            attempt=tdd.attempt), self.metric_registry)
        task = StreamTask(tdd, self.network, self.resource_id, on_state, load_user_code, self.credits,
                          publish=publish, metrics=metrics)
        def respond(options: CheckpointOptions, snapshots: list[OperatorSnapshot]) -> None:
            loop.call_soon_threadsafe(self._write_checkpoint, jm, task, options, snapshots)

        def decline(checkpoint_id: int, reason: str) -> None:
            loop.call_soon_threadsafe(self._decline_checkpoint, jm, tdd.execution_id, checkpoint_id, reason)
        task.checkpoint_responder = respond
        task.checkpoint_decliner = decline
        task.thread_hook = lambda: output_capture.bind_thread(job_id)
        slot.tasks[tdd.execution_id] = task
        if self.job_output is not None:
            self.job_output.job_started(job_id)
        self._task_states[tdd.execution_id] = ExecutionState.DEPLOYING
        log.info("received task %s of job %s, deploying into slot %d (allocation %s)", _task_label(task), job_id,
                 slot.index, tdd.allocation_id)
        task.start()
        return True

    def _task_state_changed(self, jm: Any, allocation_id: AllocationID, execution_id: ExecutionAttemptID,
                            state: ExecutionState, error: str | None) -> None:
        slot = self.table.by_allocation(allocation_id)
        task = slot.tasks.get(execution_id) if slot is not None else None
        previous = self._task_states.pop(execution_id, None) if state.is_terminal() else \
            self._task_states.get(execution_id)
        if not state.is_terminal():
            self._task_states[execution_id] = state
        label = _task_label(task) if task is not None else str(execution_id)
        # a failure is logged with its traceback, as Flink's Task logs the exception
        cause = f": {error.strip()}" if error else ""
        log.log(logging.WARNING if state is ExecutionState.FAILED else logging.INFO, "%s switched from %s to %s%s",
                label, previous.name if previous is not None else "?", state.name, cause)
        io_metrics = None
        if state.is_terminal():
            self._flush_output()
            task = slot.tasks.pop(execution_id, None) if slot is not None else None
            if task is not None:
                io_metrics = task.io_metrics()  # final: the task has ended
                if task.metrics is not None:
                    task.metrics.close()
        self.run_async(self._report_state(jm, TaskExecutionState(execution_id, state, error, io_metrics)),
                       name="task-state")

    async def _report_state(self, jm: Any, state: TaskExecutionState) -> None:
        try:
            await jm.update_task_execution_state(state)
        except Exception as exc:
            log.warning("reporting %s of %s failed: %s", state.state.name, state.execution_id, exc)

    # ------------------------------------------------------------------ checkpoints
    @rpc
    def trigger_checkpoint(self, execution_id: ExecutionAttemptID, options: CheckpointOptions) -> bool:
        task = self.table.find_task(execution_id)
        if task is None:
            return False
        task.trigger_checkpoint(options)
        return True

    @rpc
    def notify_checkpoint_complete(self, execution_id: ExecutionAttemptID, checkpoint_id: int) -> bool:
        task = self.table.find_task(execution_id)
        if task is None:
            return False
        task.notify_checkpoint_complete(checkpoint_id)
        return True

    @rpc
    def notify_checkpoint_aborted(self, execution_id: ExecutionAttemptID, checkpoint_id: int) -> bool:
        task = self.table.find_task(execution_id)
        if task is None:
            return False
        task.notify_checkpoint_aborted(checkpoint_id)
        return True

    def _write_checkpoint(self, jm: Any, task: StreamTask, options: CheckpointOptions,
                          snapshots: list[OperatorSnapshot]) -> None:
        self.run_async(self._write_and_acknowledge(jm, task, options, snapshots), name="checkpoint-write")

    async def _write_and_acknowledge(self, jm: Any, task: StreamTask, options: CheckpointOptions,
                                     snapshots: list[OperatorSnapshot]) -> None:
        """The asynchronous part of a task's checkpoint: files written off the task thread,
        then the acknowledgement with their handles."""
        tdd = task.tdd
        try:
            snapshot = await asyncio.get_running_loop().run_in_executor(
                None, write_task_snapshot, options, tdd.subtask_index, tdd.attempt, tdd.parallelism,
                tdd.max_parallelism, snapshots)
        except Exception as exc:
            log.warning("writing checkpoint %d of %s failed: %s", options.checkpoint_id, tdd.task_name, exc)
            self._decline_checkpoint(jm, tdd.execution_id, options.checkpoint_id, f"writing state failed: {exc}")
            return
        try:
            await jm.acknowledge_checkpoint(CheckpointAck(tdd.execution_id, options.checkpoint_id, snapshot))
        except Exception as exc:
            log.warning("acknowledging checkpoint %d failed: %s", options.checkpoint_id, exc)

    def _decline_checkpoint(self, jm: Any, execution_id: ExecutionAttemptID, checkpoint_id: int, reason: str) -> None:
        async def decline() -> None:
            try:
                await jm.decline_checkpoint(execution_id, checkpoint_id, reason)
            except Exception as exc:
                log.debug("declining checkpoint %d failed: %s", checkpoint_id, exc)
        self.run_async(decline(), name="checkpoint-decline")

    @rpc
    def cancel_task(self, execution_id: ExecutionAttemptID) -> bool:
        task = self.table.find_task(execution_id)
        if task is None:
            return False
        log.info("cancelling %s", _task_label(task))
        self._cancel(task)
        return True

    def _cancel(self, task: StreamTask) -> None:
        task.cancel()
        if task.execution_id not in self._cancelling:
            self._cancelling.add(task.execution_id)
            self.run_async(self._watch_cancellation(task), name="task-canceler")

    async def _watch_cancellation(self, task: StreamTask) -> None:
        """Flink's TaskInterrupter and TaskCancelerWatchDog in one: interrupt the task's user
        code until its threads are gone; past the timeout, end this TaskManager."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cancellation_timeout if self.cancellation_timeout > 0 else None
        try:
            while not (task.is_done() and not task.interrupter.has_live_user_threads()):
                if deadline is not None and loop.time() >= deadline:
                    self._fatal(f"task '{task.tdd.task_name}' ({task.tdd.subtask_index + 1}/{task.tdd.parallelism}) "
                                f"of job {task.tdd.job_id} did not finish within task.cancellation.timeout "
                                f"({self.cancellation_timeout * 1000:.0f} ms) after it was cancelled")
                    return
                await asyncio.sleep(self.cancellation_interval if task.interrupter.interrupts else 0.05)
                if not (task.is_done() and not task.interrupter.has_live_user_threads()):
                    task.interrupt()
        finally:
            self._cancelling.discard(task.execution_id)

    def _fatal(self, message: str) -> None:
        log.error("fatal: %s; the TaskManager exits", message)
        self.run_async(self._fatal_exit(message), name="fatal-exit")

    async def _fatal_exit(self, message: str) -> None:
        if self.registration_id is not None:
            try:  # let the JobManager release our slots now rather than at a heartbeat timeout
                await self.rm.disconnect_task_manager(self.resource_id, f"fatal error: {message}", timeout=0.5)
            except Exception as exc:
                log.debug("disconnect before exit failed: %s", exc)
        if self.on_fatal_error is not None:
            self.on_fatal_error(message)

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
        try:
            self.capture.flush()  # the .out file is current within FLUSH_INTERVAL too
        except (OSError, ValueError):
            pass
        for job_id, text in self.capture.drain().items():
            slots = self.table.slots_of_job(JobID.from_hex(job_id))
            address = slots[0].jobmaster if slots else None
            if address is None:
                continue
            self.run_async(self._jobmaster(address).tell("job_output", text), name="stdout")

    # ------------------------------------------------------------------ job output and log files
    def _job_running(self, job_id: JobID) -> bool:
        return any(not t.is_done() for s in self.table.slots_of_job(job_id) for t in s.tasks.values())

    @rpc
    async def request_job_output(self, job_id: JobID, offset: int, max_bytes: int) -> JobOutputChunk:
        """What the job printed here, from ``offset`` (``pyflink logs``)."""
        if self.job_output is None:
            return JobOutputChunk(self.resource_id, found=False)
        return await asyncio.get_running_loop().run_in_executor(
            None, self.job_output.read, str(job_id), max(0, offset), max(1, min(max_bytes, MAX_CHUNK_BYTES)),
            self._job_running(job_id))

    @rpc
    async def request_log_list(self) -> list[LogInfo]:
        """This TaskManager's .log and .out files (Flink's requestLogList)."""
        files = await asyncio.get_running_loop().run_in_executor(None, self.log_files.list)
        return [LogInfo(f.name, f.size, f.mtime_ms) for f in files]

    @rpc
    async def request_log_file(self, file_type: LogFileType, name: str, offset: int, max_bytes: int) -> LogFileChunk:
        """A chunk of one of the listed files: the log, the stdout, or one by name."""
        if file_type is LogFileType.LOG:
            name = self.log_files.main_log_name()
        elif file_type is LogFileType.STDOUT:
            name = self.log_files.stdout_name()
        data, size = await asyncio.get_running_loop().run_in_executor(
            None, self.log_files.read, name, max(0, offset), max(0, min(max_bytes, MAX_CHUNK_BYTES)))
        return LogFileChunk(name, data, max(0, min(offset, size)), size)

    # ------------------------------------------------------------------ shutdown
    @rpc
    def shutdown(self) -> bool:
        if self.terminated is not None and not self.terminated.done() and self.loop is not None:
            self.loop.call_later(0.01, self.terminate, "shutdown")
        return True


def _task_label(task: StreamTask) -> str:
    """Flink's task naming in log lines: ``name (2/4)#0 (execution id)``."""
    tdd = task.tdd
    return f"{tdd.task_name} ({tdd.subtask_index + 1}/{tdd.parallelism})#{tdd.attempt} ({tdd.execution_id})"

