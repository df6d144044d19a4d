"""StreamInputProcessor (Flink's StreamOneInputProcessor / StreamTwoInputProcessor): reads the
task's input gate and hands each element to the head of the operator chain.

Data batches go to the head's ``process_batch`` (or ``process_batch2`` for the second input
of a two-input operator); watermarks and idleness go through the StatusWatermarkValve; an
end-of-partition finishes its channel. ``process_input`` works through what the gate holds
until it is empty, the task has mail, or a batch of work is done, and says whether more is
available, nothing is (the task may wait), or the input has ended. Checkpoint barrier
alignment will sit beside the valve (``BARRIER`` items) without changing this loop's shape.
"""
from __future__ import annotations

import enum
import queue
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from runtime.io.network.elements import BARRIER, DATA, END_OF_PARTITION, IDLE, MAX_WATERMARK, WATERMARK
from runtime.io.network.input_gate import InputGate
from runtime.io.network.network_environment import decode_buffer
from runtime.messages.checkpoint_messages import CheckpointOptions, CheckpointType
from runtime.metrics.metric_group import Counter
from runtime.metrics.task_io_metrics import OperatorIOMetrics, TaskIOMetrics
from runtime.streaming.io.checkpoint_barrier_handler import CheckpointBarrierHandler
from runtime.streaming.io.status_watermark_valve import StatusWatermarkValve

#: channel index of the item that only wakes the task (mail arrived while it waited)
WAKEUP_CHANNEL = -1
WAKEUP_ITEM = (WAKEUP_CHANNEL, None)


def barrier_item(options: CheckpointOptions) -> tuple:
    """The in-band barrier element (plain values, cheap to pickle on remote channels)."""
    return (BARRIER, options.checkpoint_id, options.timestamp, options.location, options.type.value,
            options.terminate, options.drain, options.exactly_once)


def barrier_options(element: tuple) -> CheckpointOptions:
    _, cid, ts, location, kind, terminate, drain, exactly_once = element
    return CheckpointOptions(cid, ts, location, CheckpointType(kind), terminate, drain, exactly_once)


class InputStatus(enum.Enum):
    MORE_AVAILABLE = 0
    NOTHING_AVAILABLE = 1
    END_OF_INPUT = 2


