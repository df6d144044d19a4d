"""TaskMailbox (Flink's): actions other threads want run *in the task thread*.

Cancelling a task, and (with checkpoints) triggering a snapshot or confirming a completed
checkpoint, must happen between two batches, when the operators are in a consistent state
and no user function is running. Other threads put such an action into the task's mailbox;
the task thread runs every pending action between batches and whenever it waits for input.
``has_mail`` is a plain attribute the hot loop reads once per batch (no lock); ``put``
wakes a task that is blocked waiting for input.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

Mail = Callable[[], None]


class MailboxClosedError(Exception):
    """The task has ended: nothing will run what was put into its mailbox."""


class Mailbox:
    __slots__ = ("_closed", "_queue", "_wakeup", "has_mail")

    def __init__(self) -> None:
        self._queue: deque[tuple[Mail, str]] = deque()
        self._wakeup: Callable[[], None] = _nothing
        self._closed = False
        self.has_mail = False

    def set_wakeup(self, wakeup: Callable[[], None]) -> None:
        """How to wake the task thread while it waits for input (set by the task)."""
        self._wakeup = wakeup

    def put(self, action: Mail, description: str) -> None:
        """Run ``action`` in the task thread at its next chance (any thread may call this)."""
        if self._closed:
            raise MailboxClosedError(f"the task has ended; cannot run {description}")
        self._queue.append((action, description))
        self.has_mail = True
        self._wakeup()

    def run_all(self) -> int:
        """Run every pending action, in order (task thread only). An exception from an action
        propagates (the cancel action ends the task that way); actions after it stay queued."""
        self.has_mail = False
        ran = 0
        queue = self._queue
        while queue:
            action, _ = queue.popleft()
            ran += 1
            action()
        return ran

    def close(self) -> list[str]:
        """The task ended: refuse new mail and drop what is pending (its descriptions)."""
        self._closed = True
        dropped = [d for _, d in self._queue]
        self._queue.clear()
        self.has_mail = False
        return dropped


def _nothing() -> None:
    return None
