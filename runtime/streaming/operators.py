"""Stream operators: the per-task objects that run user functions over whole batches.

Each operator is built on the client (holding the user's function), cloudpickled as part of
its vertex's chain, and instantiated inside a task. ``process_batch`` is the hot path: it runs
the user function over a list with a comprehension and hands the resulting list to the
output in one call. There is no per-record lock, log call, pickling or socket call here.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from runtime.common.errors import UserFunctionError, raise_at_user_code

if TYPE_CHECKING:  # annotations only: the client builds operators without the task runtime
    from runtime.streaming.tasks.output import Output
    from runtime.streaming.tasks.task_context import TaskContext


def typed_emit(output: Output, output_type: Any, name: str, user_fn: Any = None, always: bool = False):
    """The emit of an operator whose output has a declared type, converting records by it
    where PyFlink does (see :mod:`runtime.common.type_conversion`).

    PyFlink runs a chain of Python operators in one Python process ("operator fusion") and
    passes records between them as they are; a record is converted (through Java) when it
    leaves that chain: to a network edge, to more than one consumer, or to a Java operator
    (sinks, ``project``). So: towards a chained operator that fuses with Python operators,
    records pass as they are (a positional Row stays positional: PyFlink prints it as
    ``<Row('ann', 3)>`` and ``row.name`` fails there, as in Flink, until the record crosses an
    edge that converts it); towards anything else, the batch is converted and checked. Sources convert always (``always``): PyFlink's
    sources are Java. Untyped outputs are never touched (the fast path stays as it was).
    """
    emit = output.emit
    if output_type is None:
        return emit
    find = None if always else getattr(output, "chained_operator", None)  # a RecordWriter has none
    chained = find() if find is not None else None
    if chained is not None and chained.fuses_with_python:
        return emit
    return converting_emit(emit, output_type, name, user_fn)


def converting_emit(emit, output_type: Any, name: str, user_fn: Any = None):
    """``emit`` preceded by converting (and checking) the batch by ``output_type``; ``emit``
    itself when values of that type pass unchanged (no type, pickled objects)."""
    from runtime.common.type_conversion import TypeConversionError, make_converter
    convert = make_converter(output_type)
    if convert is None:
        return emit

    def convert_and_emit(values, timestamps=None, keys=None):
        try:
            values = convert(values)
        except TypeConversionError as exc:
            error = UserFunctionError(f"operator '{name}' produced a record that does not fit its declared "
                                      f"output type {output_type}: {exc}")
            if user_fn is not None:
                raise_at_user_code(user_fn, error)
            raise error from None
        emit(values, timestamps, keys)
    return convert_and_emit


class StreamOperator:
    #: operator name as it appears in plans and errors, e.g. "Map" or "Keyed Reduce"
    name: str = "Operator"
    #: declared output TypeInformation (None: pickled Python objects)
    output_type: Any = None
    #: user function objects that get open()/close()
    functions: tuple = ()
    #: does PyFlink fuse this operator with a Python operator chained before it (it runs a
    #: Python function: map, filter, process, ...)? Records then reach it unconverted.
    #: Sinks, Java operators and anything else receive records converted by their type.
    fuses_with_python = False
    #: convert the output by its declared type whatever follows (typed sources)
    converts_output = False

    #: set by ``setup``, before anything else is called
    ctx: TaskContext
    output: Output
    side_outputs: dict[str, Output]

    def __init__(self, name: str) -> None:
        self.name = name
        self._opened: list[Any] = []
        self._check_type = False

    def setup(self, ctx: TaskContext, output: Output, side_outputs: dict[str, Output] | None = None) -> None:
        self.ctx = ctx
        self.output = output
        self.side_outputs = side_outputs or {}
        self.emit = typed_emit(output, self.output_type, self.name, self._user_function(), self.converts_output)
        self._check_type = self.output_type is not None

    def _user_function(self) -> Any:
        """The user function to point at when this operator's output is wrong."""
        fn = getattr(self, "fn", None)
        if fn is not None:
            return fn
        return self.functions[0] if self.functions else None

    #: set by the task: this operator's RuntimeContext (keyed operators get one with state)
    runtime_context: Any = None
    #: stable id naming the operator's state (the transformation's uid, else its id)
    operator_id: str = ""
    keyed = False

    def open(self) -> None:
        rc = self.runtime_context or self.ctx.runtime_context
        for fn in self.functions:
            opener = getattr(fn, "open", None)
            if opener is not None and not isinstance(fn, type):
                opener(rc)
                self._opened.append(fn)

    def close(self) -> None:
        """Close every function that was opened, even if one close fails (first error wins)."""
        error: BaseException | None = None
        while self._opened:
            fn = self._opened.pop()
            try:
                fn.close()
            except BaseException as exc:  # noqa: BLE001 - keep closing the others
                error = error or exc
        if error is not None:
            raise error

    def process_batch(self, values: list, timestamps: list | None = None, keys: list | None = None) -> None:
        raise NotImplementedError

    def process_watermark(self, watermark: int) -> None:
        self.output.emit_watermark(watermark)
        for side in self.side_outputs.values():
            side.emit_watermark(watermark)

    def process_idle(self, idle: bool) -> None:
        self.output.emit_idle(idle)

    def end_input(self) -> None:
        """All input has been seen (bounded input, or the job is finishing)."""

    # ------------------------------------------------------------------ checkpoints
    #: the operator commits side effects on checkpoint completion (a two-phase-commit sink):
    #: with checkpointing on, its task waits for a last checkpoint before it finishes
    needs_final_checkpoint = False
    #: restored operator state for user functions that implement CheckpointedFunction
    _state_store: Any = None

    def initialize_state(self, states: dict[str, list] | None) -> None:
        """Before ``open``: the operator state restored for this subtask (None: a fresh start).
        User functions implementing Flink's ``CheckpointedFunction`` get theirs here."""
        checkpointed = [fn for fn in self.functions if hasattr(fn, "initialize_state") and hasattr(fn, "snapshot_state")
                        and not isinstance(fn, type)]
        if not checkpointed:
            return
        from runtime.state.operator_state_store import FunctionInitializationContext, OperatorStateStore
        prefix = "fn:"
        own = {k[len(prefix):]: v for k, v in (states or {}).items() if k.startswith(prefix)}
        self._state_store = OperatorStateStore(own)
        keyed = getattr(self.runtime_context, "_state_backend", None)
        for fn in checkpointed:
            fn.initialize_state(FunctionInitializationContext(self._state_store, keyed))

    def prepare_snapshot_pre_barrier(self, options: Any) -> None:
        """Last word before the barrier goes out (everything emitted now precedes it)."""

    def snapshot_state(self, options: Any) -> dict[str, tuple[str, list]] | None:
        """Operator state for the checkpoint: name -> (SPLIT | UNION | BROADCAST, entries)."""
        return self._snapshot_functions(options)

    def _snapshot_functions(self, options: Any) -> dict[str, tuple[str, list]] | None:
        if self._state_store is None:
            return None
        from runtime.state.operator_state_store import FunctionSnapshotContext
        for fn in self.functions:
            if hasattr(fn, "snapshot_state") and hasattr(fn, "initialize_state") and not isinstance(fn, type):
                fn.snapshot_state(FunctionSnapshotContext(options.checkpoint_id, options.timestamp))
        return {f"fn:{name}": entry for name, entry in self._state_store.snapshot().items()}

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        """The checkpoint is complete everywhere (Flink's CheckpointListener): commit."""
        for fn in self.functions:
            notify = getattr(fn, "notify_checkpoint_complete", None)
            if notify is not None and not isinstance(fn, type):
                notify(checkpoint_id)

    def finish_without_checkpoint(self) -> None:
        """The job stopped with a drained savepoint: what a two-phase-commit sink still holds
        is committed now (no checkpoint follows)."""

    def notify_checkpoint_aborted(self, checkpoint_id: int) -> None:
        for fn in self.functions:
            notify = getattr(fn, "notify_checkpoint_aborted", None)
            if notify is not None and not isinstance(fn, type):
                notify(checkpoint_id)

    def check_output(self, values: list) -> None:
        """Reject the first records that do not fit the declared output type, naming the operator."""
        self._check_type = False
        for v in values[:16]:
            reason = self.output_type.check(v) if hasattr(self.output_type, "check") else None
            if reason:
                error = UserFunctionError(
                    f"operator '{self.name}' produced a record that does not fit its declared output type "
                    f"{self.output_type}: {reason} (the record: {v!r:.80})")
                fn = self._user_function()
                if fn is not None:
                    raise_at_user_code(fn, error)
                raise error


