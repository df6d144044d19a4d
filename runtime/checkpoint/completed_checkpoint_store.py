"""CompletedCheckpointStore (Flink's DefaultCompletedCheckpointStore with a file-based state
handle store): the checkpoints of a job that completed, kept under
``high-availability.storageDir/completed-checkpoints/<job-id>/`` so that a JobManager started
after a crash resumes the job from its latest one — no ZooKeeper needed.

Each entry is a small JSON pointer (checkpoint id, time, the directory of its ``_metadata``),
written atomically. The store keeps ``execution.checkpointing.num-retained`` entries; the
checkpoints that fall out are deleted from the checkpoint storage.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from runtime.util.files import atomic_write

log = logging.getLogger(__name__)

_ENTRY = re.compile(r"chk-(\d+)\.json")


@dataclass(frozen=True)
class CompletedCheckpoint:
    checkpoint_id: int
    timestamp: int
    #: directory URL of the checkpoint (holds ``_metadata``)
    location: str
    state_size: int = 0


class FileCompletedCheckpointStore:
    def __init__(self, storage_dir: Path, job_id: object, max_retained: int = 1) -> None:
        self.dir = Path(storage_dir) / "completed-checkpoints" / str(job_id)
        self.max_retained = max(1, max_retained)

    def add(self, checkpoint: CompletedCheckpoint) -> list[CompletedCheckpoint]:
        """Record a completed checkpoint; returns the ones no longer retained."""
        data = {"checkpoint_id": checkpoint.checkpoint_id, "timestamp": checkpoint.timestamp,
                "location": checkpoint.location, "state_size": checkpoint.state_size}
        atomic_write(self.dir / f"chk-{checkpoint.checkpoint_id}.json", json.dumps(data).encode())
        entries = self.all()
        dropped = entries[:-self.max_retained] if len(entries) > self.max_retained else []
        for old in dropped:
            self.remove(old.checkpoint_id)
        return dropped

    def all(self) -> list[CompletedCheckpoint]:
        """Oldest first."""
        if not self.dir.is_dir():
            return []
        out = []
        for path in self.dir.iterdir():
            m = _ENTRY.fullmatch(path.name)
            if m is None:
                continue
            try:
                data = json.loads(path.read_text())
                out.append(CompletedCheckpoint(int(data["checkpoint_id"]), int(data["timestamp"]),
                                               str(data["location"]), int(data.get("state_size", 0))))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring unreadable completed-checkpoint entry %s: %s", path, exc)
        return sorted(out, key=lambda c: c.checkpoint_id)

    def latest(self) -> CompletedCheckpoint | None:
        entries = self.all()
        return entries[-1] if entries else None

    def remove(self, checkpoint_id: int) -> None:
        try:
            (self.dir / f"chk-{checkpoint_id}.json").unlink()
        except FileNotFoundError:
            pass

    def clear(self) -> None:
        for c in self.all():
            self.remove(c.checkpoint_id)
        try:
            self.dir.rmdir()
        except OSError:
            pass
