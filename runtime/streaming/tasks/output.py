"""Outputs connect an operator to what follows it: a chained operator, several, or the network.

``emit(values, timestamps, keys)`` hands a whole batch on; for a chained operator it *is*
that operator's ``process_batch`` (no extra call layer on the hot path).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.metrics.metric_group import Counter
from runtime.metrics.task_io_metrics import OperatorIOMetrics, counted


class Output:
    emit: Callable[[list, list | None, list | None], None]

    def emit_watermark(self, watermark: int) -> None:
        raise NotImplementedError

    def emit_idle(self, idle: bool) -> None:
        """Watermark status: this output's stream is (no longer) idle."""

    def flush(self) -> None:
        pass

    def end(self, stop: str | None = None) -> None:
        """Input is exhausted (or the job stops): send end-of-partition downstream."""

    def chained_operator(self) -> Any | None:
        """The one operator this output hands records to in the same chain, if there is one
        (whether records pass it converted depends on it: see ``operators.typed_emit``)."""
        return None


class ChainingOutput(Output):
    """Into a chained operator; with ``metrics``, counts the records into it (a batch at a
    time) and notes its input watermark."""

    def __init__(self, operator: Any, metrics: OperatorIOMetrics | None = None) -> None:
        self.operator = operator
        self.metrics = metrics
        self.emit = operator.process_batch if metrics is None else counted(operator.process_batch, metrics.records_in)

    def chained_operator(self) -> Any | None:
        return self.operator

    def emit_watermark(self, watermark: int) -> None:
        if self.metrics is not None:
            self.metrics.input_watermark = watermark
        self.operator.process_watermark(watermark)

    def emit_idle(self, idle: bool) -> None:
        self.operator.process_idle(idle)


class BroadcastingOutput(Output):
    """An operator feeding several chained operators and/or network edges."""

    def __init__(self, outputs: list[Output]) -> None:
        self.outputs = outputs
        emits = [o.emit for o in outputs]

        def emit(values: list, timestamps: list | None = None, keys: list | None = None) -> None:
            for e in emits:
                e(values, timestamps, keys)
        self.emit = emit

    def emit_watermark(self, watermark: int) -> None:
        for o in self.outputs:
            o.emit_watermark(watermark)

    def emit_idle(self, idle: bool) -> None:
        for o in self.outputs:
            o.emit_idle(idle)

    def flush(self) -> None:
        for o in self.outputs:
            o.flush()

    def end(self, stop: str | None = None) -> None:
        for o in self.outputs:
            o.end(stop)


class CountingOutput(Output):
    """Flink's CountingOutput: an operator's output that counts the records it emits (into
    the operator's numRecordsOut, or the task's for a network output) and notes its output
    watermark, then hands everything on unchanged."""

    def __init__(self, inner: Any, counter: Counter, metrics: OperatorIOMetrics | None = None) -> None:
        """``inner``: an Output or a RecordWriter (which behaves as one)."""
        self.inner = inner
        self.metrics = metrics
        self.emit = counted(inner.emit, counter)

    def emit_watermark(self, watermark: int) -> None:
        if self.metrics is not None:
            self.metrics.output_watermark = watermark
        self.inner.emit_watermark(watermark)

    def emit_idle(self, idle: bool) -> None:
        self.inner.emit_idle(idle)

    def flush(self) -> None:
        self.inner.flush()

    def end(self, stop: str | None = None) -> None:
        self.inner.end(stop)

    def chained_operator(self) -> Any | None:
        inner = getattr(self.inner, "chained_operator", None)  # a RecordWriter has none
        return inner() if inner is not None else None


class DiscardingOutput(Output):
    """Output of a sink: nothing follows."""

    def __init__(self) -> None:
        self.emit = _discard

    def emit_watermark(self, watermark: int) -> None:
        pass


def _discard(values: list, timestamps: list | None = None, keys: list | None = None) -> None:
    return None
