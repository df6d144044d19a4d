"""WindowOperator: keyed windows with assigners, triggers, allowed lateness and merging.

Window contents are keyed state — one table ``key → {window: content}`` in the task's state
backend — where the content is an incremental aggregate (``reduce``/``aggregate``) or the
list of elements (``apply``/``process`` without pre-aggregation). Trigger timers and the
cleanup timer of each window (end + allowed lateness) live in the keyed timer service under
``(key, window)``. Results carry the window's ``max_timestamp()`` as their timestamp.
Session windows merge on arrival: overlapping windows' contents are combined (reduce,
``AggregateFunction.merge`` or concatenation) and their timers move to the covering window.
"""
from __future__ import annotations

from typing import Any

from runtime.common.windowing import MAX_LONG, Window
from runtime.streaming.aligned_windows import AlignedWindowPath
from runtime.streaming.operators import StreamOperator
from runtime.streaming.process_operators import Emitter, TimerDriven
from runtime.streaming.timer_service import InternalTimerService, now_ms
from runtime.streaming.window_contents import AGGREGATE, MISSING as _MISSING, REDUCE, TagRef as _TagRef
from runtime.streaming.window_timers import AlignedWindowTimerService


class _WindowPartitionedState:
    """Trigger state scoped to (key, window): Value-/ReducingState-like."""

    def __init__(self, op: WindowOperator, descriptor: Any) -> None:
        self.op = op
        self.descriptor = descriptor

    def _slot(self) -> tuple[dict, tuple]:
        op = self.op
        table = op.trigger_table.setdefault(op.backend.current_key, {})
        return table, (op.current_window, self.descriptor.name)

    def value(self) -> Any:
        table, slot = self._slot()
        return table.get(slot)

    get = value

    def update(self, value: Any) -> None:
        table, slot = self._slot()
        table[slot] = value

    def add(self, value: Any) -> None:
        table, slot = self._slot()
        current = table.get(slot)
        reduce = getattr(self.descriptor, "reduce_function", None)
        table[slot] = value if current is None or reduce is None else reduce(current, value)

    def clear(self) -> None:
        op = self.op
        table = op.trigger_table.get(op.backend.current_key)
        if table is not None:
            table.pop((op.current_window, self.descriptor.name), None)
            if not table:
                del op.trigger_table[op.backend.current_key]


class _TriggerContext:
    def __init__(self, op: WindowOperator) -> None:
        self.op = op
        self.merged_windows: list[Window] = []

    def get_current_watermark(self) -> int:
        return self.op.timers.current_watermark

    def get_current_processing_time(self) -> int:
        return now_ms()

    def register_event_time_timer(self, time: int) -> None:
        op = self.op
        op.timers.register_event_time_timer((op.backend.current_key, op.current_window), time)

    def register_processing_time_timer(self, time: int) -> None:
        op = self.op
        op.timers.register_processing_time_timer((op.backend.current_key, op.current_window), time)

    def delete_event_time_timer(self, time: int) -> None:
        op = self.op
        op.timers.delete_event_time_timer((op.backend.current_key, op.current_window), time)

    def delete_processing_time_timer(self, time: int) -> None:
        op = self.op
        op.timers.delete_processing_time_timer((op.backend.current_key, op.current_window), time)

    def get_partitioned_state(self, state_descriptor: Any) -> _WindowPartitionedState:
        return _WindowPartitionedState(self.op, state_descriptor)

    def merge_partitioned_state(self, state_descriptor: Any) -> None:
        """Combine the state of the windows merged into the current one."""
        op = self.op
        table = op.trigger_table.get(op.backend.current_key)
        if not table:
            return
        reduce = getattr(state_descriptor, "reduce_function", None)
        target = (op.current_window, state_descriptor.name)
        acc = table.get(target)
        for w in self.merged_windows:
            slot = (w, state_descriptor.name)
            if slot == target or slot not in table:
                continue
            v = table.pop(slot)
            acc = v if acc is None else (reduce(acc, v) if reduce is not None else v)
        if acc is not None:
            table[target] = acc


