"""Two-input operators: ``connect`` (CoMap/CoFlatMap/CoProcess/KeyedCoProcess) and the
broadcast state pattern (BroadcastProcessFunction / KeyedBroadcastProcessFunction).

Input 1 arrives through ``process_batch``, input 2 through ``process_batch2``; the task
routes each channel to one of them. Watermarks arrive already combined (the task takes the
minimum over both inputs' channels).
"""
from __future__ import annotations

from typing import Any

from runtime.streaming.operators import FunctionOperator, StreamOperator, UserFunctionError
from runtime.streaming.process_operators import (
    Emitter,
    KeyedProcessOperator,
    _Context,
    run_elements,
    run_keyed_elements,
)
from runtime.streaming.timer_service import TimerServiceFacade


class CoMapOperator(FunctionOperator):
    def process_batch(self, values, timestamps=None, keys=None):
        f = self.function.map1
        out = [f(v) for v in values]
        if self._check_type:
            self.check_output(out)
        self.emit(out, timestamps, None)

    def process_batch2(self, values, timestamps=None, keys=None):
        f = self.function.map2
        out = [f(v) for v in values]
        if self._check_type:
            self.check_output(out)
        self.emit(out, timestamps, None)


class CoFlatMapOperator(FunctionOperator):
    def open(self) -> None:
        self.emitter = Emitter(self)
        super().open()

    def _run(self, f, values, timestamps) -> None:
        add = self.emitter.add
        if timestamps is None:
            for v in values:
                add(f(v), None)
        else:
            for v, t in zip(values, timestamps):
                add(f(v), t)
        self.emitter.flush()

    def process_batch(self, values, timestamps=None, keys=None):
        self._run(self.function.flat_map1, values, timestamps)

    def process_batch2(self, values, timestamps=None, keys=None):
        self._run(self.function.flat_map2, values, timestamps)


class CoProcessOperator(FunctionOperator):
    """``ConnectedStreams.process(CoProcessFunction)`` (non-keyed: no timers)."""

    watermark = -(2**63)

    def process_watermark(self, watermark: int) -> None:
        self.watermark = watermark  # read by the non-keyed timer service
        super().process_watermark(watermark)

    def open(self) -> None:
        self.emitter = Emitter(self)
        self.context = _Context(self)
        super().open()

    def process_batch(self, values, timestamps=None, keys=None):
        run_elements(self.function.process_element1, self.context, self.emitter.add, values, timestamps)
        self.emitter.flush()

    def process_batch2(self, values, timestamps=None, keys=None):
        run_elements(self.function.process_element2, self.context, self.emitter.add, values, timestamps)
        self.emitter.flush()


class KeyedCoProcessOperator(KeyedProcessOperator):
    """``ConnectedStreams.key_by(...).process(KeyedCoProcessFunction)``: state and timers."""

    def process_batch(self, values, timestamps=None, keys=None):
        run_keyed_elements(self.function.process_element1, self.context, self.emitter.add, self.backend,
                           values, timestamps, keys)
        self.emitter.flush()

    def process_batch2(self, values, timestamps=None, keys=None):
        run_keyed_elements(self.function.process_element2, self.context, self.emitter.add, self.backend,
                           values, timestamps, keys)
        self.emitter.flush()


# ------------------------------------------------------------------------- broadcast state
class _BroadcastStateView:
    """Map-like broadcast state; ``writable`` only on the broadcast side."""

    def __init__(self, table: dict, name: str, writable: bool) -> None:
        self._table = table
        self._name = name
        self._writable = writable

    def _check(self) -> None:
        if not self._writable:
            raise UserFunctionError(f"broadcast state '{self._name}' is read-only on the non-broadcast side")

    def get(self, key: Any) -> Any:
        return self._table.get(key)

    def contains(self, key: Any) -> bool:
        return key in self._table

    def items(self):
        return list(self._table.items())

    def keys(self):
        return list(self._table.keys())

    def values(self):
        return list(self._table.values())

    def is_empty(self) -> bool:
        return not self._table

    def put(self, key: Any, value: Any) -> None:
        self._check()
        self._table[key] = value

    def put_all(self, dict_value: dict) -> None:
        self._check()
        self._table.update(dict_value)

    def remove(self, key: Any) -> None:
        self._check()
        self._table.pop(key, None)

    def clear(self) -> None:
        self._check()
        self._table.clear()

    def __contains__(self, key: Any) -> bool:
        return key in self._table

    def __getitem__(self, key: Any) -> Any:
        return self._table[key]

    def __iter__(self):
        return iter(list(self._table))