class FunctionOperator(StreamOperator):
    """An operator around one user function object (process and co-functions)."""

    fuses_with_python = True

    def __init__(self, name: str, function_obj: Any, output_type: Any = None) -> None:
        super().__init__(name)
        self.function = function_obj
        self.functions = (function_obj,)
        self.output_type = output_type


class MapOperator(StreamOperator):
    fuses_with_python = True

    def __init__(self, name: str, fn: Callable[[Any], Any], function_obj: Any, output_type: Any = None) -> None:
        super().__init__(name)
        self.fn = fn
        self.functions = (function_obj,)
        self.output_type = output_type

    def process_batch(self, values, timestamps=None, keys=None):
        f = self.fn
        out = [f(v) for v in values]
        if self._check_type:
            self.check_output(out)
        self.emit(out, timestamps, None)


class FlatMapOperator(StreamOperator):
    fuses_with_python = True

    def __init__(self, name: str, fn: Callable[[Any], Iterable[Any]], function_obj: Any, output_type: Any = None) -> None:
        super().__init__(name)
        self.fn = fn
        self.functions = (function_obj,)
        self.output_type = output_type

    def process_batch(self, values, timestamps=None, keys=None):
        f = self.fn
        if timestamps is None:
            out = [o for v in values for o in (f(v) or ())]
            ts = None
        else:
            out, ts = [], []
            append, tappend = out.append, ts.append
            for v, t in zip(values, timestamps):
                for o in f(v) or ():
                    append(o)
                    tappend(t)
        if out:
            if self._check_type:
                self.check_output(out)
            self.emit(out, ts, None)


