"""Routes what a job prints on a TaskManager back to the client that submitted it.

``sys.stdout`` of a TaskManager process is replaced by a writer that still appends to the
process's ``.out`` file, and additionally buffers text written by a task thread under that
task's job id. The TaskExecutor ships the buffers to the JobMaster (which relays them to an
attached ``pyflink run``) when a task ends and every ``FLUSH_INTERVAL`` seconds in between.
The print sink writes once per batch, so the lock here is taken per batch, not per record.
"""
from __future__ import annotations

import io
import threading
from collections.abc import Callable

FLUSH_INTERVAL = 0.05

_job = threading.local()


def bind_thread(job_id: str | None) -> None:
    _job.id = job_id


class CapturingStream(io.TextIOBase):
    def __init__(self, underlying, on_first_write: Callable[[], None]) -> None:
        self.underlying = underlying
        self.on_first_write = on_first_write
        self.lock = threading.Lock()
        self.buffers: dict[str, list[str]] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.underlying.write(text)
        job_id = getattr(_job, "id", None)
        if job_id is not None and text:
            with self.lock:
                buf = self.buffers.get(job_id)
                first = not self.buffers
                if buf is None:
                    buf = self.buffers[job_id] = []
                buf.append(text)
            if first:
                self.on_first_write()
        return len(text)

    def flush(self) -> None:
        self.underlying.flush()

    def drain(self) -> dict[str, str]:
        with self.lock:
            buffers, self.buffers = self.buffers, {}
        return {job: "".join(parts) for job, parts in buffers.items()}

    def fileno(self) -> int:
        return self.underlying.fileno()

    def isatty(self) -> bool:
        return False
