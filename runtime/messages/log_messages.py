"""Log files and printed job output as the control plane carries them (Flink's LogInfo and
LogListInfo of the ``/jobmanager/logs`` and ``/taskmanagers/<id>/logs`` REST calls, and
pyflink's per-job output that ``pyflink logs`` and ``/jobs/<id>/output`` read from the
TaskManagers).

Files are read in chunks from a byte offset, so a large log never has to fit into one RPC
message (``security.internal.max-message-size``).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from runtime.common.job import JobID, JobStatus
from runtime.messages.ids import ResourceID

__all__ = ["JobOutput", "JobOutputChunk", "JobOutputCursor", "LogFileChunk", "LogFileType", "LogInfo",
           "MAX_CHUNK_BYTES"]

#: most bytes one chunk of a file or of a job's output carries
MAX_CHUNK_BYTES = 4 << 20
#: most TaskManagers one job output cursor can name
_MAX_CURSOR_ENTRIES = 4096


@dataclass
class LogInfo:
    """One log file of a process (Flink's LogInfo): its name, size in bytes and last
    modification time in epoch milliseconds."""

    name: str
    size: int
    mtime: int


class LogFileType(enum.Enum):
    """Which file a request names (Flink's FileType): the process's log, its stdout, or a
    file of its log list by name."""

    LOG = "log"
    STDOUT = "stdout"
    NAMED = "named"


@dataclass
class LogFileChunk:
    """Bytes ``[offset, offset + len(data))`` of a process's log file, and its size when read."""

    name: str
    data: bytes
    offset: int
    size: int


@dataclass
class JobOutputChunk:
    """What one TaskManager holds of a job's printed output, from a byte offset.

    ``text`` ends at a line end unless the job's tasks are gone from the TaskManager (so a
    line printed in two writes is never shown in two pieces); ``dropped`` counts bytes before
    the offset that the TaskManager no longer holds (its per-job file rolled over)."""

    resource_id: ResourceID
    found: bool
    text: str = ""
    offset: int = 0
    dropped: int = 0
    #: the TaskManager holds more after ``offset`` than this chunk carried
    more: bool = False
    #: tasks of the job still run on the TaskManager
    running: bool = False


@dataclass
class JobOutputCursor:
    """How far a reader has read a job's output: a byte offset per TaskManager (by resource
    id). A job's output is one file per TaskManager, so there is no single offset."""

    offsets: dict[str, int] = field(default_factory=dict)

    def validate(self) -> None:
        if len(self.offsets) > _MAX_CURSOR_ENTRIES:
            raise ValueError(f"offsets: more than {_MAX_CURSOR_ENTRIES} TaskManagers")
        for key, value in self.offsets.items():
            if len(key) > 512 or value < 0:
                raise ValueError(f"offsets: bad entry {key[:60]!r}: {value}")

    def advanced(self, chunks: list[JobOutputChunk]) -> JobOutputCursor:
        """The cursor after reading ``chunks``."""
        offsets = dict(self.offsets)
        for chunk in chunks:
            if chunk.found:
                offsets[str(chunk.resource_id)] = chunk.offset
        return JobOutputCursor(offsets)


@dataclass
class JobOutput:
    """One read of a job's output from every TaskManager that holds some of it."""

    job_id: JobID
    state: JobStatus
    chunks: list[JobOutputChunk] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The chunks' text, TaskManager by TaskManager (each one's lines in order)."""
        return "".join(_dropped_notice(c) + c.text for c in self.chunks)

    @property
    def more(self) -> bool:
        """Some TaskManager holds more than this read carried: read again at once."""
        return any(c.more for c in self.chunks)

    @property
    def found(self) -> bool:
        return any(c.found for c in self.chunks)

    @property
    def finished(self) -> bool:
        """Nothing more will come: the job ended and every TaskManager's output was read."""
        return self.state.is_globally_terminal_state() and not self.more and \
            not any(c.running for c in self.chunks)


def _dropped_notice(chunk: JobOutputChunk) -> str:
    if not chunk.dropped:
        return ""
    return f"[... {chunk.dropped} bytes of output on TaskManager {chunk.resource_id} were rolled over ...]\n"