class FilterOperator(StreamOperator):
    fuses_with_python = True

    def __init__(self, name: str, fn: Callable[[Any], bool], function_obj: Any, output_type: Any = None) -> None:
        super().__init__(name)
        self.fn = fn
        self.functions = (function_obj,)
        self.output_type = output_type  # the input's type: a filter passes records on

    def process_batch(self, values, timestamps=None, keys=None):
        f = self.fn
        if timestamps is None:
            out = [v for v in values if f(v)]
            if out:
                self.emit(out, None, None)
            return
        pairs = [(v, t) for v, t in zip(values, timestamps) if f(v)]
        if pairs:
            self.emit([p[0] for p in pairs], [p[1] for p in pairs], None)


class KeyedMapOperator(MapOperator):
    """``KeyedStream.map``: like map, with the current key set so the function can use
    keyed state through its RuntimeContext."""

    keyed = True

    def process_batch(self, values, timestamps=None, keys=None):
        f = self.fn
        backend = self.ctx.keyed_state_backend
        out = []
        append = out.append
        for k, v in zip(keys, values):
            backend.current_key = k
            append(f(v))
        if self._check_type:
            self.check_output(out)
        self.emit(out, timestamps, None)


class KeyedFlatMapOperator(FlatMapOperator):
    keyed = True

    def process_batch(self, values, timestamps=None, keys=None):
        f = self.fn
        backend = self.ctx.keyed_state_backend
        out, ts = [], None if timestamps is None else []
        for i, (k, v) in enumerate(zip(keys, values)):
            backend.current_key = k
            for o in f(v) or ():
                out.append(o)
                if ts is not None:
                    ts.append(timestamps[i])
        if out:
            if self._check_type:
                self.check_output(out)
            self.emit(out, ts, None)


class KeyedFilterOperator(FilterOperator):
    keyed = True

    def process_batch(self, values, timestamps=None, keys=None):
        f = self.fn
        backend = self.ctx.keyed_state_backend
        keep = []
        for i, (k, v) in enumerate(zip(keys, values)):
            backend.current_key = k
            if f(v):
                keep.append(i)
        if keep:
            self.emit([values[i] for i in keep], None if timestamps is None else [timestamps[i] for i in keep], None)