class _ProcessWindowContext:
    """Context of ProcessWindowFunction.process / clear."""

    def __init__(self, op: WindowOperator) -> None:
        self.op = op
        self._window: Window | None = None

    def window(self) -> Window:
        assert self._window is not None, "window() outside of process()"
        return self._window

    def current_processing_time(self) -> int:
        return now_ms()

    def current_watermark(self) -> int:
        return self.op.timers.current_watermark

    def window_state(self) -> Any:
        return self.op.window_state_access(self.window())

    def global_state(self) -> Any:
        return self.op.runtime_context._state_backend

    def output(self, output_tag: Any, value: Any) -> None:
        self.op.emitter.output(output_tag, value, self.window().max_timestamp())


class _AssignerContext:
    def __init__(self, op: WindowOperator) -> None:
        self.op = op

    def get_current_processing_time(self) -> int:
        return now_ms()

    def next_count(self) -> int:
        """Count assigners: the 0-based index of this element within its key."""
        op = self.op
        key = op.backend.current_key
        n = op.count_table.get(key, 0)
        op.count_table[key] = n + 1
        return n

    def get_runtime_context(self) -> Any:
        return self.op.runtime_context


class WindowOperator(AlignedWindowPath, TimerDriven, StreamOperator):
    keyed = True

    def __init__(self, name: str, assigner: Any, trigger: Any, kind: str, function: Any = None,
                 window_function: Any = None, allowed_lateness: int = 0, late_tag: str | None = None,
                 all_windows: bool = False, output_type: Any = None, merging: bool = False,
                 aligned: bool = False) -> None:
        super().__init__(name)
        #: decided by the API when it builds the operator (the assigner is a MergingWindowAssigner;
        #: tumbling/sliding event-time windows with the default EventTimeTrigger take the aligned path)
        self.merging = merging
        self.aligned = aligned
        self.assigner = assigner
        self.trigger = trigger
        self.kind = kind
        self.function = function              # ReduceFunction callable or AggregateFunction
        self.window_function = window_function
        self.allowed_lateness = allowed_lateness
        self.late_tag = late_tag
        self.all_windows = all_windows
        self.output_type = output_type
        self.functions = tuple(f for f in (function, window_function) if f is not None and hasattr(f, "open"))

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> None:
        backend = self.ctx.keyed_state_backend
        self.backend = backend
        ns = self.operator_id or self.name
        self.contents = backend.raw_table(f"{ns}/window-contents", "windows")
        self.trigger_table = backend.raw_table(f"{ns}/window-trigger", "windows")
        self.count_table = backend.raw_table(f"{ns}/window-count", "value")
        self.window_state_tables: dict = {}
        self._window_cache: dict[int, Any] = {}
        self.timers = InternalTimerService(self._on_event_time, self._on_processing_time)
        self.trigger_ctx = _TriggerContext(self)
        self.process_ctx = _ProcessWindowContext(self)
        self.assign_ctx = _AssignerContext(self)
        self.emitter = Emitter(self)
        self.current_window: Window | None = None
        self.event_time = self.assigner.is_event_time()
        if self.kind == REDUCE:
            self._reduce = getattr(self.function, "reduce", self.function)
        self._aligned = self.aligned
        if self._aligned:
            self.process_batch = self._process_aligned  # type: ignore[method-assign]
            self.timers = AlignedWindowTimerService(self._on_window_timers, self._on_processing_time)
        wf = self.window_function
        self._wf_kind = None
        if wf is not None:
            if hasattr(wf, "process"):
                self._wf_kind = "process"
            elif hasattr(wf, "apply"):
                self._wf_kind = "apply"
            elif callable(wf):
                self._wf_kind = "callable"
        super().open()

    def close(self) -> None:
        super().close()

    @staticmethod
    def timer_state_key(timer_key: Any) -> Any:
        """A window timer is keyed by (key, window): its key group is its key's."""
        return timer_key[0]

    # ------------------------------------------------------------------ elements
    def process_batch(self, values, timestamps=None, keys=None):
        backend = self.backend
        assign = self.assigner.assign_windows
        actx = self.assign_ctx
        if keys is None:
            keys = [None] * len(values)
        if timestamps is None:
            timestamps = [None] * len(values)
        for k, v, ts in zip(keys, values, timestamps):
            backend.current_key = k
            windows = assign(v, ts, actx)
            if self.merging:
                windows = [self._merge_into_existing(k, w) for w in windows]
            skipped = True
            for w in windows:
                if w is None or self._is_window_late(w):
                    continue
                skipped = False
                self.current_window = w
                self._add(k, w, v)
                result = self.trigger.on_element(v, ts, w, self.trigger_ctx)
                if result.is_fire():
                    self._fire(k, w)
                if result.is_purge():
                    self._purge_contents(k, w)
                self._register_cleanup(w)
            if skipped and self.late_tag is not None and self._is_element_late(ts):
                out = self.side_outputs.get(self.late_tag)
                if out is not None:
                    self.emitter.output(_TagRef(self.late_tag), v, ts)
        self.emitter.flush()


    _process_general = process_batch  # the aligned fast path falls back to it
    def _add(self, k: Any, w: Window, v: Any) -> None:
        per_key = self.contents.get(k)
        if per_key is None:
            per_key = self.contents[k] = {}
        acc = per_key.get(w, _MISSING)
        kind = self.kind
        if kind == REDUCE:
            per_key[w] = v if acc is _MISSING else self._reduce(acc, v)
        elif kind == AGGREGATE:
            fn = self.function
            per_key[w] = fn.add(v, fn.create_accumulator() if acc is _MISSING else acc)
        else:
            if acc is _MISSING:
                per_key[w] = [v]
            else:
                acc.append(v)

    def _combine(self, a: Any, b: Any) -> Any:
        if a is _MISSING:
            return b
        if b is _MISSING:
            return a
        if self.kind == REDUCE:
            return self._reduce(a, b)
        if self.kind == AGGREGATE:
            return self.function.merge(a, b)
        return a + b

    # ------------------------------------------------------------------ merging
    def _merge_into_existing(self, k: Any, new_window: Window) -> Window | None:
        per_key = self.contents.get(k) or {}
        if new_window in per_key:
            return new_window  # existing windows never overlap, so nothing merges with it
        groups = self.assigner.merge_windows(list(per_key) + [new_window])
        result = new_window
        for members, cover in groups:
            if new_window in members:
                result = cover
            olds = [m for m in members if m in per_key]
            if len(members) == 1 or (len(olds) == 1 and olds[0] == cover):
                continue
            merged = _MISSING
            for m in sorted(olds, key=lambda w: w.start):
                merged = self._combine(merged, per_key.pop(m))
            if k not in self.contents:
                self.contents[k] = per_key
            per_key[cover] = merged
            # as in Flink: the trigger merges the old windows' state into the cover first,
            # then each old window's timers and state are cleared
            self.current_window = cover
            self.trigger_ctx.merged_windows = olds
            self.trigger.on_merge(cover, self.trigger_ctx)
            self.trigger_ctx.merged_windows = []
            for m in olds:
                if m != cover:
                    self.current_window = m
                    self.trigger.clear(m, self.trigger_ctx)
                    self._delete_cleanup(m)
            if not self._is_window_late(cover):
                self.current_window = cover
                self._register_cleanup(cover)
        return result

    # ------------------------------------------------------------------ firing
    def _window_contents(self, k: Any, w: Window) -> Any:
        per_key = self.contents.get(k)
        return _MISSING if per_key is None else per_key.get(w, _MISSING)

    def _fire(self, k: Any, w: Window) -> None:
        acc = self._window_contents(k, w)
        if acc is _MISSING:
            return
        if self.kind == REDUCE:
            inputs = [acc]
        elif self.kind == AGGREGATE:
            inputs = [self.function.get_result(acc)]
        else:
            inputs = list(acc)
        ts = w.max_timestamp()
        wf = self.window_function
        kind = self._wf_kind
        if kind is None:
            self.emitter.add(inputs, ts)
            return
        if kind == "process":
            ctx = self.process_ctx
            ctx._window = w
            result = wf.process(ctx, inputs) if self.all_windows else wf.process(k, ctx, inputs)
        elif kind == "apply":
            result = wf.apply(w, inputs) if self.all_windows else wf.apply(k, w, inputs)
        else:
            result = wf(w, inputs) if self.all_windows else wf(k, w, inputs)
        self.emitter.add(result, ts)

    def _purge_contents(self, k: Any, w: Window) -> None:
        per_key = self.contents.get(k)
        if per_key is not None:
            per_key.pop(w, None)
            if not per_key:
                del self.contents[k]

    def _clear_all(self, k: Any, w: Window) -> None:
        self._purge_contents(k, w)
        self.current_window = w
        self.trigger.clear(w, self.trigger_ctx)
        if self._wf_kind == "process" and hasattr(self.window_function, "clear"):
            ctx = self.process_ctx
            ctx._window = w
            self.window_function.clear(ctx)
        self._drop_window_state(k, w)

    # ------------------------------------------------------------------ time
    def _cleanup_time(self, w: Window) -> int:
        if self.event_time:
            t = w.max_timestamp() + self.allowed_lateness
            return t if t >= w.max_timestamp() else MAX_LONG
        return w.max_timestamp()

    def _is_window_late(self, w: Window) -> bool:
        return self.event_time and self._cleanup_time(w) <= self.timers.current_watermark

    def _is_element_late(self, ts: Any) -> bool:
        return self.event_time and ts is not None and ts + self.allowed_lateness <= self.timers.current_watermark

    def _register_cleanup(self, w: Window) -> None:
        t = self._cleanup_time(w)
        if t == MAX_LONG:
            return
        key = (self.backend.current_key, w)
        if self.event_time:
            self.timers.register_event_time_timer(key, t)
        else:
            self.timers.register_processing_time_timer(key, t)

    def _delete_cleanup(self, w: Window) -> None:
        t = self._cleanup_time(w)
        key = (self.backend.current_key, w)
        if self.event_time:
            self.timers.delete_event_time_timer(key, t)
        else:
            self.timers.delete_processing_time_timer(key, t)

    def _on_timer(self, ts: int, timer_key: tuple, event: bool) -> None:
        k, w = timer_key
        self.backend.current_key = k
        self.current_window = w
        if self.merging and self._window_contents(k, w) is _MISSING:
            # the window was merged into another; its timers are stale
            return
        result = (self.trigger.on_event_time if event else self.trigger.on_processing_time)(ts, w, self.trigger_ctx)
        if result.is_fire():
            self._fire(k, w)
        if result.is_purge():
            self._purge_contents(k, w)
        if event == self.event_time and ts == self._cleanup_time(w):
            self._clear_all(k, w)

    def _on_event_time(self, ts: int, timer_key: tuple) -> None:
        self._on_timer(ts, timer_key, True)

    def _on_processing_time(self, ts: int, timer_key: tuple) -> None:
        self._on_timer(ts, timer_key, False)

    # ------------------------------------------------------------------ window state
    def window_state_access(self, w: Window) -> Any:
        from runtime.state.heap_keyed_state_backend import NamespacedStateAccess
        ns = f"{self.operator_id or self.name}/window/{w!r}"
        self.window_state_tables.setdefault(w, ns)
        return NamespacedStateAccess(self.backend, ns)

    def _drop_window_state(self, k: Any, w: Window) -> None:
        ns = self.window_state_tables.get(w)
        if ns is None:
            return
        prefix = ns + "/"
        for name, table in self.backend.tables.items():
            if name.startswith(prefix):
                table.pop(k, None)
