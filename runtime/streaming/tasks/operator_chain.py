"""OperatorChain (Flink's): the operators of one task wired to each other and to the task's
result partitions.

Built from the vertex's ChainSpec (the cloudpickled description the client made): every
operator gets its output (the chained operators that follow it and/or the record writers of
its network edges, plus side outputs), a TaskContext and, for keyed operators, a
RuntimeContext scoped to that operator in the task's keyed state backend. Operators are
opened tail first and closed head first; every operator that was set up is closed, whatever
happened, and the first error of a close wins.
"""
from __future__ import annotations

import copy
from typing import Any

from runtime.io.network.elements import MAX_WATERMARK
from runtime.io.network.record_writer import RecordWriter
from runtime.metrics.task_io_metrics import OperatorIOMetrics
from runtime.streaming.tasks.output import BroadcastingOutput, ChainingOutput, CountingOutput, DiscardingOutput, Output
from runtime.streaming.tasks.task_context import TaskContext


def _combine(outs: list[Any]) -> Any:
    return outs[0] if len(outs) == 1 else BroadcastingOutput(outs) if outs else DiscardingOutput()


class OperatorChain:
    def __init__(self, chain: Any, writers: dict[int, RecordWriter], ctx: TaskContext) -> None:
        self.ctx = ctx
        self.writers = list(writers.values())
        nodes = chain.nodes
        ops = [node.operator for node in nodes]
        metrics = self._operator_metrics(ops)
        self.operator_metrics = metrics
        task_out = ctx.metrics.io.records_out if ctx.metrics is not None else None

        def network(edge: int) -> Any:
            writer = writers[edge]
            return writer if task_out is None else CountingOutput(writer, task_out)

        def into(j: int) -> Output:
            return ChainingOutput(ops[j], metrics[j])

        for i in range(len(nodes) - 1, -1, -1):
            node = nodes[i]
            m = metrics[i]
            output: Output = _combine([into(j) for j in node.chained] + [network(e) for e in node.edges])
            if m is not None:
                output = CountingOutput(output, m.records_out, m)
            tags = set(node.side_chained) | set(node.side_edges)
            side = {tag: _combine([into(j) for j in node.side_chained.get(tag, [])]
                                  + [network(e) for e in node.side_edges.get(tag, [])]) for tag in tags}
            if m is not None:
                side = {tag: CountingOutput(out, m.records_out) for tag, out in side.items()}
            ops[i].setup(ctx, output, side)
        self.operators = ops
        self.head = ops[0]
        self._setup_runtime_contexts()
        self._setup_keyed_state()
        #: operators that want to be called at wall-clock deadlines (timers, periodic watermarks)
        self.tickers = [op for op in ops if hasattr(op, "on_tick")]
        self._opened = False

    def _operator_metrics(self, ops: list[Any]) -> list[OperatorIOMetrics | None]:
        """Each operator's group and counters. The head of a task with network input counts
        into the task's numRecordsIn; a source's numRecordsIn are the records it reads (as
        Flink's SourceOperator counts them)."""
        task = self.ctx.metrics
        if task is None:
            return [None] * len(ops)
        out: list[OperatorIOMetrics | None] = []
        for i, op in enumerate(ops):
            group = task.operator(op.name, op.operator_id)
            if i == 0 and getattr(op, "is_source", False):
                m = OperatorIOMetrics(group)
                m.records_in = m.records_out
                group.metrics["numRecordsIn"] = m.records_in
                group.metrics["numRecordsInPerSecond"] = group.metrics["numRecordsOutPerSecond"]
            else:
                m = OperatorIOMetrics(group, task.io.records_in if i == 0 else None)
            out.append(m)
        return out

    def _setup_runtime_contexts(self) -> None:
        """Every operator's functions get a RuntimeContext of their own whose
        ``get_metrics_group()`` is the operator's group (Flink's operator metric group)."""
        for op, m in zip(self.operators, self.operator_metrics):
            rc = copy.copy(self.ctx.runtime_context)
            if m is not None:
                rc._metrics = m.group
            op.runtime_context = rc

    @property
    def head_metrics(self) -> OperatorIOMetrics | None:
        return self.operator_metrics[0]

    @property
    def is_source(self) -> bool:
        return bool(getattr(self.head, "is_source", False))

    def _setup_keyed_state(self) -> None:
        """One heap backend per task, owning this subtask's key-group range; every keyed
        operator gets a RuntimeContext whose state is scoped to that operator."""
        if not any(op.keyed for op in self.operators):
            return
        from runtime.state.heap_keyed_state_backend import HeapKeyedStateBackend
        from runtime.state.key_groups import key_group_range
        ctx = self.ctx
        backend = HeapKeyedStateBackend(ctx.max_parallelism,
                                        key_group_range(ctx.max_parallelism, ctx.parallelism, ctx.subtask_index))
        ctx.keyed_state_backend = backend
        for op in self.operators:
            if op.keyed:
                op.runtime_context._state_backend = backend.for_namespace(op.operator_id or op.name)

    def open(self) -> None:
        self._opened = True
        for op in reversed(self.operators):
            op.open()

    def close(self) -> BaseException | None:
        """Close every operator, head first; returns the first error instead of raising."""
        error: BaseException | None = None
        for op in self.operators:
            try:
                op.close()
            except BaseException as exc:
                error = error or exc
        return error

    # ------------------------------------------------------------------ running
    def flush(self) -> None:
        for w in self.writers:
            w.flush()

    def next_deadline(self) -> int | None:
        """Earliest wall-clock time (ms) an operator wants to be called at."""
        deadlines = [d for d in (op.next_deadline() for op in self.tickers) if d is not None]
        return min(deadlines) if deadlines else None

    def tick(self, now_ms: int) -> None:
        for op in self.tickers:
            d = op.next_deadline()
            if d is not None and d <= now_ms:
                op.on_tick(now_ms)

    def end_operators(self) -> None:
        """All input has been seen: operators finish and the final watermark passes."""
        for op in self.operators:
            op.end_input()
        self.head.process_watermark(MAX_WATERMARK)

    def end_outputs(self, stop: str | None = None) -> None:
        """Every output partition gets its end-of-partition (see RecordWriter.end)."""
        for w in self.writers:
            w.end(stop)

    @property
    def needs_final_checkpoint(self) -> bool:
        return any(op.needs_final_checkpoint for op in self.operators)

    def broadcast_event(self, event: tuple) -> None:
        """An in-band event (a checkpoint barrier) to every output channel, after what is
        buffered."""
        for w in self.writers:
            w.broadcast_event(event)
