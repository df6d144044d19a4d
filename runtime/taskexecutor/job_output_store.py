"""What each job printed on this TaskManager, one file per job (what ``pyflink logs JOB`` and
``GET /jobs/<id>/output`` read; pyflink's addition to Flink, whose TaskManager has only the
one ``.out`` file that mixes every job's output).

The TaskManager's ``.out`` file stays as in Flink; in addition a task thread's printed text
(``runtime.taskexecutor.output_capture``) is appended to ``<working dir>/job-output/<job id>.out``
as it is written, once per batch the print sink writes. So the output is there for jobs run
detached and after the JobMaster is gone, for as long as the TaskManager keeps the file:

* a job's file rolls over at ``taskmanager.job-output.max-file-size`` into ``<job id>.out.1``
  (the older part is dropped), so a job holds at most twice that on each TaskManager;
* the TaskManager keeps the files of its ``taskmanager.job-output.retained-jobs`` most recent
  jobs; the files of older jobs that no longer run here are deleted;
* all of them are deleted when the TaskManager exits (they live in its working directory).

Offsets are byte offsets into everything the job ever printed on this TaskManager; a reader
from an offset that was rolled over is told how many bytes it missed.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from runtime.messages.ids import ResourceID
from runtime.messages.log_messages import MAX_CHUNK_BYTES, JobOutputChunk

__all__ = ["JobOutputStore"]


@dataclass
class _JobFile:
    path: Path
    fd: int
    #: bytes the job printed here in all (the offset after the last byte)
    written: int = 0
    #: bytes in the current file and in the rolled-over one
    current: int = 0
    previous: int = 0
    #: the job holds a slot here (its file is not subject to retention)
    active: bool = True

    @property
    def rolled(self) -> Path:
        return self.path.with_name(self.path.name + ".1")

    @property
    def start(self) -> int:
        """The first offset still held."""
        return self.written - self.current - self.previous


class JobOutputStore:
    def __init__(self, directory: Path, resource_id: ResourceID, max_file_bytes: int = 10 << 20,
                 retained_jobs: int = 20) -> None:
        self.directory = directory
        self.resource_id = resource_id
        self.max_file_bytes = max(1, max_file_bytes)
        self.retained_jobs = max(1, retained_jobs)
        self._lock = threading.Lock()
        #: job id -> its file, least recently started job first
        self._files: OrderedDict[str, _JobFile] = OrderedDict()

    # ------------------------------------------------------------------ lifecycle (the TaskExecutor's loop)
    def job_started(self, job_id: str) -> None:
        """A task of the job is deployed here: make sure its file exists (so a job that
        prints nothing is told apart from one whose output is gone)."""
        with self._lock:
            job = self._files.get(job_id)
            if job is None:
                self._files[job_id] = self._open(job_id)
            else:
                job.active = True
                self._files.move_to_end(job_id)
            self._retain()

    def job_released(self, job_id: str) -> None:
        """The job has no slot here any more: its file is kept, subject to retention."""
        with self._lock:
            job = self._files.get(job_id)
            if job is not None:
                job.active = False
            self._retain()

    def close(self) -> None:
        with self._lock:
            for job in self._files.values():
                _close(job.fd)
            self._files.clear()

    def _open(self, job_id: str) -> _JobFile:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{job_id}.out"
        for stale in (path, path.with_name(path.name + ".1")):
            stale.unlink(missing_ok=True)
        return _JobFile(path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))

    def _retain(self) -> None:
        """Delete the files of the oldest jobs that no longer run here, beyond the count kept."""
        excess = len(self._files) - self.retained_jobs
        if excess <= 0:
            return
        for job_id in [j for j, f in self._files.items() if not f.active][:excess]:
            job = self._files.pop(job_id)
            _close(job.fd)
            job.path.unlink(missing_ok=True)
            job.rolled.unlink(missing_ok=True)

    # ------------------------------------------------------------------ writing (task threads, once per batch)
    def append(self, job_id: str, text: str) -> None:
        data = text.encode("utf-8", "replace")
        if not data:
            return
        with self._lock:
            job = self._files.get(job_id)
            if job is None:
                return  # printed by a thread of a job whose file was removed: the .out has it
            try:
                if job.current and job.current + len(data) > self.max_file_bytes:
                    _close(job.fd)
                    os.replace(job.path, job.rolled)
                    job.fd = os.open(job.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                    job.previous, job.current = job.current, 0
                view = memoryview(data)
                while view:
                    view = view[os.write(job.fd, view):]
            except OSError:
                return  # a full disk must not fail the task; the .out file still has the text
            job.written += len(data)
            job.current += len(data)

    # ------------------------------------------------------------------ reading (an I/O thread)
    def read(self, job_id: str, offset: int, max_bytes: int = MAX_CHUNK_BYTES, running: bool = False) -> JobOutputChunk:
        """The job's output from ``offset`` (up to ``max_bytes``; while tasks of the job still
        ``running`` here, cut after the last complete line)."""
        max_bytes = max(1, min(max_bytes, MAX_CHUNK_BYTES))
        with self._lock:
            job = self._files.get(job_id)
            if job is None:
                return JobOutputChunk(self.resource_id, found=False)
            start, end = job.start, job.written
            dropped = 0
            if offset > end:
                offset = start  # a cursor of another incarnation of this resource id: from the start
            elif offset < start:
                dropped, offset = start - offset, start
            data = self._read_range(job, offset, min(end, offset + max_bytes))
        stop = offset + len(data)
        if stop < end or running:
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) >= max_bytes:
                cut = _char_boundary(data, len(data))  # one line longer than a chunk: in pieces
            data = data[:cut]
        next_offset = offset + len(data)
        return JobOutputChunk(self.resource_id, True, data.decode("utf-8", "replace"), next_offset, dropped,
                              more=next_offset < end and (stop < end or not running), running=running)

    @staticmethod
    def _read_range(job: _JobFile, begin: int, stop: int) -> bytes:
        parts = []
        rolled_start = job.start
        current_start = rolled_start + job.previous
        try:
            if begin < current_start:
                with open(job.rolled, "rb") as f:
                    f.seek(begin - rolled_start)
                    parts.append(f.read(min(stop, current_start) - begin))
                begin = current_start
            if begin < stop:
                with open(job.path, "rb") as f:
                    f.seek(begin - current_start)
                    parts.append(f.read(stop - begin))
        except OSError:
            pass
        return b"".join(parts)


def _char_boundary(data: bytes, cut: int) -> int:
    """The largest offset <= cut that does not split a UTF-8 character."""
    i = cut
    while i > 0 and cut - i < 3 and (data[i - 1] & 0xC0) == 0x80:
        i -= 1  # over continuation bytes, back to the character's first byte
    if i > 0 and data[i - 1] >= 0xC0:
        lead = data[i - 1]
        size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        if cut - (i - 1) < size:
            return i - 1
    return cut


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
