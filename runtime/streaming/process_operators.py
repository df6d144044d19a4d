"""Process-function operators: ProcessFunction, KeyedProcessFunction, and the operator that
assigns timestamps and watermarks.

Process functions yield any number of outputs per element; ``(OutputTag, value)`` pairs go
to side outputs. Keyed operators set the state backend's current key before each call, so
state and timers are per key; their timers fire from watermarks (event time) and from the
task loop's tick (processing time).
"""
from __future__ import annotations

import time
from typing import Any

from runtime.common.output_tag import OutputTag
from runtime.common.time_domain import TimeDomain
from runtime.io.network.elements import MAX_WATERMARK, MIN_WATERMARK
from runtime.streaming.operators import FunctionOperator, StreamOperator, UserFunctionError, converting_emit
from runtime.streaming.timer_service import InternalTimerService, TimerServiceFacade, now_ms


class Emitter:
    """Collects a batch's outputs, splitting off side outputs, then emits them at once."""

    __slots__ = ("op", "values", "timestamps", "side", "side_types")

    def __init__(self, op: StreamOperator) -> None:
        self.op = op
        self.values: list = []
        self.timestamps: list = []
        self.side: dict[str, tuple[list, list]] = {}
        #: tag id -> the tag's declared type: side-output records leave the Python chain in
        #: PyFlink (get_side_output), so they are converted by it, as main outputs are
        self.side_types: dict[str, Any] = {}

    def add(self, result: Any, ts: Any) -> None:
        if result is None:
            return
        values, timestamps = self.values, self.timestamps
        for o in result:
            if type(o) is tuple and len(o) == 2 and isinstance(o[0], OutputTag):
                self.output(o[0], o[1], ts)
            else:
                values.append(o)
                timestamps.append(ts)

    def output(self, tag: OutputTag, value: Any, ts: Any) -> None:
        vals = self.side.get(tag.tag_id)
        if vals is None:
            vals = self.side[tag.tag_id] = ([], [])
            if tag.tag_id not in self.side_types:
                self.side_types[tag.tag_id] = getattr(tag, "type_info", None)
        vals[0].append(value)
        vals[1].append(ts)

    def flush(self) -> None:
        op = self.op
        if self.values:
            values, ts = self.values, self.timestamps
            self.values, self.timestamps = [], []
            if op._check_type:
                op.check_output(values)
            op.emit(values, None if all(t is None for t in ts) else ts, None)
        if self.side:
            side, self.side = self.side, {}
            for tag_id, (values, ts) in side.items():
                out = op.side_outputs.get(tag_id)
                if out is not None:
                    emit = converting_emit(out.emit, self.side_types.get(tag_id), f"{op.name} (side output {tag_id})",
                                           op._user_function())
                    emit(values, None if all(t is None for t in ts) else ts, None)


def run_elements(f: Any, ctx: _Context, add: Any, values: list, timestamps: list | None) -> None:
    """Call ``f(value, ctx)`` for each element with ctx's timestamp set, collecting outputs."""
    if timestamps is None:
        ctx._timestamp = None
        for v in values:
            add(f(v, ctx), None)
    else:
        for v, t in zip(values, timestamps):
            ctx._timestamp = t
            add(f(v, ctx), t)


def run_keyed_elements(f: Any, ctx: _Context, add: Any, backend: Any, values: list,
                       timestamps: list | None, keys: list) -> None:
    """Like run_elements, with the state backend's (and ctx's) current key set per element."""
    if timestamps is None:
        ctx._timestamp = None
        for k, v in zip(keys, values):
            backend.current_key = ctx._key = k
            add(f(v, ctx), None)
    else:
        for k, v, t in zip(keys, values, timestamps):
            backend.current_key = ctx._key = k
            ctx._timestamp = t
            add(f(v, ctx), t)