class StreamInputProcessor:
    #: gate items handled per ``process_input`` call before the task looks at its mailbox
    MAX_ITEMS_PER_CALL = 64

    def __init__(self, gate: InputGate, head: Any, batch_mode: bool, buffer_timeout: float,
                 flush: Callable[[], None], mailbox: Any,
                 on_checkpoint: Callable[[CheckpointOptions], None] | None = None,
                 on_checkpoint_abort: Callable[[int, str], None] | None = None,
                 metrics: TaskIOMetrics | None = None, head_metrics: OperatorIOMetrics | None = None) -> None:
        self.gate = gate
        #: the task's numRecordsIn / numBytesIn (counted per batch and per received buffer)
        self.records_in = metrics.records_in if metrics is not None else Counter()
        self.bytes_in = metrics.bytes_in if metrics is not None else Counter()
        process_watermark = head.process_watermark
        if head_metrics is not None:
            def process_watermark(watermark: int, _m: OperatorIOMetrics = head_metrics,
                                  _process: Callable[[int], None] = head.process_watermark) -> None:
                _m.input_watermark = watermark
                _process(watermark)
            if metrics is not None:
                metrics.head_input_watermark = lambda: head_metrics.input_watermark

        self.channels = gate.channels
        self.open_channels = len(gate.channels)
        self.processors = (head.process_batch, getattr(head, "process_batch2", head.process_batch))
        self.valve = StatusWatermarkValve(len(gate.channels), process_watermark, head.process_idle)
        self.batch_mode = batch_mode
        self.buffer_timeout = buffer_timeout
        self.flush = flush
        #: the task's mailbox: a pending mail ends the current call early
        self.mailbox = mailbox
        self.last_flush = time.monotonic()
        self._stash: tuple | None = None
        self.barriers = CheckpointBarrierHandler(len(gate.channels), on_checkpoint or _ignore_checkpoint,
                                                 on_checkpoint_abort or _ignore_abort)
        #: items of blocked channels, held back during an alignment (credit not yet returned)
        self._held: list[deque] = [deque() for _ in gate.channels]
        #: held items released by a completed alignment, processed before anything new
        self._replay: deque = deque()
        #: how the input ended: None (end of the data), "drain" or "no-drain" (the job stops
        #: with a savepoint; without draining, operators finish without flushing)
        self.stop_mode: str | None = None

    def wakeup(self) -> None:
        """Make a task blocked in ``await_input`` return (any thread)."""
        self.gate.queue.put(WAKEUP_ITEM)

    def await_input(self, timeout: float) -> None:
        """Block until the gate has an item or ``timeout`` passes (task thread)."""
        if self._stash is None:
            try:
                self._stash = self.gate.queue.get(timeout=timeout)
            except queue.Empty:
                pass

    def process_input(self) -> InputStatus:
        get_nowait = self.gate.queue.get_nowait
        channels = self.channels
        processors = self.processors
        timeout = self.buffer_timeout
        mailbox = self.mailbox
        blocked = self.barriers.blocked
        replay = self._replay
        records_in = self.records_in
        for _ in range(self.MAX_ITEMS_PER_CALL):
            if replay:
                item = replay.popleft()
            else:
                item = self._stash
                if item is not None:
                    self._stash = None
                else:
                    try:
                        item = get_nowait()
                    except queue.Empty:
                        return InputStatus.NOTHING_AVAILABLE
            ch, element = item
            if ch == WAKEUP_CHANNEL:
                return InputStatus.MORE_AVAILABLE
            if blocked[ch]:
                self._held[ch].append(item)  # after this channel's barrier: wait for the others
                continue
            channel = channels[ch]
            channel.release()
            if type(element) is not tuple:
                self.bytes_in._count += len(element)
                element = decode_buffer(element)
            kind = element[0]
            if kind == DATA:
                records_in._count += len(element[1])
                processors[channel.input_index](element[1], element[2], element[3])
                now = time.monotonic()
                if now - self.last_flush >= timeout:
                    self.flush()
                    self.last_flush = now
            elif kind == WATERMARK:
                if self.batch_mode and element[1] != MAX_WATERMARK:
                    continue  # BATCH: time only moves at the end of input
                self.valve.input_watermark(ch, element[1])
            elif kind == IDLE:
                self.valve.input_idle(ch, element[1])
            elif kind == BARRIER:
                if self.barriers.on_barrier(ch, barrier_options(element)):
                    self._release_held()
            elif kind == END_OF_PARTITION:
                channel.finished = True
                self.open_channels -= 1
                if len(element) > 1:
                    mode = "drain" if element[1] else "no-drain"
                    if self.stop_mode != "no-drain":
                        self.stop_mode = mode
                if self.barriers.on_end_of_partition(ch):
                    self._release_held()
                if not self.open_channels:
                    return InputStatus.END_OF_INPUT
                self.valve.channel_finished(ch)
            if mailbox.has_mail:
                return InputStatus.MORE_AVAILABLE
        return InputStatus.MORE_AVAILABLE

    def _release_held(self) -> None:
        """An alignment completed (or was aborted): what the blocked channels delivered meanwhile
        is processed next, in each channel's order."""
        for held in self._held:
            if held:
                self._replay.extend(held)
                held.clear()

    def abort_checkpoint(self, checkpoint_id: int) -> None:
        if self.barriers.abort(checkpoint_id):
            self._release_held()

    def flushed(self) -> None:
        """The task flushed its outputs (it is about to wait)."""
        self.last_flush = time.monotonic()


def _ignore_checkpoint(options: CheckpointOptions) -> None:
    return None


def _ignore_abort(checkpoint_id: int, reason: str) -> None:
    return None