class _BroadcastContext(_Context):
    def __init__(self, op: Any, writable: bool) -> None:
        super().__init__(op)
        self._writable = writable

    def get_broadcast_state(self, state_descriptor: Any) -> _BroadcastStateView:
        name = state_descriptor.get_name()
        if name not in self._op.broadcast_tables:
            raise UserFunctionError(f"broadcast state '{name}' was not declared in broadcast(...)")
        return _BroadcastStateView(self._op.broadcast_tables[name], name, self._writable)

    def current_processing_time(self) -> int:
        from runtime.streaming.timer_service import now_ms
        return now_ms()

    def current_watermark(self) -> int:
        timers = getattr(self._op, "timers", None)
        return timers.current_watermark if timers is not None else self._op.watermark

    def apply_to_keyed_state(self, state_descriptor: Any, function: Any) -> None:
        """KeyedBroadcastProcessFunction: run ``function(key, state)`` for every key that has
        state under ``state_descriptor``."""
        op = self._op
        if not getattr(op, "keyed", False):
            raise UserFunctionError("apply_to_keyed_state needs a KeyedBroadcastProcessFunction")
        access = op.ctx.runtime_context._state_backend
        getter = {"value": access.get_state, "list": access.get_list_state, "map": access.get_map_state,
                  "reducing": access.get_reducing_state, "aggregating": access.get_aggregating_state}[state_descriptor.kind]
        state = getter(state_descriptor)
        backend = op.backend
        saved = backend.current_key
        try:
            for key in list(state.table):
                backend.current_key = key
                function(key, state)
        finally:
            backend.current_key = saved


class _BroadcastStateHolder:
    """Broadcast state in checkpoints: every subtask holds the same tables (BROADCAST mode:
    on restore each subtask gets one copy)."""

    broadcast_tables: dict[str, dict]
    _restored_broadcast: dict[str, dict] | None = None

    def _restore_broadcast(self, states: dict[str, list] | None) -> None:
        if states:
            self._restored_broadcast = {k[len("broadcast:"):]: v[0] for k, v in states.items()
                                        if k.startswith("broadcast:") and v}

    def _apply_restored_broadcast(self) -> None:
        if self._restored_broadcast:
            for name, table in self._restored_broadcast.items():
                if name in self.broadcast_tables:
                    self.broadcast_tables[name].update(table)
            self._restored_broadcast = None

    def _snapshot_broadcast(self) -> dict[str, tuple[str, list]]:
        return {f"broadcast:{name}": ("BROADCAST", [dict(table)]) for name, table in self.broadcast_tables.items()}


class BroadcastProcessOperator(_BroadcastStateHolder, StreamOperator):
    """Input 1: the non-broadcast stream (read-only broadcast state); input 2: broadcast."""

    def __init__(self, name: str, function_obj: Any, descriptors: list, output_type: Any = None) -> None:
        super().__init__(name)
        self.function = function_obj
        self.functions = (function_obj,)
        self.output_type = output_type
        self.descriptor_names = [d.get_name() for d in descriptors]
        self.watermark = -(2**63)

    def initialize_state(self, states):
        super().initialize_state(states)
        self._restore_broadcast(states)

    def snapshot_state(self, options):
        out = super().snapshot_state(options) or {}
        out.update(self._snapshot_broadcast())
        return out

    def open(self) -> None:
        self.broadcast_tables: dict[str, dict] = {n: {} for n in self.descriptor_names}
        self._apply_restored_broadcast()
        self.emitter = Emitter(self)
        self.read_ctx = _BroadcastContext(self, writable=False)
        self.write_ctx = _BroadcastContext(self, writable=True)
        super().open()

    def process_batch(self, values, timestamps=None, keys=None):
        run_elements(self.function.process_element, self.read_ctx, self.emitter.add, values, timestamps)
        self.emitter.flush()

    def process_batch2(self, values, timestamps=None, keys=None):
        run_elements(self.function.process_broadcast_element, self.write_ctx, self.emitter.add, values, timestamps)
        self.emitter.flush()

    def process_watermark(self, watermark: int) -> None:
        self.watermark = watermark
        super().process_watermark(watermark)


class KeyedBroadcastProcessOperator(_BroadcastStateHolder, KeyedProcessOperator):
    keyed = True

    def __init__(self, name: str, function_obj: Any, descriptors: list, output_type: Any = None) -> None:
        super().__init__(name, function_obj, output_type)
        self.descriptor_names = [d.get_name() for d in descriptors]

    def initialize_state(self, states):
        super().initialize_state(states)
        self._restore_broadcast(states)

    def snapshot_state(self, options):
        out = super().snapshot_state(options) or {}
        out.update(self._snapshot_broadcast())
        return out

    def open(self) -> None:
        self.broadcast_tables: dict[str, dict] = {n: {} for n in self.descriptor_names}
        self._apply_restored_broadcast()
        super().open()
        # the keyed side reads broadcast state and has timers; the broadcast side writes it
        read = _BroadcastContext(self, writable=False)
        read._timer_service = TimerServiceFacade(self.timers, self.backend)
        self.context = read
        self.write_ctx = _BroadcastContext(self, writable=True)

    def process_batch2(self, values, timestamps=None, keys=None):
        run_elements(self.function.process_broadcast_element, self.write_ctx, self.emitter.add, values, timestamps)
        self.emitter.flush()
