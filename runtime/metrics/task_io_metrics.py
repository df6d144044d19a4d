"""The metrics of a running task and of the operators of its chain (Flink's
TaskIOMetricGroup, OperatorIOMetricGroup and TimerGauge), under Flink's names.

Everything here is updated a batch at a time by the task's own thread: counters are plain
integer attributes (``Counter._count``) that the engine adds a batch's length to, and the
task's time split (busy / idle / back-pressured) comes from timing the waits, never the
records. Rates and per-second figures are computed when the registry's view updater samples
them (once a second, off the task thread), as Flink's MeterView and TimerGauge do.

Task scope (``taskmanager_job_task``): numRecordsIn/Out, numBytesIn/Out with their
``PerSecond`` meters, busyTimeMsPerSecond, idleTimeMsPerSecond, backPressuredTimeMsPerSecond,
accumulatedBusyTime/IdleTime/BackPressuredTime, isBackPressured, currentInputWatermark,
buffers.inPoolUsage/outPoolUsage/inputQueueLength/outputQueueLength.
Operator scope (``taskmanager_job_task_operator``): numRecordsIn/Out and their meters,
currentInputWatermark, currentOutputWatermark, and the user's metric groups.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runtime.metrics.io_metrics import IOMetrics
from runtime.metrics.metric_group import Counter, Meter, MetricGroup

#: Flink shows Long.MIN_VALUE for a watermark not seen yet
NO_WATERMARK = -(2 ** 63)


class OperatorIOMetrics:
    """One operator's records and watermarks; the chain's outputs update them."""

    __slots__ = ("group", "input_watermark", "output_watermark", "records_in", "records_out")

    def __init__(self, group: MetricGroup, records_in: Counter | None = None) -> None:
        self.group = group
        self.records_in = records_in if records_in is not None else Counter()
        self.records_out = Counter()
        self.input_watermark = NO_WATERMARK
        self.output_watermark = NO_WATERMARK
        group.metrics["numRecordsIn"] = self.records_in
        group.metrics["numRecordsOut"] = self.records_out
        group.metrics["numRecordsInPerSecond"] = Meter(60, self.records_in)
        group.metrics["numRecordsOutPerSecond"] = Meter(60, self.records_out)
        group.gauge("currentInputWatermark", lambda: self.input_watermark)
        group.gauge("currentOutputWatermark", lambda: self.output_watermark)


class TaskIOMetrics:
    """The task's figures. ``idle_ms``/``backpressured_ms`` are added by the task thread
    around its waits; busy time is the rest of the time since the task started running."""

    def __init__(self, group: MetricGroup) -> None:
        self.group = group
        self.records_in = Counter()
        self.records_out = Counter()
        self.bytes_in = Counter()
        self.bytes_out = Counter()
        self.idle_ms = 0.0
        self.backpressured_ms = 0.0
        #: the task waits on its input / on a full output right now (since when, monotonic s)
        self.idle_since: float | None = None
        self.backpressured_since: float | None = None
        self.started: float | None = None
        self.ended: float | None = None
        self.head_input_watermark: Callable[[], int] = lambda: NO_WATERMARK
        #: (queued, capacity) of the input gate and the output subpartitions (set when wired)
        self.input_queue: Callable[[], tuple[int, int]] = lambda: (0, 0)
        self.output_queues: Callable[[], tuple[int, int]] = lambda: (0, 0)
        m = group.metrics
        m["numRecordsIn"] = self.records_in
        m["numRecordsOut"] = self.records_out
        m["numBytesIn"] = self.bytes_in
        m["numBytesOut"] = self.bytes_out
        m["numRecordsInPerSecond"] = Meter(60, self.records_in)
        m["numRecordsOutPerSecond"] = Meter(60, self.records_out)
        m["numBytesInPerSecond"] = Meter(60, self.bytes_in)
        m["numBytesOutPerSecond"] = Meter(60, self.bytes_out)
        self._busy = TimeRatioView(self.accumulated_busy)
        self._idle = TimeRatioView(self.accumulated_idle)
        self._backpressured = TimeRatioView(self.accumulated_backpressured)
        m["busyTimeMsPerSecond"] = self._busy
        m["idleTimeMsPerSecond"] = self._idle
        m["backPressuredTimeMsPerSecond"] = self._backpressured
        group.gauge("accumulatedBusyTime", self.accumulated_busy)
        group.gauge("accumulatedIdleTime", self.accumulated_idle)
        group.gauge("accumulatedBackPressuredTime", self.accumulated_backpressured)
        group.gauge("isBackPressured", lambda: self.backpressured_since is not None)
        group.gauge("currentInputWatermark", lambda: self.head_input_watermark())
        buffers = group.add_group("buffers")
        buffers.gauge("inputQueueLength", lambda: self.input_queue()[0])
        buffers.gauge("outputQueueLength", lambda: self.output_queues()[0])
        buffers.gauge("inPoolUsage", lambda: _usage(self.input_queue()))
        buffers.gauge("outPoolUsage", lambda: _usage(self.output_queues()))

    # ------------------------------------------------------------------ time split (ms)
    def _now(self) -> float:
        return time.monotonic() if self.ended is None else self.ended

    def accumulated_idle(self) -> float:
        since = self.idle_since
        return self.idle_ms + ((self._now() - since) * 1000.0 if since is not None else 0.0)

    def accumulated_backpressured(self) -> float:
        since = self.backpressured_since
        return self.backpressured_ms + ((self._now() - since) * 1000.0 if since is not None else 0.0)

    def accumulated_busy(self) -> float:
        if self.started is None:
            return 0.0
        total = (self._now() - self.started) * 1000.0
        return max(0.0, total - self.accumulated_idle() - self.accumulated_backpressured())

    def start(self) -> None:
        self.started = time.monotonic()

    def end(self) -> None:
        now = time.monotonic()
        if self.idle_since is not None:
            self.idle_ms += (now - self.idle_since) * 1000.0
            self.idle_since = None
        if self.backpressured_since is not None:
            self.backpressured_ms += (now - self.backpressured_since) * 1000.0
            self.backpressured_since = None
        self.ended = now

    def io_metrics(self) -> IOMetrics:
        return IOMetrics(self.records_in.get_count(), self.records_out.get_count(), self.bytes_in.get_count(),
                         self.bytes_out.get_count(), self.accumulated_busy(), self.accumulated_backpressured(),
                         self.accumulated_idle())


class TimeRatioView:
    """Milliseconds per second of one state over the last interval sampled (Flink's
    TimerGauge as the ``...TimeMsPerSecond`` metrics show it): a gauge whose ``update`` the
    registry's view updater calls once a second."""

    __slots__ = ("_accumulated", "_last", "_value")

    def __init__(self, accumulated: Callable[[], float]) -> None:
        self._accumulated = accumulated
        self._last: tuple[float, float] | None = None
        self._value = 0.0

    def update(self, now: float) -> None:
        acc = self._accumulated()
        last = self._last
        if last is not None and now > last[0]:
            self._value = min(1000.0, max(0.0, (acc - last[1]) / (now - last[0])))
        self._last = (now, acc)

    def __call__(self) -> float:
        return round(self._value, 1)


def _usage(queued_capacity: tuple[int, int]) -> float:
    queued, capacity = queued_capacity
    return min(1.0, queued / capacity) if capacity else 0.0


def counted(emit: Callable[..., Any], counter: Counter) -> Callable[..., Any]:
    """``emit`` that first adds the batch's length to ``counter`` (one addition per batch)."""
    def counting_emit(values: list, timestamps: list | None = None, keys: list | None = None) -> None:
        counter._count += len(values)
        emit(values, timestamps, keys)
    return counting_emit