class _Context:
    """Context handed to process functions; one instance per operator, updated per element."""

    def __init__(self, op: Any) -> None:  # a process operator (keyed, co-, broadcast)
        self._op = op
        self._timestamp: int | None = None
        self._key: Any = None
        self._domain: TimeDomain | None = None
        self._timer_service: Any = None

    def timestamp(self) -> int:
        """The record's timestamp; Long.MIN_VALUE (-2**63) for a record without one, which is
        what PyFlink 2.3 returns (its docstring and Java's Flink say None/null; a job written
        against PyFlink does arithmetic on it, so this engine returns what PyFlink does)."""
        t = self._timestamp
        return MIN_WATERMARK if t is None else t

    def timer_service(self) -> Any:
        if self._timer_service is None:
            self._timer_service = _NonKeyedTimerService(self._op)
        return self._timer_service

    def get_current_key(self) -> Any:
        return self._key

    def time_domain(self) -> TimeDomain | None:
        return self._domain

    def output(self, output_tag: OutputTag, value: Any) -> None:
        self._op.emitter.output(output_tag, value, self._timestamp)


class _NonKeyedTimerService:
    """TimerService of a non-keyed ProcessFunction: time can be read, timers need keys."""

    def __init__(self, op: StreamOperator) -> None:
        self._op = op

    def current_processing_time(self) -> int:
        return now_ms()

    def current_watermark(self) -> int:
        return getattr(self._op, "watermark", MIN_WATERMARK)

    def _no_timers(self, *args: Any) -> None:
        raise UserFunctionError("setting timers is only supported on a KeyedStream: use key_by(...) before process()")

    register_event_time_timer = register_processing_time_timer = _no_timers
    delete_event_time_timer = delete_processing_time_timer = _no_timers


class ProcessOperator(FunctionOperator):
    """``DataStream.process(ProcessFunction)``."""

    def open(self) -> None:
        self.emitter = Emitter(self)
        self.context = _Context(self)
        super().open()

    watermark = MIN_WATERMARK

    def process_batch(self, values, timestamps=None, keys=None):
        run_elements(self.function.process_element, self.context, self.emitter.add, values, timestamps)
        self.emitter.flush()

    def process_watermark(self, watermark: int) -> None:
        self.watermark = watermark
        super().process_watermark(watermark)


class TimerDriven(StreamOperator):
    """Mixed into operators with a keyed timer service (``self.timers``) and an Emitter: the
    watermark fires event-time timers, the task's tick fires processing-time timers, and
    at the end of a bounded input processing-time timers due by now fire (in STREAMING;
    later ones never will) or all of them do (in BATCH)."""

    timers: InternalTimerService
    emitter: Any

    def process_watermark(self, watermark: int) -> None:
        self.timers.advance_watermark(watermark)
        self.emitter.flush()
        super().process_watermark(watermark)

    def next_deadline(self) -> int | None:
        return self.timers.next_processing_time()

    def on_tick(self, now: int) -> None:
        self.timers.advance_processing_time(now)
        self.emitter.flush()

    def end_input(self) -> None:
        batch = self.ctx.task_config.batch_mode
        self.timers.advance_processing_time(MAX_WATERMARK if batch else now_ms())
        self.emitter.flush()


class KeyedProcessOperator(TimerDriven, ProcessOperator):
    """``KeyedStream.process(KeyedProcessFunction)``: keyed state and timers per key."""

    keyed = True

    def open(self) -> None:
        backend = self.ctx.keyed_state_backend
        self.backend = backend
        self.timers = InternalTimerService(self._on_event_timer, self._on_processing_timer)
        super().open()
        self.context._timer_service = TimerServiceFacade(self.timers, backend)
        self.on_timer = getattr(self.function, "on_timer", None)

    def process_batch(self, values, timestamps=None, keys=None):
        run_keyed_elements(self.function.process_element, self.context, self.emitter.add, self.backend,
                           values, timestamps, keys)
        self.emitter.flush()

    def _fire(self, ts: int, key: Any, domain: TimeDomain, out_ts: int | None) -> None:
        if self.on_timer is None:
            return
        ctx = self.context
        self.backend.current_key = ctx._key = key
        # ctx.timestamp() is the timer's time in both domains (as in PyFlink); outputs of a
        # processing-time timer carry no event timestamp
        ctx._timestamp, ctx._domain = ts, domain
        try:
            self.emitter.add(self.on_timer(ts, ctx), out_ts)
        finally:
            ctx._domain = None

    def _on_event_timer(self, ts: int, key: Any) -> None:
        # the hot one (a timer per key and window-like period): _fire inlined
        on_timer = self.on_timer
        if on_timer is None:
            return
        ctx = self.context
        self.backend.current_key = ctx._key = key
        ctx._timestamp = ts
        ctx._domain = TimeDomain.EVENT_TIME
        result = on_timer(ts, ctx)
        if result is not None:
            self.emitter.add(result, ts)  # a generator runs here: ctx must still be set
        ctx._domain = None

    def _on_processing_timer(self, ts: int, key: Any) -> None:
        self._fire(ts, key, TimeDomain.PROCESSING_TIME, None)
        self.context._timestamp = None



