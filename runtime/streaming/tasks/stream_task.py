"""StreamTask (Flink's): one parallel subtask of one JobVertex, run in a thread of its own.

The task thread owns everything of the task: it builds the operator chain, opens it, runs
the mailbox loop (the default action processes input, a batch at a time; between batches
it runs the actions other threads put into the task's mailbox and fires due timers), ends
the input, and closes the chain. Life cycle, reported as ExecutionState: INITIALIZING
while the chain is loaded and wired to its result partitions and input gate, RUNNING while
records flow, then FINISHED, CANCELED or FAILED (with the user's traceback).

Cancelling (``cancel``, from any thread) puts a cancel action into the mailbox, calls the
source's ``cancel()``, wakes the task if it waits, and makes blocking writes give up;
``interrupt`` then raises into user code that does not return (see TaskInterrupter).
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from runtime.common.job import ExecutionState
from runtime.deployment.task_deployment_descriptor import InputChannelDeploymentDescriptor, TaskDeploymentDescriptor
from runtime.io.network.elements import MAX_WATERMARK
from runtime.io.network.input_gate import InputChannel, InputGate
from runtime.io.network.network_environment import NetworkEnvironment
from runtime.io.network.partition import ResultPartition, TaskCancelled
from runtime.io.network.record_writer import RecordWriter
from runtime.messages.checkpoint_messages import CheckpointOptions
from runtime.messages.ids import ExecutionAttemptID, ResourceID
from runtime.metrics.io_metrics import IOMetrics
from runtime.metrics.task_metric_group import TaskMetricGroup
from runtime.streaming.io.stream_input_processor import WAKEUP_ITEM, InputStatus, StreamInputProcessor, barrier_item
from runtime.streaming.tasks.mailbox import Mailbox
from runtime.streaming.tasks.operator_chain import OperatorChain
from runtime.streaming.tasks.runtime_context import StreamingRuntimeContext
from runtime.streaming.tasks.subtask_checkpoint_coordinator import (
    OperatorSnapshot,
    TaskStateRestorer,
    snapshot_operator,
)
from runtime.streaming.tasks.task_config import TaskConfig
from runtime.streaming.tasks.task_context import TaskContext
from runtime.streaming.tasks.task_interrupter import TaskInterrupted, TaskInterrupter

log = logging.getLogger(__name__)

StateListener = Callable[[ExecutionAttemptID, ExecutionState, "str | None"], None]

#: longest the task waits for input before it looks at its mailbox and timers again
_MAX_WAIT = 0.1


class StreamTask:
    def __init__(self, tdd: TaskDeploymentDescriptor, network: NetworkEnvironment, resource_id: ResourceID,
                 on_state: StateListener, load_chain: Callable[[bytes], Any], credits: int = 4,
                 publish: Callable[[str, Any], None] | None = None, metrics: TaskMetricGroup | None = None) -> None:
        self.tdd = tdd
        #: the task's metric group (Flink's TaskMetricGroup), None without metrics
        self.metrics = metrics
        self.execution_id = tdd.execution_id
        self.network = network
        self.resource_id = resource_id
        self.on_state = on_state
        self.load_chain = load_chain
        self.credits = credits
        self.publish = publish
        self.task_config = TaskConfig.from_job_config(tdd.config)
        self.canceled = False
        self.state = ExecutionState.DEPLOYING
        self.mailbox = Mailbox()
        self.interrupter = TaskInterrupter()
        self.thread = threading.Thread(target=self._run, name=f"task {tdd.task_name}", daemon=True)
        self.chain: OperatorChain | None = None
        self.input: StreamInputProcessor | None = None
        self._remote_receivers: list[tuple[str, bytes]] = []
        #: runs first in the task thread (the TaskExecutor binds the thread's printed output)
        self.thread_hook: Callable[[], None] | None = None
        self.finished = threading.Event()
        #: set by the TaskExecutor: write a snapshot's files and acknowledge (off this thread)
        self.checkpoint_responder: Callable[[CheckpointOptions, list[OperatorSnapshot]], None] | None = None
        #: set by the TaskExecutor: tell the JobMaster this task cannot take a checkpoint
        self.checkpoint_decliner: Callable[[int, str], None] | None = None
        self._last_snapshot_id = -1
        self._last_completed_id = -1
        #: stop-with-savepoint: the source stops once this savepoint is complete
        self._stop_with: CheckpointOptions | None = None
        #: set when this source stopped for a savepoint: "drain" or "no-drain"
        self._stop_mode: str | None = None
        self._wakeup_event = threading.Event()

    # ------------------------------------------------------------------ control (any thread)
    def start(self) -> None:
        self.thread.start()

    def is_cancelled(self) -> bool:
        return self.canceled

    def cancel(self) -> None:
        """Ask the task to stop: through its mailbox between batches, at once for a task
        blocked on backpressure or waiting for input. Returns immediately."""
        if self.state.is_terminal() or self.canceled:
            return
        self.canceled = True
        try:
            self.mailbox.put(_raise_cancelled, "cancel")
        except Exception:  # mailbox closed: the task is ending anyway
            pass
        chain = self.chain
        if chain is not None and chain.is_source:
            try:
                chain.head.cancel()
            except Exception:  # a failing cancel() must not stop the cancellation
                log.warning("cancel() of the source of %s failed", self.tdd.task_name, exc_info=True)

    def interrupt(self) -> bool:
        """Raise into the task's threads that still run user code (after ``cancel``)."""
        return self.interrupter.interrupt()

    def is_done(self) -> bool:
        return self.finished.is_set()

    # ------------------------------------------------------------------ checkpoints (any thread)
    def trigger_checkpoint(self, options: CheckpointOptions) -> None:
        """The JobMaster triggers this task (a source, or a task whose inputs all ended)."""
        self._put(lambda: self._checkpoint(options), f"trigger checkpoint {options.checkpoint_id}")

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        self._put(lambda: self._notify_complete(checkpoint_id), f"checkpoint {checkpoint_id} complete")

    def notify_checkpoint_aborted(self, checkpoint_id: int) -> None:
        self._put(lambda: self._notify_aborted(checkpoint_id), f"checkpoint {checkpoint_id} aborted")

    def _put(self, action: Callable[[], None], description: str) -> None:
        try:
            self.mailbox.put(action, description)
        except Exception:  # the task has ended
            pass

    # ------------------------------------------------------------------ thread body
    def _run(self) -> None:
        outcome: tuple[ExecutionState, str | None] | None = None
        while True:
            try:
                if outcome is None:
                    try:
                        self._invoke()
                        outcome = (ExecutionState.FINISHED, None)
                    except BaseException as exc:
                        outcome = self._classify(exc)
                self.interrupter.disarm()
                break
            except TaskInterrupted:  # arrived while leaving the protected region: try again
                if outcome is None:
                    outcome = (ExecutionState.CANCELED, None)
        self._cleanup(*outcome)

    def _classify(self, exc: BaseException) -> tuple[ExecutionState, str | None]:
        if self.canceled or isinstance(exc, (TaskCancelled, TaskInterrupted)):
            return ExecutionState.CANCELED, None
        return ExecutionState.FAILED, describe_failure(exc, self.tdd.task_name)

    def _cleanup(self, final: ExecutionState, error: str | None) -> None:
        try:
            chain = self.chain
            if chain is not None:
                close_error = chain.close()
                if close_error is not None and final == ExecutionState.FINISHED:
                    final, error = ExecutionState.FAILED, describe_failure(close_error, self.tdd.task_name)
            if self._remote_receivers:
                # forget this task's remote channels (and tell producers that still send)
                self.network.cancel_receivers(self._remote_receivers)
            self.mailbox.close()
        except BaseException:  # never leave without reporting the final state
            log.exception("clean-up of %s failed", self.tdd.task_name)
        finally:
            if self.metrics is not None:
                self.metrics.io.end()
            self.state = final
            self.finished.set()
            self.on_state(self.execution_id, final, error)

    def io_metrics(self) -> IOMetrics | None:
        """The task's figures (final once it has ended)."""
        return self.metrics.io.io_metrics() if self.metrics is not None else None

    def _set_state(self, state: ExecutionState) -> None:
        self.state = state
        self.on_state(self.execution_id, state, None)

    def _invoke(self) -> None:
        if self.thread_hook is not None:
            self.thread_hook()
        self._set_state(ExecutionState.INITIALIZING)
        chain = self._build()
        # interrupts only from here on: loading the chain imports modules, and an exception
        # raised inside the import machinery could leave a module lock held for good
        self.interrupter.arm()
        self._check_cancelled()
        restore = self.tdd.restore
        if restore is not None and restore.finished:
            # finished in the checkpoint it is restored from: it has nothing more to emit
            self._set_state(ExecutionState.RUNNING)
            chain.end_outputs()
            return
        backend = self.ctx.keyed_state_backend
        restorer = TaskStateRestorer(restore) if restore is not None else None
        for op in chain.operators:
            if restorer is not None:
                restorer.restore_keyed(op, backend)
            op.initialize_state(restorer.operator_states(op) if restorer is not None else None)
        chain.open()
        if restorer is not None:
            for op in chain.operators:
                restorer.restore_timers(op, backend)
        if not chain.is_source:
            # after open: operators may pick their batch method there (BATCH mode, fast paths)
            self.input = StreamInputProcessor(self.gate, chain.head, self.task_config.batch_mode,
                                              self.task_config.buffer_timeout, chain.flush, self.mailbox,
                                              self._checkpoint, self._decline,
                                              self.metrics.io if self.metrics is not None else None,
                                              chain.head_metrics)
        self._check_cancelled()
        if self.metrics is not None:
            self.metrics.io.start()
        self._set_state(ExecutionState.RUNNING)
        if chain.is_source:
            self._run_source(chain)
        else:
            self._run_mailbox_loop(chain)
        self._check_cancelled()
        self._end(chain)

    def _end(self, chain: OperatorChain) -> None:
        """The input has ended. Unless the job stops with a savepoint without draining,
        operators finish (end_input, final watermark). A chain with a two-phase-commit sink
        then waits for a checkpoint that covers everything it wrote to complete (with
        checkpointing on), so its output is committed exactly once, before its partitions end."""
        stop = self._stop_mode or (self.input.stop_mode if self.input is not None else None)
        if stop != "no-drain":
            chain.end_operators()
        if stop is None:
            if chain.needs_final_checkpoint and self.task_config.checkpointing:
                after = self._last_snapshot_id
                self._wait_until(lambda: self._last_completed_id > after)
        elif stop == "drain":
            # the job ends with the savepoint: nothing checkpoints what was flushed after it
            for op in chain.operators:
                op.finish_without_checkpoint()
        elif chain.needs_final_checkpoint and self._last_snapshot_id > self._last_completed_id:
            target = self._last_snapshot_id
            self._wait_until(lambda: self._last_completed_id >= target)
        chain.end_outputs(stop)

    def _wait_until(self, done: Callable[[], bool]) -> None:
        """Run mail (checkpoint triggers and notifications) until ``done``."""
        mailbox = self.mailbox
        while True:
            self._wakeup_event.clear()
            if mailbox.has_mail:
                mailbox.run_all()
            if done():
                return
            if self.canceled:
                raise TaskCancelled()
            self._wakeup_event.wait(_MAX_WAIT)

    # ------------------------------------------------------------------ checkpoints (task thread)
    def _checkpoint(self, options: CheckpointOptions) -> None:
        """Take this task's part of a checkpoint: last words, barrier out, state copied."""
        chain = self.chain
        if chain is None or self.state is not ExecutionState.RUNNING:
            self._decline(options.checkpoint_id, "the task is not running")
            return
        try:
            for op in chain.operators:
                op.prepare_snapshot_pre_barrier(options)
            if options.drain and chain.is_source:
                chain.head.process_watermark(MAX_WATERMARK)
            chain.broadcast_event(barrier_item(options))
            backend = self.ctx.keyed_state_backend
            snapshots = [snapshot_operator(op, backend, options) for op in chain.operators]
        except (TaskCancelled, TaskInterrupted):
            raise
        except Exception as exc:
            for op in chain.operators:
                abort = getattr(op, "abort_snapshot", None)
                if abort is not None:
                    abort()
            log.warning("checkpoint %d of %s failed: %s", options.checkpoint_id, self.tdd.task_name, exc,
                        exc_info=True)
            self._decline(options.checkpoint_id, f"{type(exc).__name__}: {exc}")
            return
        self._last_snapshot_id = max(self._last_snapshot_id, options.checkpoint_id)
        if options.terminate and chain.is_source:
            self._stop_with = options
        if self.checkpoint_responder is not None:
            self.checkpoint_responder(options, snapshots)

    def _decline(self, checkpoint_id: int, reason: str) -> None:
        if self.checkpoint_decliner is not None:
            self.checkpoint_decliner(checkpoint_id, reason)

    def _notify_complete(self, checkpoint_id: int) -> None:
        chain = self.chain
        if chain is None:
            return
        for op in chain.operators:
            op.notify_checkpoint_complete(checkpoint_id)
        self._last_completed_id = max(self._last_completed_id, checkpoint_id)

    def _notify_aborted(self, checkpoint_id: int) -> None:
        if self.input is not None:
            self.input.abort_checkpoint(checkpoint_id)
        if self._stop_with is not None and self._stop_with.checkpoint_id == checkpoint_id:
            self._stop_with = None  # stop-with-savepoint failed: the job goes on
        if self.chain is not None:
            for op in self.chain.operators:
                op.notify_checkpoint_aborted(checkpoint_id)

    def _check_cancelled(self) -> None:
        if self.mailbox.has_mail:
            self.mailbox.run_all()
        if self.canceled:
            raise TaskCancelled()

    # ------------------------------------------------------------------ wiring
    def _build(self) -> OperatorChain:
        tdd = self.tdd
        spec = self.load_chain(tdd.chain)
        rc = StreamingRuntimeContext(tdd.task_name, tdd.subtask_index, tdd.parallelism, tdd.attempt,
                                     tdd.max_parallelism, str(tdd.job_id), tdd.job_parameters)
        ctx = TaskContext(str(tdd.job_id), tdd.task_name, tdd.subtask_index, tdd.parallelism, tdd.max_parallelism,
                          tdd.attempt, rc, self.task_config, user_threads=self.interrupter.user_threads,
                          thread_hook=self.thread_hook, metrics=self.metrics)
        if self.publish is not None:
            ctx.publish = self.publish
        self.ctx = ctx
        writers: dict[int, RecordWriter] = {}
        io = self.metrics.io if self.metrics is not None else None
        subpartitions: list[Any] = []
        for out in tdd.outputs:
            partition = ResultPartition(out.partition_id, out.num_subpartitions, self.credits)
            for sp in partition.subpartitions:
                sp.io = io
            subpartitions.extend(partition.subpartitions)
            self.network.register_partition(partition)
            writers[out.edge] = RecordWriter(spec.partitioners[out.edge], partition.subpartitions,
                                             self.task_config.batch_size, self.is_cancelled, tdd.subtask_index)
        if io is not None and subpartitions:
            capacity = sum(sp.capacity for sp in subpartitions)
            io.output_queues = lambda: (sum(sp.queued() for sp in subpartitions), capacity)
        chain = OperatorChain(spec, writers, ctx)
        self.chain = chain
        event = self._wakeup_event
        if chain.is_source:
            head_wakeup = getattr(chain.head, "wakeup", _nothing)

            def wake_source() -> None:
                event.set()
                head_wakeup()
            self.mailbox.set_wakeup(wake_source)
            return chain
        channels: list[InputChannel] = []
        descriptors: list[InputChannelDeploymentDescriptor] = []
        for gate_desc in tdd.inputs:
            for ch in gate_desc.channels:
                channels.append(InputChannel(len(channels), gate_desc.input_index, ch.partition_id, ch.subpartition))
                descriptors.append(ch)
        gate = InputGate(channels)
        for channel, desc in zip(channels, descriptors):
            self._connect(gate, channel, desc)
        self.gate = gate
        if io is not None:
            in_capacity = max(1, len(channels)) * self.credits
            io.input_queue = lambda: (gate.queue.qsize(), in_capacity)

        def wake() -> None:
            event.set()
            gate.queue.put(WAKEUP_ITEM)
        self.mailbox.set_wakeup(wake)
        return chain

    def _connect(self, gate: InputGate, channel: InputChannel, desc: InputChannelDeploymentDescriptor) -> None:
        if desc.location == self.resource_id:
            def attach(partition: ResultPartition, channel: InputChannel = channel) -> None:
                sp = partition.subpartitions[channel.subpartition]
                channel.release = sp.release_one
                sp.attach_local(gate, channel.index)
            self.network.partition_manager.when_available(channel.partition_id, attach)
        else:
            receiver = f"{self.execution_id}:{channel.index}".encode()
            network = self.network
            channel.release = _CreditReturner(network, desc.address, receiver, self.credits)
            self._remote_receivers.append((desc.address, receiver))
            network.request_remote(desc.address, receiver, channel.partition_id, channel.subpartition,
                                   self.credits, gate, channel.index)

    # ------------------------------------------------------------------ running
    def _fire_timers(self, chain: OperatorChain) -> int | None:
        """Fire what is due; returns the next deadline (ms) or None."""
        nxt = chain.next_deadline()
        if nxt is not None:
            now_ms = int(time.time() * 1000)
            if nxt <= now_ms:
                chain.tick(now_ms)
                nxt = chain.next_deadline()
        return nxt

    def _run_mailbox_loop(self, chain: OperatorChain) -> None:
        """The mailbox loop of a task with network input: mail, input, timers, and waiting
        (outputs flushed first) when there is nothing to do."""
        processor = self.input
        assert processor is not None
        mailbox = self.mailbox
        tickers = bool(chain.tickers)
        next_tick = chain.next_deadline() if tickers else None
        process_input = processor.process_input
        io = self.metrics.io if self.metrics is not None else None
        while True:
            if mailbox.has_mail:
                mailbox.run_all()
            status = process_input()
            if tickers:
                next_tick = self._fire_timers(chain)
            if status is InputStatus.MORE_AVAILABLE:
                continue
            if status is InputStatus.END_OF_INPUT:
                return
            chain.flush()
            processor.flushed()
            wait = _MAX_WAIT
            if next_tick is not None:
                wait = max(0.0, min(wait, next_tick / 1000.0 - time.time()))
            if wait > 0 and not mailbox.has_mail:
                if io is None:
                    processor.await_input(wait)
                else:  # idle time: the task waits for input
                    start = io.idle_since = time.monotonic()
                    processor.await_input(wait)
                    io.idle_since = None
                    io.idle_ms += (time.monotonic() - start) * 1000.0

    def _run_source(self, chain: OperatorChain) -> None:
        """A source pushes batches; between two of them (and whenever it has nothing) the
        task runs its mail, fires timers and flushes its buffers."""
        head = chain.head
        emit = head.emit
        mailbox = self.mailbox
        timeout = self.task_config.buffer_timeout
        last_flush = [time.monotonic()]
        tickers = bool(chain.tickers)
        flush = chain.flush

        def emit_batch(values: list, timestamps: list | None) -> None:
            # records first, then mail: a source counts a batch into its position before it
            # hands it over, so a snapshot taken by the mail covers exactly what was emitted
            if values:
                emit(values, timestamps, None)
            if mailbox.has_mail:
                mailbox.run_all()
                if self._stop_with is not None:
                    self._await_stop()
            if tickers:
                self._fire_timers(chain)
            now = time.monotonic()
            if not values or now - last_flush[0] >= timeout:
                flush()
                last_flush[0] = now

        try:
            head.run(emit_batch, self.task_config.batch_size)
        except _SourceStopped as stop:
            self._stop_mode = "drain" if isinstance(stop, _SourceFinished) else "no-drain"

    def _await_stop(self) -> None:
        """Stop-with-savepoint: the source emits nothing more; once the savepoint is complete
        the task ends (without end_input when not draining). If it is aborted, the source
        goes on."""
        options = self._stop_with
        assert options is not None
        self._wait_until(lambda: self._stop_with is None or self._last_completed_id >= options.checkpoint_id)
        if self._stop_with is not None:
            raise _SourceFinished() if options.drain else _SourceStopped()


