"""Checkpoint statistics of a job, as Flink's CheckpointStatsTracker keeps them and REST
``GET /jobs/:id/checkpoints`` shows them (field names converted in ``flink_json``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckpointStatsEntry:
    id: int
    status: str                 # IN_PROGRESS, COMPLETED, FAILED
    is_savepoint: bool
    trigger_timestamp: int
    latest_ack_timestamp: int = -1
    state_size: int = 0
    end_to_end_duration: int = 0
    num_subtasks: int = 0
    num_acknowledged_subtasks: int = 0
    external_path: str | None = None
    failure_message: str | None = None


@dataclass
class CheckpointStatistics:
    restored: int = 0
    total: int = 0
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    history: list[CheckpointStatsEntry] = field(default_factory=list)
    latest_completed: CheckpointStatsEntry | None = None
    latest_savepoint: CheckpointStatsEntry | None = None
    latest_failed: CheckpointStatsEntry | None = None
    #: the checkpoint the job was last restored from: (id, external path, restore timestamp)
    restored_id: int | None = None
    restored_path: str | None = None
    restore_timestamp: int | None = None
