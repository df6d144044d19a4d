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
from collections.abc import Callable
from typing import Any

from runtime.io.network.elements import DATA, END_OF_PARTITION, IDLE, MAX_WATERMARK, WATERMARK
from runtime.io.network.input_gate import InputGate
from runtime.io.network.network_environment import decode_buffer
from runtime.streaming.io.status_watermark_valve import StatusWatermarkValve

#: channel index of the item that only wakes the task (mail arrived while it waited)
WAKEUP_CHANNEL = -1
WAKEUP_ITEM = (WAKEUP_CHANNEL, None)


class InputStatus(enum.Enum):
    MORE_AVAILABLE = 0
    NOTHING_AVAILABLE = 1
    END_OF_INPUT = 2


class StreamInputProcessor:
    #: gate items handled per ``process_input`` call before the task looks at its mailbox
    MAX_ITEMS_PER_CALL = 64

    def __init__(self, gate: InputGate, head: Any, batch_mode: bool, buffer_timeout: float,
                 flush: Callable[[], None], mailbox: Any) -> None:
        self.gate = gate
        self.channels = gate.channels
        self.open_channels = len(gate.channels)
        self.processors = (head.process_batch, getattr(head, "process_batch2", head.process_batch))
        self.valve = StatusWatermarkValve(len(gate.channels), head.process_watermark, head.process_idle)
        self.batch_mode = batch_mode
        self.buffer_timeout = buffer_timeout
        self.flush = flush
        #: the task's mailbox: a pending mail ends the current call early
        self.mailbox = mailbox
        self.last_flush = time.monotonic()
        self._stash: tuple | None = None

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
        for _ in range(self.MAX_ITEMS_PER_CALL):
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
            channel = channels[ch]
            channel.release()
            if type(element) is not tuple:
                element = decode_buffer(element)
            kind = element[0]
            if kind == DATA:
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
            elif kind == END_OF_PARTITION:
                channel.finished = True
                self.open_channels -= 1
                if not self.open_channels:
                    return InputStatus.END_OF_INPUT
                self.valve.channel_finished(ch)
            if mailbox.has_mail:
                return InputStatus.MORE_AVAILABLE
        return InputStatus.MORE_AVAILABLE

    def flushed(self) -> None:
        """The task flushed its outputs (it is about to wait)."""
        self.last_flush = time.monotonic()
