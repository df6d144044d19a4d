"""DefaultScheduler (Flink's): runs one job's ExecutionGraph.

It owns the executions and the job's status: CREATED while the job waits for its slots,
RUNNING once its tasks are deployed, then FINISHED when every task finished, or FAILING →
FAILED / CANCELLING → CANCELED once every task has stopped. It deploys executions into the
slots the JobMaster hands it (one subtask of every vertex of a slot sharing group per
slot), applies the task state updates TaskManagers report, and cancels.

A task failure or a lost TaskManager goes through ``_handle_failure``: the job's restart
strategy decides. If it may restart, the job goes RESTARTING: every task is cancelled, the
strategy's pause passes, and a new attempt of every task (attempt numbers increase) is
deployed from the latest completed checkpoint (Flink's full-graph failover); when the
strategy gives up, the job FAILS with the failure as its root cause.

The scheduler talks to TaskManagers only through their TaskExecutorGateway, which the
JobMaster provides per slot. It logs every change of the job's status with its cause ("job ...
switched to RESTARTING (from RUNNING): ..."), of each task's state (Flink's "... switched from
RUNNING to FINISHED"), each deployment ("Deploying ... to ... with allocation id ...") and each
restart decision.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from runtime.checkpoint.checkpoint_coordinator import CheckpointPlan
from runtime.common.job import ExecutionState, JobStatus
from runtime.deployment.task_deployment_descriptor import JobMasterAddress
from runtime.jobgraph.job_graph import JobGraph
from runtime.messages.archived_execution_graph import ExceptionHistoryEntry
from runtime.messages.checkpoint_messages import TaskRestore
from runtime.messages.ids import AllocationID, ExecutionAttemptID, ResourceID
from runtime.messages.job_messages import JobDetails, JobDetailsInfo, JobVertexDetails, SubtaskDetails
from runtime.scheduler.exception_history import ExceptionHistory
from runtime.scheduler.execution_graph import Execution, ExecutionGraph
from runtime.scheduler.restart_backoff_time_strategy import NoRestartBackoffTimeStrategy, RestartBackoffTimeStrategy

log = logging.getLogger(__name__)

#: the JobManager waits this much longer than the TaskManager's own watchdog
STUCK_TASK_MARGIN = 2.0


@dataclass(frozen=True)
class SlotAssignment:
    """A slot the JobMaster holds: where it is and how to reach its TaskManager."""

    allocation_id: AllocationID
    resource_id: ResourceID
    index: int
    data_address: str
    gateway: Any  # TaskExecutorGateway of the slot's TaskManager


def _now_ms() -> int:
    return int(time.time() * 1000)


class DefaultScheduler:
    def __init__(self, job_graph: JobGraph, jobmaster: JobMasterAddress,
                 on_status: Callable[[JobStatus, str | None], None],
                 on_terminal: Callable[[JobStatus], Awaitable[None]],
                 spawn: Callable[[Coroutine[Any, Any, None]], Any] | None = None,
                 cancellation_timeout: float = 0.0,
                 on_stuck_task: Callable[[ResourceID, str], Awaitable[None]] | None = None,
                 restart_strategy: RestartBackoffTimeStrategy | None = None,
                 on_restart: Callable[[], Awaitable[None]] | None = None,
                 exception_history_size: int = 16) -> None:
        self.job_graph = job_graph
        self.job_id = job_graph.job_id
        self.jobmaster = jobmaster
        self.on_status = on_status
        self.on_terminal = on_terminal
        self.graph = ExecutionGraph(job_graph)
        self.status = JobStatus.CREATED
        self.start_time = _now_ms()
        self.status_times: dict[JobStatus, int] = {JobStatus.INITIALIZING: self.start_time,
                                                   JobStatus.CREATED: self.start_time}
        self.end_time = -1
        self.failure: str | None = None
        self.slots: dict[AllocationID, SlotAssignment] = {}
        self.deployed = False
        #: runs a background coroutine owned by the JobMaster
        self.spawn = spawn or asyncio.ensure_future
        #: a cancelled task still running this long after its TaskManager's own watchdog should
        #: have ended it means the TaskManager cannot act (a task holds its interpreter)
        self.cancellation_timeout = cancellation_timeout
        self.on_stuck_task = on_stuck_task
        self.restart_strategy = restart_strategy or NoRestartBackoffTimeStrategy()
        #: the JobMaster's part of a restart (restore state, slots, deploy)
        self.on_restart = on_restart
        self.num_restarts = 0
        #: the state each subtask starts from: (vertex id, subtask) -> TaskRestore
        self.restores: dict[tuple[int, int], TaskRestore] = {}
        #: every failure the scheduler handled, for REST /jobs/:id/exceptions
        self.exception_history = ExceptionHistory(exception_history_size)
        self._terminal = asyncio.Event()

    # ------------------------------------------------------------------ status
    def _transition(self, status: JobStatus, cause: str | None = None) -> None:
        if status is self.status:
            return
        previous, self.status = self.status, status
        self.status_times[status] = _now_ms()
        # the cause of FAILING and RESTARTING in full (the task's traceback), else its first line
        failing = status in (JobStatus.FAILING, JobStatus.RESTARTING)
        text = (cause or "").strip()
        if not failing:
            text = text.splitlines()[0] if text else ""
        log.log(logging.WARNING if failing else logging.INFO, "job %s (%s) switched to %s (from %s)%s", self.job_id,
                self.job_graph.name, status.name, previous.name, f": {text}" if text else "")
        self.on_status(status, cause)

    def _set_execution_state(self, ex: Execution, state: ExecutionState) -> None:
        previous = ex.state
        ex.transition(state)
        if previous is not state:
            where = f" on {ex.resource_id}" if ex.resource_id is not None and state is not ExecutionState.SCHEDULED \
                else ""
            cause = (ex.failure or "").strip().splitlines()[:1] if state is ExecutionState.FAILED else []
            log.info("%s (%s) switched from %s to %s%s%s", _execution_label(ex), ex.attempt_id, previous.name,
                     state.name, where, f": {cause[0]}" if cause else ".")

    # ------------------------------------------------------------------ scheduling
    def start_scheduling(self) -> None:
        """Create the executions; they wait (SCHEDULED) until the slots are there."""
        for ex in self.graph.new_attempt():
            self._set_execution_state(ex, ExecutionState.SCHEDULED)

    @property
    def awaiting_slots(self) -> bool:
        """The executions are scheduled and wait for slots to be deployed into."""
        return not self.deployed and self.status in (JobStatus.CREATED, JobStatus.RESTARTING) and \
            all(ex.state is ExecutionState.SCHEDULED for ex in self.graph.executions.values())

    async def deploy(self, slots: list[SlotAssignment]) -> None:
        """Every slot the job needs is there: assign executions and submit them."""
        if not self.awaiting_slots:
            return
        self.deployed = True
        self.slots = {s.allocation_id: s for s in slots}
        ordered = sorted(slots, key=lambda s: (s.resource_id.value, s.index))
        groups = self.job_graph.slot_sharing_groups()
        offset, group_offset = 0, {}
        for g in sorted(groups):
            group_offset[g] = offset
            offset += groups[g]
        for ex in self.graph.executions.values():
            slot = ordered[group_offset[ex.vertex.job_vertex.slot_sharing_group] + ex.vertex.subtask]
            ex.resource_id, ex.allocation_id = slot.resource_id, slot.allocation_id
        locations = {s.resource_id: s.data_address for s in slots}
        self._transition(JobStatus.RUNNING)
        calls = []
        for ex in self.graph.executions.values():
            if ex.state != ExecutionState.SCHEDULED:
                continue
            tdd = self.graph.deployment_descriptor(ex, locations, self.jobmaster)
            tdd.restore = self.restores.get((ex.vertex.job_vertex.id, ex.vertex.subtask))
            self._set_execution_state(ex, ExecutionState.DEPLOYING)
            assert ex.allocation_id is not None
            log.info("Deploying %s (attempt #%d) with attempt id %s to %s with allocation id %s",
                     _execution_label(ex), ex.attempt, ex.attempt_id, ex.resource_id, ex.allocation_id)
            calls.append(self._submit(self.slots[ex.allocation_id].gateway, ex, tdd))
        await asyncio.gather(*calls)

    async def _submit(self, gateway: Any, ex: Execution, tdd: Any) -> None:
        try:
            await gateway.submit_task(tdd, timeout=30.0)
        except Exception as exc:
            await self._execution_failed(ex, f"deployment of {ex.vertex.task_name} "
                                             f"({ex.vertex.subtask + 1}) to {ex.resource_id} failed: {exc}")

    # ------------------------------------------------------------------ task states
    async def update_task_execution_state(self, execution_id: ExecutionAttemptID, state: ExecutionState,
                                          error: str | None) -> bool:
        ex = self.graph.executions.get(execution_id)
        if ex is None or ex.state.is_terminal():
            return False
        if state == ExecutionState.FAILED:
            await self._execution_failed(ex, error or "task failed")
            return True
        self._set_execution_state(ex, state)
        await self._check_job_state()
        return True

    async def _execution_failed(self, ex: Execution, error: str) -> None:
        if ex.state.is_terminal():
            return
        ex.failure = error
        self._set_execution_state(ex, ExecutionState.FAILED)
        host, port = self.location(ex)
        v = ex.vertex
        entry = ExceptionHistory.entry(
            error, f"{v.task_name} ({v.subtask + 1}/{v.job_vertex.parallelism}) - execution #{ex.attempt}",
            f"{host}:{port}" if host else None, str(ex.resource_id) if ex.resource_id else None)
        await self._handle_failure(error, entry)

    def location(self, ex: Execution) -> tuple[str, int]:
        """The host and data port of the TaskManager ``ex`` was deployed to (("", 0): none)."""
        slot = self.slots.get(ex.allocation_id) if ex.allocation_id is not None else None
        if slot is None:
            return "", 0
        rest = slot.data_address.split("://", 1)[-1]
        host, _, port = rest.rpartition(":")
        return (host.strip("[]"), int(port)) if port.isdigit() else (rest, 0)

    async def _handle_failure(self, cause: str, entry: ExceptionHistoryEntry | None = None) -> None:
        """The failover decision: restart (all tasks, from the latest checkpoint) if the restart
        strategy allows it, else fail the job. ``entry`` is the failure's exception history entry
        (a global failure's if None)."""
        entry = entry or ExceptionHistory.entry(cause)
        if self.status in (JobStatus.CREATED, JobStatus.RUNNING):
            self.exception_history.add_root(entry)
            self.restart_strategy.notify_failure()
            if self.restart_strategy.can_restart():
                await self._restart(cause)
            else:
                if self.num_restarts:
                    cause = f"{cause}\n(the restart strategy gave up after {self.num_restarts} restart(s): " \
                            f"{self.restart_strategy.describe()})"
                await self._fail(cause)
        else:
            self.exception_history.add_concurrent(entry)
            await self._check_job_state()

    async def _restart(self, cause: str) -> None:
        self.failure = cause
        self._transition(JobStatus.RESTARTING, cause)
        await self._cancel_executions()
        while not self.graph.all_terminal():
            self._terminal.clear()
            await self._terminal.wait()
        delay = self.restart_strategy.backoff_ms()
        log.info("job %s: every task stopped; restart %d in %d ms (%s)", self.job_id, self.num_restarts + 1, delay,
                 self.restart_strategy.describe())
        if delay:
            await asyncio.sleep(delay / 1000.0)
        if self.status is not JobStatus.RESTARTING:
            return  # cancelled or suspended meanwhile
        self.num_restarts += 1
        self.failure = None
        self.deployed = False
        self.start_scheduling()
        log.info("restarting job %s (attempt %d)", self.job_id, self.graph.attempt)
        if self.on_restart is not None:
            await self.on_restart()

    async def fail(self, cause: str) -> None:
        """A global failure that ends the job (no slots, a state restore that failed)."""
        if self.status.is_terminal_state() or self.status in (JobStatus.FAILING, JobStatus.CANCELLING):
            return
        self.exception_history.add_root(ExceptionHistory.entry(cause))
        await self._fail(cause)

    async def _fail(self, cause: str) -> None:
        if self.status.is_terminal_state() or self.status in (JobStatus.FAILING, JobStatus.CANCELLING):
            return
        self.failure = cause
        self._transition(JobStatus.FAILING, cause)
        await self._cancel_executions()
        await self._check_job_state()

    async def cancel(self) -> None:
        if self.status.is_terminal_state() or self.status is JobStatus.CANCELLING:
            return
        self._transition(JobStatus.CANCELLING)
        await self._cancel_executions()
        await self._check_job_state()

    # ------------------------------------------------------------------ checkpoints
    async def handle_checkpoint_failure(self, cause: str) -> None:
        """Too many failed checkpoints: a job failure like any other (the restart strategy
        decides)."""
        if self.status is JobStatus.RUNNING:
            await self._handle_failure(f"CheckpointException: {cause}")

    def checkpoint_plan(self) -> CheckpointPlan | None:
        """Whom a checkpoint is triggered at and who acknowledges it (None: not every task
        runs yet). Triggered: running tasks none of whose producers runs any more — the
        sources, and tasks whose inputs have all ended (Flink's checkpoints after tasks finish)."""
        if self.status is not JobStatus.RUNNING or not self.deployed:
            return None
        execs = list(self.graph.executions.values())
        if any(ex.state not in (ExecutionState.RUNNING, ExecutionState.FINISHED) for ex in execs):
            return None
        trigger, ack, finished = [], {}, []
        for ex in execs:
            v, sub = ex.vertex.job_vertex, ex.vertex.subtask
            if ex.state is ExecutionState.FINISHED:
                finished.append((v.id, sub))
                continue
            assert ex.allocation_id is not None
            slot = self.slots.get(ex.allocation_id)
            if slot is None:
                return None
            ack[ex.attempt_id] = (v.id, sub, slot.gateway)
            producers = self.graph.producers_of(ex)
            if all(p.state is ExecutionState.FINISHED for p in producers):
                trigger.append((ex.attempt_id, slot.gateway))
        return CheckpointPlan(trigger, ack, finished)

    async def suspend(self) -> None:
        """Stop the tasks without recording an end: the job stays to be recovered."""
        if self.status.is_terminal_state():
            return
        self._transition(JobStatus.SUSPENDED)
        self.end_time = _now_ms()
        await self._cancel_executions()

    async def _cancel_executions(self) -> None:
        calls = []
        for ex in self.graph.executions.values():
            if ex.state.is_terminal():
                continue
            slot = self.slots.get(ex.allocation_id) if ex.allocation_id is not None else None
            if ex.state in (ExecutionState.CREATED, ExecutionState.SCHEDULED) or slot is None:
                self._set_execution_state(ex, ExecutionState.CANCELED)
                continue
            self._set_execution_state(ex, ExecutionState.CANCELING)
            calls.append(self._cancel_one(slot.gateway, ex))
        await asyncio.gather(*calls)

    async def _cancel_one(self, gateway: Any, ex: Execution) -> None:
        if self.cancellation_timeout > 0 and self.on_stuck_task is not None:
            self.spawn(self._watch_cancellation(ex))
        try:
            found = await gateway.cancel_task(ex.attempt_id, timeout=5.0)
            if not found and not ex.state.is_terminal():
                self._set_execution_state(ex, ExecutionState.CANCELED)
        except Exception as exc:
            # no answer: the TaskManager is gone or frozen; the watchdog or its heartbeat
            # timeout decides
            log.warning("cancelling %s on %s failed: %s", ex.attempt_id, ex.resource_id, exc)
        await self._check_job_state()

    async def _watch_cancellation(self, ex: Execution) -> None:
        """Flink's TaskCancelerWatchDog, from the JobManager's side: the TaskManager ends
        itself when a task ignores cancellation, unless the task holds the interpreter (a long
        C call), in which case nothing in that process can run; then its JobManager ends it."""
        await asyncio.sleep(self.cancellation_timeout + STUCK_TASK_MARGIN)
        if ex.state.is_terminal() or ex.resource_id is None or self.on_stuck_task is None:
            return
        cause = (f"task '{ex.vertex.task_name}' ({ex.vertex.subtask + 1}/{ex.vertex.job_vertex.parallelism}) did not "
                 f"stop within task.cancellation.timeout ({self.cancellation_timeout:g} s) and its TaskManager "
                 "does not respond")
        log.error("%s; terminating TaskManager %s", cause, ex.resource_id)
        await self.on_stuck_task(ex.resource_id, cause)

    async def _check_job_state(self) -> None:
        if self.graph.all_terminal():
            self._terminal.set()
        if self.status.is_terminal_state() or not self.graph.all_terminal():
            return
        if self.status is JobStatus.FAILING:
            final = JobStatus.FAILED
        elif self.status is JobStatus.CANCELLING:
            final = JobStatus.CANCELED
        elif all(ex.state == ExecutionState.FINISHED for ex in self.graph.executions.values()):
            final = JobStatus.FINISHED
        else:
            return
        self.end_time = _now_ms()
        self._transition(final, self.failure if final is JobStatus.FAILED else None)
        await self.on_terminal(final)

    # ------------------------------------------------------------------ TaskManager loss
    async def task_manager_lost(self, resource_id: ResourceID, cause: str) -> None:
        lost = [a for a, s in self.slots.items() if s.resource_id == resource_id]
        for a in lost:
            del self.slots[a]
        for ex in list(self.graph.executions.values()):
            if ex.resource_id == resource_id and not ex.state.is_terminal():
                if self.status in (JobStatus.CANCELLING, JobStatus.SUSPENDED):
                    self._set_execution_state(ex, ExecutionState.CANCELED)
                else:
                    await self._execution_failed(ex, f"TaskManager {resource_id} was lost: {cause}")
        await self._check_job_state()

    # ------------------------------------------------------------------ queries
    def job_details(self, name: str) -> JobDetails:
        return JobDetails(self.job_id, name, self.status, self.start_time, self.end_time, self.graph.task_counts())

    def details_info(self, name: str) -> JobDetailsInfo:
        vertices = []
        for vid, v in sorted(self.graph.vertices.items()):
            subtasks = [SubtaskDetails(ev.subtask, ev.current.state if ev.current else ExecutionState.CREATED,
                                       ev.current.attempt if ev.current else 0,
                                       ev.current.resource_id if ev.current else None)
                        for ev in self.graph.execution_vertices[vid]]
            vertices.append(JobVertexDetails(vid, v.name, v.parallelism, _vertex_state(subtasks), subtasks, v.hex_id))
        return JobDetailsInfo(self.job_details(name), self.failure, vertices, dict(self.status_times),
                              self.job_graph.plan_json)


def _vertex_state(subtasks: list[SubtaskDetails]) -> ExecutionState:
    """A vertex's state as Flink aggregates it: the least advanced of its subtasks'."""
    order = [ExecutionState.FAILED, ExecutionState.CANCELING, ExecutionState.CANCELED, ExecutionState.CREATED,
             ExecutionState.SCHEDULED, ExecutionState.DEPLOYING, ExecutionState.INITIALIZING,
             ExecutionState.RUNNING, ExecutionState.FINISHED]
    states = {s.status for s in subtasks}
    for state in order:
        if state in states:
            return state
    return ExecutionState.CREATED


def _execution_label(ex: Execution) -> str:
    """Flink's task naming in log lines: ``name (2/4)``."""
    return f"{ex.vertex.task_name} ({ex.vertex.subtask + 1}/{ex.vertex.job_vertex.parallelism})"
