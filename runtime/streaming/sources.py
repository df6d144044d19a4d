"""Source operators: chain heads of source tasks.

A source pushes whole batches into its chain through ``emit_batch``, which also does the
task's bookkeeping (buffer timeout, cancellation). ``bounded`` sources finish the task when
exhausted; unbounded ones run until cancelled.
"""
from __future__ import annotations

from time import monotonic
from typing import Any, Callable

from runtime.datastream.functions import SourceContext
from runtime.streaming.operators import StreamOperator

EmitBatch = Callable[[list, "list | None"], None]


class SourceOperator(StreamOperator):
    bounded = True
    #: WatermarkStrategy given to ``from_source``: applied inside the source, as in Flink
    watermark_strategy: Any = None

    def setup(self, ctx, output, side_outputs=None) -> None:
        super().setup(ctx, output, side_outputs)
        self._assigner = None
        strategy = self.watermark_strategy
        if strategy is not None and (strategy.kind != "none" or strategy.timestamp_assigner is not None):
            from runtime.streaming.process_operators import TimestampsAndWatermarksOperator
            interval = int((ctx.config or {}).get("pipeline.auto-watermark-interval", 200))
            self._assigner = TimestampsAndWatermarksOperator(f"{self.name} watermarks", strategy, interval)
            self._assigner.setup(ctx, output, side_outputs)
            from runtime.streaming.operators import with_row_names
            self.emit = with_row_names(self._assigner.process_batch, self.output_type)

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

    def process_batch(self, values, timestamps=None, keys=None):  # sources have no input
        raise RuntimeError("a source has no input")


class CollectionSourceOperator(SourceOperator):
    """``from_collection``: a non-parallel source over a list shipped with the job."""

    def __init__(self, name: str, values: list, output_type: Any = None) -> None:
        super().__init__(name)
        self.values = values
        self.output_type = output_type

    def run(self, emit_batch, batch_size):
        values = self.values
        for i in range(0, len(values), batch_size):
            emit_batch(values[i:i + batch_size], None)


class NumberSequenceSourceOperator(SourceOperator):
    """``NumberSequenceSource(start, end)``: the inclusive range split evenly over subtasks."""

    def __init__(self, name: str, start: int, end: int) -> None:
        super().__init__(name)
        self.start = start
        self.end = end

    def run(self, emit_batch, batch_size):
        rc = self.ctx.runtime_context
        idx, p = rc.get_index_of_this_subtask(), rc.get_number_of_parallel_subtasks()
        total = self.end - self.start + 1
        lo = self.start + total * idx // p
        hi = self.start + total * (idx + 1) // p
        for a in range(lo, hi, batch_size):
            emit_batch(list(range(a, min(a + batch_size, hi))), None)


class _BufferingSourceContext(SourceContext):
    """Buffers ``collect``ed records into batches. A batch goes out when full or, for slow
    sources, once ``linger`` seconds passed since the previous one, so a record never waits
    for a batch to fill."""

    def __init__(self, emit_batch: EmitBatch, batch_size: int, linger: float = 0.01,
                 watermark: Callable[[int], None] | None = None) -> None:
        self.emit_batch = emit_batch
        self._watermark = watermark
        self.batch_size = batch_size
        self.linger = linger
        self.values: list = []
        self.timestamps: list | None = None
        self.last = monotonic()

    def collect(self, element: Any) -> None:
        values = self.values
        values.append(element)
        if self.timestamps is not None:
            self.timestamps.append(None)
        if len(values) >= self.batch_size or monotonic() - self.last >= self.linger:
            self.flush()

    def collect_with_timestamp(self, element: Any, timestamp: int) -> None:
        if self.timestamps is None:
            self.timestamps = [None] * len(self.values)
        self.values.append(element)
        self.timestamps.append(timestamp)
        if len(self.values) >= self.batch_size or monotonic() - self.last >= self.linger:
            self.flush()

    def emit_watermark(self, watermark: Any) -> None:
        self.flush()
        if self._watermark is not None:
            ts = getattr(watermark, "timestamp", watermark)
            ts = ts() if callable(ts) else ts
            self._watermark(int(ts))

    def flush(self) -> None:
        self.last = monotonic()
        if self.values:
            values, ts = self.values, self.timestamps
            self.values, self.timestamps = [], None
            self.emit_batch(values, ts)


class SourceFunctionOperator(SourceOperator):
    """``add_source(SourceFunction)``: the user's ``run`` pushes records one by one; they are
    buffered into batches and flushed when full or when the buffer timeout passes."""

    def __init__(self, name: str, function_obj: Any, output_type: Any = None, bounded: bool = False) -> None:
        super().__init__(name)
        self.fn = function_obj
        self.functions = (function_obj,)
        self.output_type = output_type
        self.bounded = bounded
        self._ctx: _BufferingSourceContext | None = None

    def run(self, emit_batch, batch_size):
        self._ctx = _BufferingSourceContext(emit_batch, batch_size,
                                            watermark=lambda wm: self.output.emit_watermark(wm))
        self.fn.run(self._ctx)
        self._ctx.flush()

    def flush_pending(self) -> None:
        if self._ctx is not None:
            self._ctx.flush()

    def cancel(self) -> None:
        self.fn.cancel()
