"""Source operators: chain heads of source tasks.

A source pushes whole batches into its chain through ``emit_batch``, which also does the
task's bookkeeping (buffer timeout, cancellation). ``bounded`` sources finish the task when
exhausted; unbounded ones run until cancelled.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from runtime.streaming.operators import StreamOperator

EmitBatch = Callable[[list, "list | None"], None]


class SourceOperator(StreamOperator):
    bounded = True
    #: the task runs a source operator as the head of its chain (it has no input gate)
    is_source = True
    #: WatermarkStrategy given to ``from_source``: applied inside the source, as in Flink
    watermark_strategy: Any = None
    #: PyFlink's sources are Java: a typed source's records reach every consumer converted
    #: by their type (``runtime.common.type_conversion``)
    converts_output = True
    #: the records were converted when the job was defined (from_collection): emit them as they are
    values_converted = False

    def setup(self, ctx, output, side_outputs=None) -> None:
        super().setup(ctx, output, side_outputs)
        if self.values_converted:
            self.emit = output.emit
        self._assigner = None
        strategy = self.watermark_strategy
        if strategy is not None and (strategy.kind != "none" or strategy.timestamp_assigner is not None):
            from runtime.streaming.process_operators import TimestampsAndWatermarksOperator
            interval = ctx.task_config.auto_watermark_interval_ms
            self._assigner = TimestampsAndWatermarksOperator(f"{self.name} watermarks", strategy, interval)
            self._assigner.setup(ctx, output, side_outputs)
            from runtime.streaming.operators import converting_emit
            self.emit = converting_emit(self._assigner.process_batch,
                                        None if self.values_converted else self.output_type, self.name)

    def open(self) -> None:
        if self._assigner is not None:
            self._assigner.open()
        super().open()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._assigner is not None:
                self._assigner.close()

    def next_deadline(self):
        return self._assigner.next_deadline() if self._assigner is not None else None

    def on_tick(self, now: int) -> None:
        if self._assigner is not None:
            self._assigner.on_tick(now)

    def process_watermark(self, watermark: int) -> None:
        if self._assigner is not None:
            self._assigner.process_watermark(watermark)
        else:
            super().process_watermark(watermark)

    def run(self, emit_batch: EmitBatch, batch_size: int) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        pass

    def wakeup(self) -> None:
        """The task has mail: a source waiting for its input should call ``emit_batch`` soon
        (any thread may call this)."""

    def process_batch(self, values, timestamps=None, keys=None):  # sources have no input
        raise RuntimeError("a source has no input")


class CollectionSourceOperator(SourceOperator):
    """``from_collection``: a non-parallel source over a list shipped with the job. The
    values were converted by their type when the job was defined (``from_collection``), so
    they are emitted as they are."""

    values_converted = True

    def __init__(self, name: str, values: list, output_type: Any = None) -> None:
        super().__init__(name)
        self.values = values
        self.output_type = output_type

    #: records emitted so far (the source's position, part of every checkpoint)
    offset = 0

    def initialize_state(self, states):
        super().initialize_state(states)
        restored = (states or {}).get("offset")
        self.offset = max(restored) if restored else 0

    def snapshot_state(self, options):
        out = super().snapshot_state(options) or {}
        out["offset"] = ("UNION", [self.offset])
        return out

    def run(self, emit_batch, batch_size):
        values = self.values
        for i in range(self.offset, len(values), batch_size):
            batch = values[i:i + batch_size]
            self.offset = i + len(batch)   # counted before it is emitted: see StreamTask's emit_batch
            emit_batch(batch, None)


class NumberSequenceSourceOperator(SourceOperator):
    """``NumberSequenceSource(start, end)``: the inclusive range split evenly over subtasks."""

    def __init__(self, name: str, start: int, end: int) -> None:
        super().__init__(name)
        self.start = start
        self.end = end

    #: the ranges [next, end) this subtask still has to emit (its position in checkpoints)
    ranges: list | None = None

    def initialize_state(self, states):
        super().initialize_state(states)
        restored = (states or {}).get("ranges")
        if states is not None and "ranges" in states:
            self.ranges = [list(r) for r in restored or []]
        else:
            rc = self.ctx.runtime_context
            idx, p = rc.get_index_of_this_subtask(), rc.get_number_of_parallel_subtasks()
            total = self.end - self.start + 1
            self.ranges = [[self.start + total * idx // p, self.start + total * (idx + 1) // p]]

    def snapshot_state(self, options):
        out = super().snapshot_state(options) or {}
        out["ranges"] = ("SPLIT", [tuple(r) for r in self.ranges or [] if r[0] < r[1]])
        return out

    def run(self, emit_batch, batch_size):
        if self.ranges is None:
            self.initialize_state(None)
        assert self.ranges is not None
        for r in self.ranges:
            while r[0] < r[1]:
                a = r[0]
                b = min(a + batch_size, r[1])
                r[0] = b
                emit_batch(list(range(a, b)), None)


class _Stamped:
    """A record collected with a timestamp (only used once a source uses timestamps)."""
    __slots__ = ("value", "timestamp")

    def __init__(self, value: Any, timestamp: Any) -> None:
        self.value = value
        self.timestamp = timestamp


class _Control:
    """A watermark or idleness mark from the source, in order with its records."""
    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: Any) -> None:
        self.kind = kind
        self.value = value


class _SourceThreadContext:
    """``ctx`` of a SourceFunction, used from the source's own thread.

    ``collect`` appends to a deque (append/popleft are atomic, so no lock per record); the
    task thread drains it in batches, so a record is never stranded in a half-full batch
    while the source sleeps. The deque is bounded: a full one makes ``collect`` wait
    (backpressure). The source wakes the task thread only when that thread said it is idle.
    """

    def __init__(self, limit: int) -> None:
        self.records: deque = deque()
        self.limit = limit
        self.space = threading.Event()
        self.ready = threading.Event()
        self.task_idle = False     # hint set by the task thread; read without a lock
        self.special = False       # timestamps or control items were appended
        self.closed = False
        self.lock = threading.RLock()

    def _after_append(self) -> None:
        if self.task_idle:
            self.ready.set()
        if len(self.records) >= self.limit:
            while len(self.records) >= self.limit:
                if self.closed:
                    # the task has ended (cancelled): a source that keeps emitting after its
                    # cancel() is stopped here instead of filling memory
                    raise SourceClosedError("the source's task has ended; emitting is no longer possible")
                self.space.clear()
                if len(self.records) >= self.limit:
                    self.space.wait(0.1)

    def collect(self, element: Any) -> None:
        self.records.append(element)
        if self.task_idle or len(self.records) >= self.limit:
            self._after_append()

    def collect_with_timestamp(self, element: Any, timestamp: int) -> None:
        self.special = True
        self.records.append(_Stamped(element, timestamp))
        self._after_append()

    def emit_watermark(self, watermark: Any) -> None:
        ts = getattr(watermark, "timestamp", watermark)
        ts = ts() if callable(ts) else ts
        self.special = True
        self.records.append(_Control("watermark", int(ts)))
        self._after_append()

    def mark_as_temporarily_idle(self) -> None:
        self.special = True
        self.records.append(_Control("idle", True))
        self._after_append()

    def get_checkpoint_lock(self) -> Any:
        """Flink's checkpoint lock: a source that updates its own position together with
        ``collect`` under this lock gets snapshots consistent with what it emitted (the task
        holds it while it drains the queue and snapshots the function)."""
        return self.lock


class SourceClosedError(Exception):
    """Raised into a SourceFunction that keeps emitting after its task ended."""


class SourceFunctionOperator(SourceOperator):
    """``add_source(SourceFunction)``: the user's ``run`` runs in a thread of its own (as
    Flink's legacy sources do), so the task thread stays free to flush buffers, emit
    periodic watermarks, detect idleness and fire timers while the source blocks or sleeps."""

    def __init__(self, name: str, function_obj: Any, output_type: Any = None, bounded: bool = False) -> None:
        super().__init__(name)
        self.fn = function_obj
        self.functions = (function_obj,)
        self.output_type = output_type
        self.bounded = bounded
        self._ctx: _SourceThreadContext | None = None

    def prepare_snapshot_pre_barrier(self, options) -> None:
        """Under the checkpoint lock: everything the function collected goes out before the
        barrier; the lock is held until the function's state is snapshotted."""
        ctx = self._ctx
        if ctx is None:
            return
        # A source may hold the lock across many collect() calls and wait there for room in
        # the full queue: keep emitting what it collected until it lets go of the lock, so
        # the two threads never wait for each other. Records drained here precede the
        # barrier, and the snapshot taken under the lock covers them.
        while not ctx.lock.acquire(timeout=0.005):
            if ctx.records:
                self._drain(ctx, self._emit_direct, ctx.records.popleft, len(ctx.records))
                ctx.space.set()
        self._locked = True
        emit_batch = self._emit_batch
        while ctx.records and emit_batch is not None:
            self._drain(ctx, self._emit_direct, ctx.records.popleft, len(ctx.records))
        ctx.space.set()

    def _emit_direct(self, values, timestamps) -> None:
        if values:
            self.emit(values, timestamps, None)

    def snapshot_state(self, options):
        try:
            return super().snapshot_state(options)
        finally:
            self.abort_snapshot()

    def abort_snapshot(self) -> None:
        """Release the checkpoint lock (after the snapshot, or when it failed)."""
        if getattr(self, "_locked", False):
            self._locked = False
            assert self._ctx is not None
            self._ctx.lock.release()

    _emit_batch = None

    def run(self, emit_batch, batch_size):
        self._emit_batch = emit_batch
        ctx = self._ctx = _SourceThreadContext(limit=max(4 * batch_size, 64))
        failure: list[BaseException] = []
        done = threading.Event()

        def source_main() -> None:
            try:
                if self.ctx.thread_hook is not None:
                    self.ctx.thread_hook()
                self.fn.run(ctx)
            except BaseException as exc:  # noqa: BLE001 - handed to the task thread
                failure.append(exc)
            finally:
                done.set()
                ctx.ready.set()

        thread = threading.Thread(target=source_main, name=f"source {self.name}", daemon=True)
        self.ctx.user_threads.append(thread)  # interrupted with the task when it is cancelled
        records = ctx.records
        popleft = records.popleft
        thread.start()
        try:
            while True:
                n = len(records)
                if n:
                    self._drain(ctx, emit_batch, popleft, min(n, batch_size))
                    ctx.space.set()
                    continue
                if done.is_set():
                    if records:
                        continue
                    break
                ctx.ready.clear()
                ctx.task_idle = True
                if not records and not done.is_set():
                    ctx.ready.wait(0.01)
                ctx.task_idle = False
                if not records:
                    emit_batch([], None)  # idle: flush buffers, let timers and watermarks tick
            if failure:
                raise failure[0]
        finally:
            ctx.closed = True
            ctx.space.set()
            if thread.is_alive():
                try:
                    self.fn.cancel()
                except Exception:  # noqa: BLE001 - best effort; the thread is a daemon
                    pass
                thread.join(timeout=1.0)

    def _drain(self, ctx: _SourceThreadContext, emit_batch, popleft, n: int) -> None:
        if not ctx.special:
            emit_batch([popleft() for _ in range(n)], None)
            return
        values: list = []
        stamps: list = []
        for _ in range(n):
            item = popleft()
            t = type(item)
            if t is _Stamped:
                values.append(item.value)
                stamps.append(item.timestamp)
            elif t is _Control:
                if values:
                    emit_batch(values, stamps if any(x is not None for x in stamps) else None)
                    values, stamps = [], []
                if item.kind == "watermark":
                    if not self.ctx.task_config.batch_mode:
                        self.output.emit_watermark(item.value)  # BATCH: only the final one counts
                else:
                    self.output.emit_idle(True)
            else:
                values.append(item)
                stamps.append(None)
        if values:
            emit_batch(values, stamps if any(x is not None for x in stamps) else None)

    def cancel(self) -> None:
        self.fn.cancel()

    def wakeup(self) -> None:
        ctx = self._ctx
        if ctx is not None:
            ctx.ready.set()
