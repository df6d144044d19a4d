"""CheckpointCoordinator (Flink's): triggers a job's checkpoints, collects the tasks'
acknowledgements and completes each checkpoint by writing its ``_metadata`` last.

A checkpoint is triggered at the tasks that have no running upstream task — the sources, and
(once bounded sources have finished) the tasks whose inputs have all ended — and is
acknowledged by every task that has not finished; finished subtasks are recorded as finished.
When all acknowledgements are in, the metadata (operators by uid with their state handles,
relative to the checkpoint directory) is written atomically, the checkpoint goes into the
completed checkpoint store (which keeps ``num-retained`` of them and deletes older ones), and
every task is notified, which is when two-phase-commit sinks commit. A checkpoint that does
not complete within ``execution.checkpointing.timeout``, or that a task declines, is aborted
and counted; more consecutive failures than ``tolerable-failed-checkpoints`` fail the job.
Savepoints are the same procedure with a target directory of their own; stop-with-savepoint
adds that the sources stop after it.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.checkpoint.checkpoint_config import CheckpointCoordinatorConfiguration
from runtime.checkpoint.completed_checkpoint_store import CompletedCheckpoint, FileCompletedCheckpointStore
from runtime.jobgraph.job_graph import JobGraph
from runtime.messages.checkpoint_messages import (
    CHECKPOINT_FORMAT_VERSION,
    CheckpointMetadata,
    CheckpointOptions,
    CheckpointType,
    OperatorState,
    OperatorSubtaskState,
    TaskStateSnapshot,
)
from runtime.messages.checkpoint_stats import CheckpointStatistics, CheckpointStatsEntry
from runtime.messages.codec import to_wire
from runtime.messages.ids import ExecutionAttemptID
from runtime.state.checkpoint_storage import CheckpointStorage

log = logging.getLogger(__name__)

#: checkpoints kept in the statistics history (as Flink's web.checkpoints.history default)
HISTORY_SIZE = 10


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class CheckpointPlan:
    """From the scheduler: whom to trigger, who must acknowledge, who has finished."""

    #: executions to trigger, with their TaskExecutorGateway
    trigger: list[tuple[ExecutionAttemptID, Any]]
    #: executions that must acknowledge: id -> (vertex id, subtask, gateway)
    ack: dict[ExecutionAttemptID, tuple[int, int, Any]]
    #: subtasks that have finished: (vertex id, subtask)
    finished: list[tuple[int, int]]


class CheckpointDeclinedError(Exception):
    pass


@dataclass
class PendingCheckpoint:
    options: CheckpointOptions
    plan: CheckpointPlan
    not_acked: set[ExecutionAttemptID]
    acks: dict[ExecutionAttemptID, TaskStateSnapshot] = field(default_factory=dict)
    future: asyncio.Future | None = None
    timer: asyncio.TimerHandle | None = None
    stats: CheckpointStatsEntry | None = None


class CheckpointCoordinator:
    def __init__(self, job_graph: JobGraph, config: CheckpointCoordinatorConfiguration,
                 store: FileCompletedCheckpointStore, plan: Callable[[], CheckpointPlan | None],
                 spawn: Callable[[Any], Any], on_failure: Callable[[str], Awaitable[None]]) -> None:
        self.job_graph = job_graph
        self.job_id = job_graph.job_id
        self.config = config
        self.store = store
        self.storage = CheckpointStorage(config.checkpoint_dir)
        self.plan = plan
        self.spawn = spawn
        self.on_failure = on_failure
        latest = store.latest()
        self.next_id = (latest.checkpoint_id + 1) if latest is not None else 1
        self.pending: dict[int, PendingCheckpoint] = {}
        self.consecutive_failures = 0
        self.last_completed_end = 0.0
        self.stats = CheckpointStatistics()
        self._periodic: asyncio.Task | None = None
        self._soon: asyncio.TimerHandle | None = None
        self.running = False

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Periodic checkpoints (the job's tasks are running)."""
        self.running = True
        if self.config.periodic and self._periodic is None:
            self._periodic = self.spawn(self._run_periodic())

    def stop(self, cause: str) -> None:
        """The job stops running (finished, failing, restarting, suspended)."""
        self.running = False
        if self._periodic is not None:
            self._periodic.cancel()
            self._periodic = None
        self.abort_all(cause)

    async def _run_periodic(self) -> None:
        interval = self.config.interval_ms / 1000.0
        await asyncio.sleep(interval)
        while self.running:
            pause = self.config.min_pause_ms / 1000.0 - (time.monotonic() - self.last_completed_end)
            if pause > 0:
                await asyncio.sleep(pause)
            if len(self.pending) < self.config.max_concurrent:
                self.spawn(self._trigger_quietly())
            await asyncio.sleep(interval)

    def trigger_soon(self) -> None:
        """Tasks finished: the ones after them may now be waiting for a final checkpoint."""
        if not self.config.periodic or not self.running or self._soon is not None:
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._soon = None
            if self.running and not self.pending:
                self.spawn(self._trigger_quietly())
        self._soon = loop.call_later(0.02, fire)

    def task_finished(self, execution_id: ExecutionAttemptID) -> None:
        """A task finished. A pending checkpoint still waiting for its acknowledgement cannot
        complete: the trigger reached the task as its input ended and was dropped with its
        mailbox. Abort it without counting it (as Flink does not count
        CHECKPOINT_DECLINED_TASK_CLOSING) and plan a new one, in which the task is finished;
        otherwise a sink waiting for a final checkpoint would wait for the timeout."""
        for cid, pending in list(self.pending.items()):
            if execution_id in pending.not_acked:
                self.spawn(self._abort(cid, f"task {execution_id} finished before it acknowledged checkpoint {cid}",
                                       count=False))
        self.trigger_soon()

    async def _trigger_quietly(self) -> None:
        try:
            await self.trigger(CheckpointType.CHECKPOINT)
        except CheckpointDeclinedError as exc:
            log.debug("checkpoint not triggered: %s", exc)

    # ------------------------------------------------------------------ triggering
    async def trigger(self, kind: CheckpointType, target: str | None = None, terminate: bool = False,
                      drain: bool = False) -> CompletedCheckpoint:
        """Start a checkpoint (or savepoint) and wait until it is complete."""
        plan = self.plan()
        if plan is None or not self.running:
            raise CheckpointDeclinedError("not all tasks of the job are running")
        if not plan.trigger:
            raise CheckpointDeclinedError("no task to trigger (every task has finished)")
        cid = self.next_id
        self.next_id += 1
        if kind is CheckpointType.SAVEPOINT:
            base = target or self.config.savepoint_dir
            if not base:
                raise CheckpointDeclinedError("no savepoint directory: give one, or set "
                                              "execution.checkpointing.savepoint-dir (state.savepoints.dir)")
            location = CheckpointStorage(base).savepoint_location(self.job_id)
        else:
            location = self.storage.checkpoint_location(self.job_id, cid)
        options = CheckpointOptions(cid, _now_ms(), location, kind, terminate, drain, self.config.exactly_once)
        loop = asyncio.get_running_loop()
        pending = PendingCheckpoint(options, plan, set(plan.ack), future=loop.create_future())
        pending.stats = CheckpointStatsEntry(cid, "IN_PROGRESS", kind is CheckpointType.SAVEPOINT, options.timestamp,
                                             num_subtasks=len(plan.ack) + len(plan.finished))
        self._record_stats(pending.stats, started=True)
        self.pending[cid] = pending
        pending.timer = loop.call_later(self.config.timeout_ms / 1000.0, lambda: self.spawn(
            self._abort(cid, f"checkpoint {cid} expired after {self.config.timeout_ms / 1000:g} s "
                             "(execution.checkpointing.timeout)")))
        log.info("triggering %s %d of job %s", kind.value.lower(), cid, self.job_id)
        for execution_id, gateway in plan.trigger:
            self.spawn(self._send_trigger(gateway, execution_id, options))
        if not pending.not_acked:
            await self._complete(pending)
        assert pending.future is not None
        return await asyncio.shield(pending.future)

    async def _send_trigger(self, gateway: Any, execution_id: ExecutionAttemptID, options: CheckpointOptions) -> None:
        try:
            found = await gateway.trigger_checkpoint(execution_id, options, timeout=10.0)
        except Exception as exc:
            found = False
            log.debug("triggering %s failed: %s", execution_id, exc)
        if not found:
            # The task is no longer running: it finished (a bounded source that ended after the
            # plan was made) or is being cancelled, which the scheduler handles. Not a failure of
            # the checkpoint to count against tolerable-failed-checkpoints (as Flink does not count
            # CHECKPOINT_DECLINED_TASK_NOT_READY); the next trigger plans again.
            await self._abort(options.checkpoint_id, f"task {execution_id} could not be triggered", count=False)

    # ------------------------------------------------------------------ acknowledgements
    async def receive_acknowledge(self, execution_id: ExecutionAttemptID, checkpoint_id: int,
                                  snapshot: TaskStateSnapshot) -> None:
        pending = self.pending.get(checkpoint_id)
        if pending is None or execution_id not in pending.not_acked:
            return  # late, or for an aborted checkpoint
        pending.not_acked.discard(execution_id)
        pending.acks[execution_id] = snapshot
        if pending.stats is not None:
            pending.stats.num_acknowledged_subtasks += 1
            pending.stats.latest_ack_timestamp = _now_ms()
            pending.stats.state_size += snapshot.size
        if not pending.not_acked:
            await self._complete(pending)

    async def receive_decline(self, execution_id: ExecutionAttemptID, checkpoint_id: int, reason: str) -> None:
        if checkpoint_id in self.pending:
            await self._abort(checkpoint_id, f"task {execution_id} declined checkpoint {checkpoint_id}: {reason}")

    async def _complete(self, pending: PendingCheckpoint) -> None:
        options = pending.options
        cid = options.checkpoint_id
        metadata = self._metadata(pending)
        data = json.dumps(to_wire(metadata), separators=(",", ":")).encode()
        try:
            await asyncio.get_running_loop().run_in_executor(None, CheckpointStorage.write_metadata,
                                                             options.location, data)
        except Exception as exc:
            await self._abort(cid, f"writing the metadata of checkpoint {cid} failed: {exc}")
            return
        if self.pending.pop(cid, None) is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        size = sum(s.size for s in pending.acks.values())
        completed = CompletedCheckpoint(cid, options.timestamp, options.location, size)
        if options.type is CheckpointType.CHECKPOINT:
            dropped = await asyncio.get_running_loop().run_in_executor(None, self.store.add, completed)
            for old in dropped:
                self.spawn(self._discard(old.location))
        self.consecutive_failures = 0
        self.last_completed_end = time.monotonic()
        if pending.stats is not None:
            pending.stats.status = "COMPLETED"
            pending.stats.external_path = options.location
            pending.stats.end_to_end_duration = _now_ms() - options.timestamp
            self._record_stats(pending.stats, completed=True)
        log.info("completed %s %d of job %s (%d bytes, %d ms) at %s", options.type.value.lower(), cid, self.job_id,
                 size, _now_ms() - options.timestamp, options.location)
        for execution_id, (_, _, gateway) in pending.plan.ack.items():
            self.spawn(self._notify(gateway, execution_id, cid, True))
        if pending.future is not None and not pending.future.done():
            pending.future.set_result(completed)

    async def _discard(self, location: str) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(None, CheckpointStorage.discard, location)
        except Exception as exc:
            log.warning("deleting checkpoint %s failed: %s", location, exc)

    async def _notify(self, gateway: Any, execution_id: ExecutionAttemptID, checkpoint_id: int, complete: bool) -> None:
        try:
            if complete:
                await gateway.notify_checkpoint_complete(execution_id, checkpoint_id, timeout=10.0)
            else:
                await gateway.notify_checkpoint_aborted(execution_id, checkpoint_id, timeout=10.0)
        except Exception as exc:
            log.debug("notifying %s of checkpoint %d failed: %s", execution_id, checkpoint_id, exc)

    async def _abort(self, checkpoint_id: int, reason: str, count: bool = True) -> None:
        pending = self.pending.pop(checkpoint_id, None)
        if pending is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        # one that a finished task could not take is not a failure (and is not counted): no warning
        log.log(logging.WARNING if count else logging.INFO, "%s %d of job %s aborted after %d ms (%d of %d tasks had "
                "acknowledged): %s", pending.options.type.value.lower(), checkpoint_id, self.job_id,
                _now_ms() - pending.options.timestamp, len(pending.acks), len(pending.acks) + len(pending.not_acked),
                reason)
        if pending.stats is not None:
            pending.stats.status = "FAILED"
            pending.stats.failure_message = reason
            self._record_stats(pending.stats, failed=True)
        for execution_id, (_, _, gateway) in pending.plan.ack.items():
            self.spawn(self._notify(gateway, execution_id, checkpoint_id, False))
        self.spawn(self._discard(pending.options.location))
        if pending.future is not None and not pending.future.done():
            pending.future.set_exception(CheckpointDeclinedError(reason))
            pending.future.exception()  # a periodic checkpoint's failure is logged, not raised
        if count and pending.options.type is CheckpointType.CHECKPOINT and self.running:
            self.consecutive_failures += 1
            if self.consecutive_failures > self.config.tolerable_failures:
                self.consecutive_failures = 0
                await self.on_failure(f"exceeded the checkpoint tolerable failure threshold "
                                      f"({self.config.tolerable_failures}): {reason}")

    def abort_all(self, cause: str) -> None:
        for cid in list(self.pending):
            self.spawn(self._abort(cid, cause, count=False))

    # ------------------------------------------------------------------ metadata
    def _metadata(self, pending: PendingCheckpoint) -> CheckpointMetadata:
        options = pending.options
        operators: dict[str, OperatorState] = {}
        by_vertex: dict[tuple[int, int], TaskStateSnapshot] = {}
        for execution_id, snapshot in pending.acks.items():
            vid, sub, _ = pending.plan.ack[execution_id]
            by_vertex[(vid, sub)] = snapshot
        finished = set(pending.plan.finished)
        for v in self.job_graph.vertices:
            uids = v.operator_uids or [str(i) for i in v.operator_ids]
            for uid, name in zip(uids, v.operators):
                state = operators[uid] = OperatorState(uid, name, v.parallelism, v.max_parallelism)
                for sub in range(v.parallelism):
                    entry = OperatorSubtaskState(sub, finished=(v.id, sub) in finished)
                    snap = by_vertex.get((v.id, sub))
                    if snap is not None:
                        for handles in snap.operators:
                            if handles.uid == uid:
                                entry.keyed, entry.operator = handles.keyed, handles.operator
                    state.subtasks.append(entry)
        return CheckpointMetadata(CHECKPOINT_FORMAT_VERSION, self.job_id, options.checkpoint_id, options.timestamp,
                                  options.type, list(operators.values()))

    # ------------------------------------------------------------------ statistics
    def _record_stats(self, entry: CheckpointStatsEntry, started: bool = False, completed: bool = False,
                      failed: bool = False) -> None:
        s = self.stats
        if started:
            s.total += 1
            s.in_progress += 1
            s.history.insert(0, entry)
            del s.history[HISTORY_SIZE:]
            return
        s.in_progress = max(0, s.in_progress - 1)
        if completed:
            s.completed += 1
            if entry.is_savepoint:
                s.latest_savepoint = entry
            else:
                s.latest_completed = entry
        if failed:
            s.failed += 1
            s.latest_failed = entry

    def restored_from(self, checkpoint_id: int, location: str) -> None:
        self.stats.restored += 1
        self.stats.restored_id = checkpoint_id
        self.stats.restored_path = location
        self.stats.restore_timestamp = _now_ms()