class KeyedReduceOperator(StreamOperator):
    """Rolling reduce per key: emits the new aggregate for every input record, as Flink does.

    The aggregate per key lives in the task's keyed state backend (a dict per state name), so
    it is snapshotted with the rest of the keyed state.
    """

    def __init__(self, name: str, fn: Callable[[Any, Any], Any], function_obj: Any, output_type: Any = None) -> None:
        super().__init__(name)
        self.fn = fn
        self.functions = (function_obj,)
        self.output_type = output_type
        self.state: dict = {}

    keyed = True
    fuses_with_python = True

    def open(self) -> None:
        backend = getattr(self.ctx, "keyed_state_backend", None)
        if backend is not None:
            self.state = backend.raw_table(f"{self.operator_id}/#reduce", "value")
        if self.ctx.task_config.batch_mode:
            self.process_batch = self._accumulate  # type: ignore[method-assign]  # BATCH: final values only
        super().open()

    def _accumulate(self, values, timestamps=None, keys=None):
        f = self.fn
        state = self.state
        get = state.get
        missing = _MISSING
        for k, v in zip(keys, values):
            acc = get(k, missing)
            state[k] = v if acc is missing else f(acc, v)

    def end_input(self) -> None:
        if self.process_batch == self._accumulate and self.state:
            out = list(self.state.values())
            if self._check_type:
                self.check_output(out)
            self.emit(out, None, None)

    def process_batch(self, values, timestamps=None, keys=None):
        f = self.fn
        state = self.state
        get = state.get
        out = []
        append = out.append
        missing = _MISSING
        for k, v in zip(keys, values):
            acc = get(k, missing)
            if acc is not missing:
                v = f(acc, v)
            state[k] = v
            append(v)
        if self._check_type:
            self.check_output(out)
        self.emit(out, timestamps, None)


_MISSING = object()


class SinkOperator(StreamOperator):
    """Runs a ``SinkFunction``; ``invoke_batch`` is used when the sink defines it."""

    def __init__(self, name: str, function_obj: Any) -> None:
        super().__init__(name)
        self.sink = function_obj
        self.functions = (function_obj,)

    def process_batch(self, values, timestamps=None, keys=None):
        batch = getattr(self.sink, "invoke_batch", None)
        if batch is not None:
            batch(values)
            return
        invoke = self.sink.invoke
        for v in values:
            invoke(v, None)

    def process_watermark(self, watermark: int) -> None:
        pass


class PrintSinkOperator(StreamOperator):
    """``DataStream.print``: formats records as PyFlink prints them, one write per batch.

    PyFlink prints rows (``Types.ROW``) with a Python map fused with the operator before
    the sink, so rows arrive here unconverted from a chained Python function; records of any
    other type reach Java's print sink converted by their type.
    """

    @property
    def fuses_with_python(self) -> bool:  # type: ignore[override]
        from runtime.common.typeinfo import RowTypeInfo
        return isinstance(self.type_info, RowTypeInfo)

    def __init__(self, name: str, type_info: Any, sink_identifier: str | None, to_stderr: bool = False) -> None:
        super().__init__(name)
        self.type_info = type_info
        self.sink_identifier = sink_identifier
        self.to_stderr = to_stderr

    def open(self) -> None:
        from runtime.common.formatting import make_print_formatter, print_prefix
        rc = self.ctx.runtime_context
        self.prefix = print_prefix(self.sink_identifier, rc.get_index_of_this_subtask(),
                                   rc.get_number_of_parallel_subtasks())
        self.fmt = make_print_formatter(self.type_info)
        super().open()

    def process_batch(self, values, timestamps=None, keys=None):
        fmt = self.fmt
        prefix = self.prefix
        if prefix:
            text = "".join([prefix + fmt(v) + "\n" for v in values])
        else:
            text = "\n".join(map(fmt, values)) + "\n"
        stream = sys.stderr if self.to_stderr else sys.stdout
        stream.write(text)

    def end_input(self) -> None:
        (sys.stderr if self.to_stderr else sys.stdout).flush()

    def process_watermark(self, watermark: int) -> None:
        pass
