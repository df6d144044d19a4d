"""The failures of one job, as the REST API's ``/jobs/:id/exceptions`` shows them (Flink's
exception history: ``RootExceptionHistoryEntry`` with its concurrent ``ExceptionHistoryEntry``s,
bounded by ``web.exception-history-size``).

The scheduler records every failure it handles: a task failure (with the user's traceback as
the TaskManager reported it, the task's name and the TaskManager it ran on) or a global
failure (no slots, a state restore that failed, too many failed checkpoints). A failure that
the scheduler handles while the job is running becomes a root entry; failures of other tasks
that follow while the job restarts or fails are attached to that root as concurrent
exceptions, as in Flink.
"""
from __future__ import annotations

import re
import time
from collections import deque

from runtime.messages.archived_execution_graph import ExceptionHistoryEntry

__all__ = ["ExceptionHistory", "exception_name"]

#: ``ValueError: boom`` / ``mypkg.MyError: ...`` / ``KeyboardInterrupt`` at the start of a cause
_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?::|$)")
#: what a cause that does not start with an exception name is reported as (Flink's generic
#: scheduler exception)
GENERIC_NAME = "JobException"


def exception_name(cause: str) -> str:
    """The exception class a cause starts with (``ValueError: boom`` -> ``ValueError``)."""
    first = cause.strip().splitlines()[0] if cause.strip() else ""
    m = _NAME.match(first)
    return m.group(1) if m else GENERIC_NAME


def _now_ms() -> int:
    return int(time.time() * 1000)


class ExceptionHistory:
    """Root failures, newest first, at most ``size`` of them (older ones are dropped, and
    ``truncated`` says so)."""

    def __init__(self, size: int = 16) -> None:
        self.size = max(1, size)
        self._roots: deque[ExceptionHistoryEntry] = deque()
        self.dropped = 0

    @staticmethod
    def entry(cause: str, task_name: str | None = None, endpoint: str | None = None,
              taskmanager_id: str | None = None, timestamp: int | None = None) -> ExceptionHistoryEntry:
        return ExceptionHistoryEntry(exception_name(cause), cause, timestamp if timestamp is not None else _now_ms(),
                                     task_name, endpoint, taskmanager_id)

    def add_root(self, entry: ExceptionHistoryEntry) -> None:
        self._roots.appendleft(entry)
        while len(self._roots) > self.size:
            self._roots.pop()
            self.dropped += 1

    def add_concurrent(self, entry: ExceptionHistoryEntry) -> None:
        """A failure that followed the latest root failure (a root of its own if there is none)."""
        if self._roots:
            self._roots[0].concurrent.append(entry)
        else:
            self.add_root(entry)

    def entries(self) -> list[ExceptionHistoryEntry]:
        return list(self._roots)