def _raise_cancelled() -> None:
    raise TaskCancelled()


class _SourceStopped(Exception):
    """Unwinds a source's loop when the job stops with a savepoint (no end_input)."""


class _SourceFinished(_SourceStopped):
    """Unwinds a source's loop when the job stops with a drained savepoint (end_input)."""


def _nothing() -> None:
    return None


class _CreditReturner:
    """Gives consumed buffers' credits back to a remote producer in small groups (a quarter
    of the channel's credits). A group is handed to the network thread without waking it
    (it sends the credits on its next turn, which the next buffer it receives starts); only
    once half of the channel's credits were returned that way is the thread woken. So at
    most half the window waits for a turn, and a producer out of credits always has at
    least the other half in flight to this consumer, whose consumption ends the wait."""

    __slots__ = ("address", "group", "lazy", "network", "owed", "receiver", "urgent_at")

    def __init__(self, network: NetworkEnvironment, address: str, receiver: bytes, credits: int) -> None:
        self.network = network
        self.address = address
        self.receiver = receiver
        self.group = max(1, credits // 4)
        self.urgent_at = max(1, credits // 2)
        self.owed = 0
        self.lazy = 0

    def __call__(self) -> None:
        self.owed += 1
        if self.owed >= self.group:
            lazy = self.lazy + self.owed
            urgent = lazy >= self.urgent_at
            self.network.add_credit(self.address, self.receiver, self.owed, urgent)
            self.lazy = 0 if urgent else lazy
            self.owed = 0


_RUNTIME_DIR = __file__.rsplit("/streaming/", 1)[0]


def describe_failure(exc: BaseException, task_name: str) -> str:
    """The user's exception with a traceback of the user's own frames (the engine's frames
    between them say nothing to the user); all frames if none are the user's."""
    root = exc
    while root.__cause__ is not None:  # an engine error wrapping the user's: show the user's frames
        root = root.__cause__
    frames = traceback.extract_tb(root.__traceback__)
    user = [f for f in frames if not f.filename.startswith(_RUNTIME_DIR)]
    shown = traceback.StackSummary.from_list(user or frames)
    tb = "Traceback (most recent call last):\n" + "".join(shown.format())
    tb += "".join(traceback.format_exception_only(type(root), root))
    return f"{type(exc).__name__}: {exc}\n(in task '{task_name}')\n{tb}"
