"""StreamTask: one parallel subtask of one JobVertex, running its operator chain in a thread.

Life cycle (reported to the JobMaster as ExecutionState): INITIALIZING while the chain is
unpickled and wired to its result partitions and input gate, RUNNING while batches flow,
then FINISHED (input exhausted, end-of-partition sent), CANCELED or FAILED (with the user's
traceback). Operators are opened tail first and closed head first; every function that was
opened is closed, whatever happened.
"""
from __future__ import annotations

import copy
import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.common.job import ExecutionState
from runtime.io.network.elements import DATA, END_OF_PARTITION, IDLE, MAX_WATERMARK, MIN_WATERMARK, WATERMARK
from runtime.io.network.input_gate import InputChannel, InputGate
from runtime.io.network.network_environment import NetworkEnvironment, decode_buffer
from runtime.io.network.partition import ResultPartition, TaskCancelled
from runtime.io.network.record_writer import RecordWriter
from runtime.streaming.output import BroadcastingOutput, ChainingOutput, DiscardingOutput, Output
from runtime.streaming.runtime_context import StreamingRuntimeContext
from runtime.streaming.sources import SourceOperator

log = logging.getLogger(__name__)


@dataclass
class TaskContext:
    job_id: str
    task_name: str
    subtask_index: int
    parallelism: int
    max_parallelism: int
    attempt: int
    runtime_context: StreamingRuntimeContext
    config: dict = field(default_factory=dict)
    keyed_state_backend: Any = None
    #: ships job data (collected results) to the JobMaster: publish(kind, payload)
    publish: Callable[[str, Any], None] = lambda kind, payload: None


