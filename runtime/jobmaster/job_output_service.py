"""JobOutputService: what a job sends back to the client that submitted it, held by its
JobMaster: the text its tasks print (relayed to an attached ``pyflink run``) and the batches
of an ``execute_and_collect`` sink.

Clients long-poll: a poll returns as soon as there is output past its offset, collected data
past its collect offset, or the job has ended. Collected batches are flow-controlled: a
sink's batch is accepted only while less than COLLECT_WINDOW bytes are unread, so a fast job
waits for a slow reader instead of growing the JobMaster's memory.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from runtime.common.job import JobStatus
from runtime.jobmaster.output_relay import OutputRelay
from runtime.messages.job_messages import JobPollResult, JobResult

#: bytes of collected (execute_and_collect) results a JobMaster holds before the sink waits
COLLECT_WINDOW = 16 * 1024 * 1024


class JobOutputService:
    def __init__(self, status: Callable[[], JobStatus], result: Callable[[], JobResult | None]) -> None:
        self._status = status
        self._result = result
        self.output = OutputRelay()
        self.read_offset = 0   # how far an attached client has read the output
        self.collected: list[bytes] = []
        self.collected_base = 0
        self.collected_bytes = 0
        self._drained = asyncio.Event()
        self._changed = asyncio.Event()

    def changed(self) -> None:
        """The job's status changed: wake pollers and waiting sinks."""
        self._changed.set()
        self._drained.set()

    def append_output(self, text: str) -> None:
        self.output.append(text)
        self._changed.set()

    def unread_output(self) -> bool:
        """An attached client has started reading and has not read everything yet."""
        return bool(self.read_offset) and self.output.has_more(self.read_offset)

    async def collect(self, payload: bytes) -> bool:
        while self.collected_bytes >= COLLECT_WINDOW and not self._status().is_globally_terminal_state():
            self._drained.clear()
            await self._drained.wait()
        self.collected.append(payload)
        self.collected_bytes += len(payload)
        self._changed.set()
        return True

    def ack_collected(self, upto: int) -> None:
        """Drop collected batches the client has consumed."""
        n = upto - self.collected_base
        if n > 0:
            self.collected_bytes -= sum(len(b) for b in self.collected[:n])
            del self.collected[:n]
            self.collected_base = upto
            self._drained.set()

    async def poll(self, offset: int, collect_offset: int, timeout: float) -> JobPollResult:
        deadline = time.monotonic() + timeout
        while True:
            fresh = collect_offset < self.collected_base + len(self.collected)
            if self.output.has_more(offset) or fresh or self._status().is_globally_terminal_state():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                break
        text, next_offset = self.output.read(offset)
        self.read_offset = max(self.read_offset, next_offset)
        start = max(collect_offset - self.collected_base, 0)
        return JobPollResult(self._status(), text, next_offset, self.output.has_more(next_offset),
                             self.collected[start:], self.collected_base + len(self.collected), self._result())
