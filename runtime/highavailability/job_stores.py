"""File-based JobGraphStore and JobResultStore under ``high-availability.storageDir``.

Writes are atomic (temp file + rename) so a JobManager killed mid-write leaves either the
old or the new file, never a torn one; recovery on the next start depends on that.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgpack

from runtime.util.files import atomic_write


class FileJobGraphStore:
    """Submitted job graphs (plain structure + opaque blobs), one msgpack file per job."""

    def __init__(self, storage_dir: Path) -> None:
        self.dir = Path(storage_dir) / "jobgraphs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, job_id: str, job_graph: dict[str, Any]) -> None:
        atomic_write(self.dir / job_id, msgpack.packb(job_graph, use_bin_type=True))

    def get(self, job_id: str) -> dict[str, Any] | None:
        try:
            return msgpack.unpackb((self.dir / job_id).read_bytes(), raw=False, strict_map_key=False)
        except FileNotFoundError:
            return None

    def job_ids(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir() if not p.name.startswith("."))

    def remove(self, job_id: str) -> None:
        try:
            (self.dir / job_id).unlink()
        except FileNotFoundError:
            pass


class FileJobResultStore:
    """Terminal results of jobs: a job with an entry here is done and is never run again."""

    def __init__(self, storage_dir: Path) -> None:
        self.dir = Path(storage_dir) / "job-results"
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, result: dict[str, Any]) -> None:
        atomic_write(self.dir / f"{result['jid']}.json", json.dumps(result).encode())

    def has(self, job_id: str) -> bool:
        return (self.dir / f"{job_id}.json").exists()

    def get(self, job_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.dir / f"{job_id}.json").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def all(self) -> list[dict[str, Any]]:
        out = []
        for p in self.dir.glob("*.json"):
            try:
                out.append(json.loads(p.read_text()))
            except (OSError, ValueError):
                continue
        return out