class StreamTask:
    def __init__(self, tdd: dict, network: NetworkEnvironment, resource_id: str,
                 on_state: Callable[[str, ExecutionState, str | None], None],
                 load_chain: Callable[[bytes], Any], credits: int = 4,
                 publish: Callable[[str, Any], None] | None = None) -> None:
        self.tdd = tdd
        self.execution_id: str = tdd["execution_id"]
        self.network = network
        self.resource_id = resource_id
        self.on_state = on_state
        self.load_chain = load_chain
        self.credits = credits
        self.publish = publish or (lambda kind, payload: None)
        self.cancelled = False
        self.state = ExecutionState.DEPLOYING
        self.thread = threading.Thread(target=self._run, name=f"task {tdd['task_name']}", daemon=True)
        self.writers: list[RecordWriter] = []
        self.operators: list[Any] = []
        self.source: SourceOperator | None = None
        self._remote_receivers: list[tuple[str, bytes]] = []
        cfg = tdd.get("config") or {}
        self.batch_size = int(cfg.get("execution.batch-size", 1000))
        self.buffer_timeout = float(cfg.get("execution.buffer-timeout", 100)) / 1000.0
        self.thread_hook: Callable[[], None] | None = None
        self.tickers: list[Any] = []
        self._idle = False

    def start(self) -> None:
        self.thread.start()

    def is_cancelled(self) -> bool:
        return self.cancelled

    def cancel(self) -> None:
        if self.state.is_terminal():
            return
        self.cancelled = True
        if self.source is not None:
            try:
                self.source.cancel()
            except Exception:  # noqa: BLE001 - a failing cancel() must not stop the cancellation
                log.warning("cancel() of source in %s failed", self.tdd["task_name"], exc_info=True)

    def _set_state(self, state: ExecutionState, error: str | None = None) -> None:
        self.state = state
        self.on_state(self.execution_id, state, error)

    # ------------------------------------------------------------------ thread body
    def _run(self) -> None:
        if self.thread_hook is not None:
            self.thread_hook()
        error: str | None = None
        final = ExecutionState.FINISHED
        opened = False
        try:
            self._set_state(ExecutionState.INITIALIZING)
            gate = self._build()
            for op in reversed(self.operators):
                op.open()
            opened = True
            if self.cancelled:
                raise TaskCancelled()
            self._set_state(ExecutionState.RUNNING)
            if self.source is not None:
                self._run_source()
            else:
                self._run_input(gate)
            if self.cancelled:
                raise TaskCancelled()
            self._end_of_input()
        except TaskCancelled:
            final = ExecutionState.CANCELED
        except BaseException as exc:  # noqa: BLE001 - everything a user function raises fails the task
            if self.cancelled:
                final = ExecutionState.CANCELED
            else:
                final = ExecutionState.FAILED
                error = _describe(exc, self.tdd["task_name"])
        finally:
            close_error = self._close_operators() if opened or self.operators else None
            if close_error and final == ExecutionState.FINISHED:
                final, error = ExecutionState.FAILED, close_error
            if self._remote_receivers:
                # forget this task's remote channels (and tell producers that still send)
                self.network.cancel_receivers(self._remote_receivers)
            self._set_state(final, error)

    def _close_operators(self) -> str | None:
        error = None
        for op in self.operators:
            try:
                op.close()
            except BaseException as exc:  # noqa: BLE001
                error = error or _describe(exc, self.tdd["task_name"])
        return error

    # ------------------------------------------------------------------ wiring
    def _build(self) -> InputGate | None:
        tdd = self.tdd
        chain = self.load_chain(tdd["chain"])
        rc = StreamingRuntimeContext(tdd["task_name"], tdd["subtask_index"], tdd["parallelism"], tdd.get("attempt", 0),
                            tdd.get("max_parallelism", 128), tdd["job_id"], tdd.get("job_parameters"))
        ctx = TaskContext(tdd["job_id"], tdd["task_name"], tdd["subtask_index"], tdd["parallelism"],
                          tdd.get("max_parallelism", 128), tdd.get("attempt", 0), rc, tdd.get("config") or {},
                          publish=self.publish)
        self.ctx = ctx
        writers: dict[int, RecordWriter] = {}
        for out in tdd["outputs"]:
            partition = ResultPartition(out["partition_id"], out["num_subpartitions"], self.credits)
            self.network.register_partition(partition)
            writers[out["edge"]] = RecordWriter(chain.partitioners[out["edge"]], partition.subpartitions,
                                                self.batch_size, self.is_cancelled, tdd["subtask_index"])
        self.writers = list(writers.values())
        nodes = chain.nodes
        ops = [node.operator for node in nodes]
        for i in range(len(nodes) - 1, -1, -1):
            node = nodes[i]
            output = _combine([ChainingOutput(ops[j]) for j in node.chained] + [writers[e] for e in node.edges])
            tags = set(node.side_chained) | set(node.side_edges)
            side = {tag: _combine([ChainingOutput(ops[j]) for j in node.side_chained.get(tag, [])]
                                  + [writers[e] for e in node.side_edges.get(tag, [])]) for tag in tags}
            ops[i].setup(ctx, output, side)
        self.operators = ops
        self.head = ops[0]
        self._setup_keyed_state(ops, rc, ctx)
        self.tickers = [op for op in ops if hasattr(op, "on_tick")]
        if isinstance(self.head, SourceOperator):
            self.source = self.head
            return None
        channels: list[InputChannel] = []
        for inp in tdd["inputs"]:
            for ch in inp["channels"]:
                channels.append(InputChannel(len(channels), inp.get("input_index", 0), ch["partition_id"],
                                             ch["subpartition"]))
        gate = InputGate(channels)
        i = 0
        for inp in tdd["inputs"]:
            for ch in inp["channels"]:
                self._connect(gate, channels[i], ch)
                i += 1
        return gate

    def _setup_keyed_state(self, ops: list[Any], rc: StreamingRuntimeContext, ctx: TaskContext) -> None:
        """One heap backend per task, owning this subtask's key-group range; every keyed
        operator gets a RuntimeContext whose state is scoped to that operator."""
        if not any(op.keyed for op in ops):
            return
        from runtime.state.heap_keyed_state_backend import HeapKeyedStateBackend
        from runtime.state.key_groups import key_group_range
        backend = HeapKeyedStateBackend(ctx.max_parallelism,
                                        key_group_range(ctx.max_parallelism, ctx.parallelism, ctx.subtask_index))
        ctx.keyed_state_backend = backend
        for op in ops:
            if op.keyed:
                op_rc = copy.copy(rc)
                op_rc._state_backend = backend.for_namespace(op.operator_id or op.name)
                op.runtime_context = op_rc

    def _connect(self, gate: InputGate, channel: InputChannel, desc: dict) -> None:
        if desc["location"] == self.resource_id:
            def attach(partition: ResultPartition, channel=channel) -> None:
                sp = partition.subpartitions[channel.subpartition]
                channel.release = sp.release_one
                sp.attach_local(gate, channel.index)
            self.network.partition_manager.when_available(channel.partition_id, attach)
        else:
            address = desc["address"]
            receiver = f"{self.execution_id}:{channel.index}".encode()
            network = self.network
            channel.release = _CreditReturner(network, address, receiver, max(1, self.credits // 4))
            self._remote_receivers.append((address, receiver))
            network.request_remote(address, receiver, channel.partition_id, channel.subpartition,
                                   self.credits, gate, channel.index)

    # ------------------------------------------------------------------ running
    def flush_outputs(self) -> None:
        for w in self.writers:
            w.flush()

    def _next_tick(self) -> float | None:
        """Earliest wall-clock time (ms) an operator wants to be woken (timers, watermarks)."""
        deadlines = [d for d in (op.next_deadline() for op in self.tickers) if d is not None]
        return min(deadlines) if deadlines else None

    def _tick(self, now: int) -> None:
        for op in self.tickers:
            d = op.next_deadline()
            if d is not None and d <= now:
                op.on_tick(now)

    def _run_source(self) -> None:
        head = self.head
        emit = head.emit
        timeout = self.buffer_timeout
        state = {"last": time.monotonic()}
        flush = self.flush_outputs

        tickers = bool(self.tickers)

        def emit_batch(values: list, timestamps: list | None) -> None:
            if self.cancelled:
                raise TaskCancelled()
            if values:
                emit(values, timestamps, None)
            if tickers:
                now_ms = int(time.time() * 1000)
                nxt = self._next_tick()
                if nxt is not None and nxt <= now_ms:
                    self._tick(now_ms)
            now = time.monotonic()
            if now - state["last"] >= timeout or not values:
                flush()
                state["last"] = now

        self.source.run(emit_batch, self.batch_size)

    def _run_input(self, gate: InputGate) -> None:
        head = self.head
        processors = (head.process_batch, getattr(head, "process_batch2", head.process_batch))
        channels = gate.channels
        q = gate.queue
        get_nowait, get = q.get_nowait, q.get
        loads = decode_buffer
        open_channels = len(channels)
        timeout = self.buffer_timeout
        last_flush = time.monotonic()
        current_wm = MIN_WATERMARK
        tickers = bool(self.tickers)
        next_tick = self._next_tick() if tickers else None
        batch_mode = (self.tdd.get("config") or {}).get("execution.runtime-mode") == "BATCH"
        while open_channels:
            try:
                ch, item = get_nowait()
            except queue.Empty:
                self.flush_outputs()
                last_flush = time.monotonic()
                while True:
                    wait = 0.1
                    if next_tick is not None:
                        now_ms = int(time.time() * 1000)
                        if next_tick <= now_ms:
                            self._tick(now_ms)
                            self.flush_outputs()
                            next_tick = self._next_tick()
                            continue
                        wait = min(wait, (next_tick - now_ms) / 1000.0)
                    try:
                        ch, item = get(timeout=wait)
                        break
                    except queue.Empty:
                        if self.cancelled:
                            raise TaskCancelled() from None
            channel = channels[ch]
            channel.release()
            if type(item) is not tuple:
                item = loads(item)
            kind = item[0]
            if kind == DATA:
                processors[channel.input_index](item[1], item[2], item[3])
                now = time.monotonic()
                if now - last_flush >= timeout:
                    self.flush_outputs()
                    last_flush = now
            elif kind == WATERMARK:
                if batch_mode and item[1] != MAX_WATERMARK:
                    continue  # BATCH: time only moves at the end of input
                channel.watermark = item[1]
                if channel.idle:
                    channel.idle = False
                    self._update_idle(channels)
                current_wm = self._advance_watermark(channels, current_wm)
            elif kind == IDLE:
                channel.idle = item[1]
                self._update_idle(channels)
                current_wm = self._advance_watermark(channels, current_wm)
            elif kind == END_OF_PARTITION:
                channel.finished = True
                channel.watermark = MAX_WATERMARK
                open_channels -= 1
                if open_channels:
                    current_wm = self._advance_watermark(channels, current_wm)
            if self.cancelled:
                raise TaskCancelled()
            if tickers:
                next_tick = self._next_tick()
                if next_tick is not None:
                    now_ms = int(time.time() * 1000)
                    if next_tick <= now_ms:
                        self._tick(now_ms)
                        next_tick = self._next_tick()

    def _update_idle(self, channels: list[InputChannel]) -> None:
        """Forward idleness: this task is idle when every open input channel is."""
        idle = all(c.idle for c in channels if not c.finished)
        if idle != self._idle:
            self._idle = idle
            self.head.process_idle(idle)

    def _advance_watermark(self, channels: list[InputChannel], current: int) -> int:
        # idle channels do not hold the watermark back; finished ones count with their final
        # (maximum) watermark, so a finished input beside idle ones still lets time advance
        live = [c.watermark for c in channels if c.finished or not c.idle]
        if not live:
            return current
        wm = min(live)
        if wm > current:
            self.head.process_watermark(wm)
            return wm
        return current

    def _end_of_input(self) -> None:
        for op in self.operators:
            op.end_input()
        self.head.process_watermark(MAX_WATERMARK)
        for w in self.writers:
            w.end()


class _CreditReturner:
    """Gives consumed buffers' credits back to a remote producer in small groups (a quarter
    of the channel's credits), so the network thread is woken once per group rather than
    once per buffer; the producer always keeps most of its credits, so it never stalls."""

    __slots__ = ("network", "address", "receiver", "group", "owed")

    def __init__(self, network: NetworkEnvironment, address: str, receiver: bytes, group: int) -> None:
        self.network = network
        self.address = address
        self.receiver = receiver
        self.group = group
        self.owed = 0

    def __call__(self) -> None:
        self.owed += 1
        if self.owed >= self.group:
            self.network.add_credit(self.address, self.receiver, self.owed)
            self.owed = 0


def _combine(outs: list[Output]) -> Output:
    return outs[0] if len(outs) == 1 else BroadcastingOutput(outs) if outs else DiscardingOutput()


_RUNTIME_DIR = __file__.rsplit("/streaming/", 1)[0]


def _describe(exc: BaseException, task_name: str) -> str:
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
