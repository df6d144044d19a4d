"""Routes what a job prints on a TaskManager back to the client that submitted it.

``sys.stdout`` of a TaskManager process is replaced by a writer that still appends to the
process's ``.out`` file (rolled over by size: ``runtime.util.log_rotation``; flushed when the
buffers are shipped), and additionally buffers text written by a task thread under that task's job id. The TaskExecutor ships the
buffers to the JobMaster (which relays them to an attached ``pyflink run``) when a task ends
and every ``FLUSH_INTERVAL`` seconds in between; the same text goes to the job's own output
file on this TaskManager (``runtime.taskexecutor.job_output_store``: ``pyflink logs``).
The print sink writes once per batch, so the lock here is taken per batch, not per record.
"""
from __future__ import annotations

import codecs
import io
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.taskexecutor.job_output_store import JobOutputStore
    from runtime.util.log_rotation import OutFileRoller

FLUSH_INTERVAL = 0.05

_job = threading.local()


def bind_thread(job_id: str | None) -> None:
    _job.id = job_id


class CapturingStream(io.TextIOBase):
    def __init__(self, underlying, on_first_write: Callable[[], None], roller: OutFileRoller | None = None) -> None:
        self.underlying = underlying
        self.on_first_write = on_first_write
        self.lock = threading.Lock()
        self.buffers: dict[str, list[str]] = {}
        #: rolls the .out file over by size (None: never)
        self.roller = roller
        #: each job's printed text on this TaskManager (set by the TaskExecutor)
        self.store: JobOutputStore | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                # lone surrogates: written escaped, here and to the client, rather than lost
                text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        roller = self.roller
        if roller is not None and roller.active and text:
            with self.lock:
                roller.before_write(len(text) if text.isascii() else len(text.encode("utf-8", "replace")))
                self.underlying.write(text)
        else:
            self.underlying.write(text)
        job_id = getattr(_job, "id", None)
        if job_id is not None and text:
            store = self.store
            if store is not None:
                store.append(job_id, text)
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

    @property
    def buffer(self) -> _BinaryWriter:
        """``sys.stdout.buffer``: bytes written here are decoded as UTF-8 (undecodable bytes
        escaped) and go the same way as text."""
        writer = self.__dict__.get("_buffer")
        if writer is None:
            writer = self.__dict__["_buffer"] = _BinaryWriter(self)
        return writer

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def drain(self) -> dict[str, str]:
        with self.lock:
            buffers, self.buffers = self.buffers, {}
        return {job: "".join(parts) for job, parts in buffers.items()}

    def fileno(self) -> int:
        return self.underlying.fileno()

    def isatty(self) -> bool:
        return False


class _BinaryWriter(io.RawIOBase):
    def __init__(self, owner: CapturingStream) -> None:
        super().__init__()
        self.owner = owner
        self.lock = threading.Lock()
        self.decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        view = memoryview(data)
        with self.lock:
            text = self.decoder.decode(bytes(view))
        if text:
            self.owner.write(text)
        return len(view)

    def flush(self) -> None:
        self.owner.flush()