class TimestampsAndWatermarksOperator(StreamOperator):
    """``assign_timestamps_and_watermarks`` (and a source's WatermarkStrategy)."""

    fuses_with_python = True  # PyFlink runs the timestamp assigner in the Python chain

    def __init__(self, name: str, strategy: Any, interval_ms: int = 200) -> None:
        super().__init__(name)
        self.strategy = strategy
        self.interval_ms = interval_ms

    def open(self) -> None:
        self.extract = self.strategy.extractor()
        a = self.strategy.timestamp_assigner
        self.functions = (a,) if a is not None and hasattr(a, "open") else ()
        # BATCH has no periodic watermarks: only the final one at end of input
        self.emits_watermarks = self.strategy.kind != "none" and \
            not self.ctx.task_config.batch_mode
        self.bound = self.strategy.out_of_orderness_ms
        self.max_ts = MIN_WATERMARK
        self.last_emitted = MIN_WATERMARK
        self.idleness = self.strategy.idleness_ms
        self.idle = False
        self.last_record = time.monotonic()
        self.next_emit = now_ms() + self.interval_ms
        super().open()

    def process_batch(self, values, timestamps=None, keys=None):
        extract = self.extract
        if extract is not None:
            if timestamps is None:
                m = MIN_WATERMARK
                timestamps = [extract(v, m) for v in values]
            else:
                m = MIN_WATERMARK
                timestamps = [extract(v, m if t is None else t) for v, t in zip(values, timestamps)]
        if timestamps is not None and timestamps:
            try:
                top = max(timestamps)
            except TypeError:
                raise UserFunctionError(f"operator '{self.name}': timestamp assigner returned a non-integer "
                                        f"timestamp (e.g. {timestamps[0]!r})") from None
            if top > self.max_ts:
                self.max_ts = top
        if self.idle:
            self.idle = False
            self._emit_idle(False)
        self.last_record = time.monotonic()
        self.emit(values, timestamps, None)

    def current_watermark(self) -> int:
        if self.max_ts == MIN_WATERMARK:
            return MIN_WATERMARK
        return self.max_ts - self.bound - 1

    def next_deadline(self) -> int | None:
        return self.next_emit if self.emits_watermarks else None

    def on_tick(self, now: int) -> None:
        self.next_emit = now + self.interval_ms
        wm = self.current_watermark()
        if wm > self.last_emitted:
            self.last_emitted = wm
            self.output.emit_watermark(wm)
        elif self.idleness is not None and not self.idle and \
                (time.monotonic() - self.last_record) * 1000 >= self.idleness:
            self.idle = True
            self._emit_idle(True)

    def _emit_idle(self, idle: bool) -> None:
        emit_idle = getattr(self.output, "emit_idle", None)
        if emit_idle is not None:
            emit_idle(idle)

    def process_watermark(self, watermark: int) -> None:
        # upstream watermarks are replaced by ours, except the final one at end of input
        if watermark == MAX_WATERMARK:
            self.last_emitted = MAX_WATERMARK
            self.output.emit_watermark(MAX_WATERMARK)
