"""StatusWatermarkValve (Flink's): combines the watermarks and idleness of a task's input
channels into the task's own.

The task's watermark is the minimum over the channels that are not idle; a finished channel
counts with the maximum watermark, so a finished input beside idle ones still lets time
advance. The task is idle when every open channel is. Watermarks only move forward.
"""
from __future__ import annotations

from collections.abc import Callable

from runtime.io.network.elements import MAX_WATERMARK, MIN_WATERMARK


class StatusWatermarkValve:
    __slots__ = ("_finished", "_idle", "_watermarks", "current", "idle", "on_idle", "on_watermark")

    def __init__(self, num_channels: int, on_watermark: Callable[[int], None],
                 on_idle: Callable[[bool], None]) -> None:
        self._watermarks = [MIN_WATERMARK] * num_channels
        self._idle = [False] * num_channels
        self._finished = [False] * num_channels
        self.on_watermark = on_watermark
        self.on_idle = on_idle
        self.current = MIN_WATERMARK
        self.idle = False

    def input_watermark(self, channel: int, watermark: int) -> None:
        if watermark > self._watermarks[channel]:
            self._watermarks[channel] = watermark
        if self._idle[channel]:
            self._idle[channel] = False
            self._update_idle()
        self._advance()

    def input_idle(self, channel: int, idle: bool) -> None:
        if self._idle[channel] != idle:
            self._idle[channel] = idle
            self._update_idle()
        self._advance()

    def channel_finished(self, channel: int) -> None:
        self._finished[channel] = True
        self._watermarks[channel] = MAX_WATERMARK
        if not all(self._finished):
            self._advance()

    def _update_idle(self) -> None:
        idle = all(i for i, f in zip(self._idle, self._finished) if not f)
        if idle != self.idle:
            self.idle = idle
            self.on_idle(idle)

    def _advance(self) -> None:
        live = [w for w, i, f in zip(self._watermarks, self._idle, self._finished) if f or not i]
        if not live:
            return
        wm = min(live)
        if wm > self.current:
            self.current = wm
            self.on_watermark(wm)
