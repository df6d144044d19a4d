"""File-based JobGraphStore and JobResultStore under ``high-availability.storageDir`` (Flink's
FileSystemJobResultStore and the standalone job graph store).

Writes are atomic (temp file + rename) so a JobManager killed mid-write leaves either the
old or the new file, never a torn one; recovery on the next start depends on that. What is
read back is decoded and validated like a message from a peer: a file that does not decode
is reported and skipped, never run.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import msgpack

from runtime.common.job import JobID
from runtime.jobgraph.job_graph import JobGraph
from runtime.messages.codec import MessageError, from_wire, to_wire
from runtime.messages.job_messages import JobResult
from runtime.util.files import atomic_write

log = logging.getLogger(__name__)


class FileJobGraphStore:
    """Submitted job graphs (plain structure + opaque blobs), one msgpack file per job."""

    def __init__(self, storage_dir: Path) -> None:
        self.dir = Path(storage_dir) / "jobgraphs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, job_graph: JobGraph) -> None:
        atomic_write(self.dir / str(job_graph.job_id), msgpack.packb(to_wire(job_graph), use_bin_type=True))

    def get(self, job_id: JobID) -> JobGraph | None:
        path = self.dir / str(job_id)
        try:
            data = msgpack.unpackb(path.read_bytes(), raw=False, strict_map_key=False)
            return from_wire(JobGraph, data, "job graph")
        except FileNotFoundError:
            return None
        except (ValueError, MessageError, msgpack.UnpackException) as exc:
            log.error("the job graph %s is unreadable and is not recovered: %s", path, exc)
            return None

    def job_ids(self) -> list[JobID]:
        out = []
        for p in sorted(self.dir.iterdir()):
            if p.name.startswith("."):
                continue
            try:
                out.append(JobID.from_hex(p.name))
            except ValueError:
                log.warning("ignoring %s in the job graph store: not a job id", p)
        return out

    def remove(self, job_id: JobID) -> None:
        try:
            (self.dir / str(job_id)).unlink()
        except FileNotFoundError:
            pass


class FileJobResultStore:
    """Results of jobs that are done: a job with an entry here is never run again."""

    def __init__(self, storage_dir: Path) -> None:
        self.dir = Path(storage_dir) / "job-results"
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, result: JobResult) -> None:
        atomic_write(self.dir / f"{result.job_id}.json", json.dumps(to_wire(result)).encode())

    def has(self, job_id: JobID) -> bool:
        return (self.dir / f"{job_id}.json").exists()

    def get(self, job_id: JobID) -> JobResult | None:
        return self._read(self.dir / f"{job_id}.json")

    def _read(self, path: Path) -> JobResult | None:
        try:
            return from_wire(JobResult, json.loads(path.read_text()), str(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, MessageError) as exc:
            log.warning("unreadable job result %s: %s", path, exc)
            return None

    def all(self) -> list[JobResult]:
        out = []
        for p in self.dir.glob("*.json"):
            result = self._read(p)
            if result is not None:
                out.append(result)
        return out
