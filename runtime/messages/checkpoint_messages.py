"""What JobMasters and tasks exchange about checkpoints, and what a checkpoint's ``_metadata``
holds (Flink's CheckpointOptions, state handles, TaskStateSnapshot, OperatorState,
CheckpointMetadata, JobManagerTaskRestore).

State itself lives in files that only tasks read and write (pickled by the TaskManagers);
the JobManager sees handles only: a path, a size, the key-group range a keyed file covers,
the offsets of the entries of an operator state file. That is enough to reassign state to
another parallelism without ever unpickling it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from runtime.common.job import JobID
from runtime.messages.ids import ExecutionAttemptID

__all__ = ["CHECKPOINT_FORMAT_VERSION", "CheckpointMetadata", "CheckpointOptions", "CheckpointType",
           "KeyedStateHandle", "NamedOperatorState", "OperatorRestore", "OperatorState", "OperatorStateHandle",
           "OperatorStatePart", "OperatorSubtaskState", "OperatorSnapshotHandles", "TaskRestore",
           "TaskStateSnapshot"]

#: version of the ``_metadata`` layout (a savepoint says which version wrote it)
CHECKPOINT_FORMAT_VERSION = 1


class CheckpointType(enum.Enum):
    CHECKPOINT = "CHECKPOINT"
    SAVEPOINT = "SAVEPOINT"


@dataclass(frozen=True)
class CheckpointOptions:
    """What a task needs to take one checkpoint: its id and time, where to write, and (for
    stop-with-savepoint) whether the job ends with it and flushes everything first."""

    checkpoint_id: int
    timestamp: int
    #: directory URL of this checkpoint (``.../<job-id>/chk-<n>`` or a savepoint directory)
    location: str
    type: CheckpointType = CheckpointType.CHECKPOINT
    #: stop-with-savepoint: sources stop after this barrier and the job finishes
    terminate: bool = False
    #: with ``terminate``: emit the maximum watermark first, so windows and timers fire
    drain: bool = False
    #: exactly-once aligns barriers per input channel; at-least-once does not
    exactly_once: bool = True

    def validate(self) -> None:
        if self.checkpoint_id < 0 or len(self.location) > 4096:
            raise ValueError("checkpoint id or location out of range")


@dataclass
class KeyedStateHandle:
    """One keyed state file of one operator subtask, covering key groups [start, end] as the
    key hash of ``key_hash`` (``runtime.state.key_groups.KEY_HASH_VERSION``) assigns them; 1
    for files written before that version existed."""

    path: str
    size: int
    key_group_start: int
    key_group_end: int
    key_hash: int = 1


@dataclass
class NamedOperatorState:
    """One named operator state inside an operator state file. ``mode``: SPLIT (list state,
    redistributed round-robin on rescaling), UNION (every subtask gets every entry),
    BROADCAST (every subtask held the same entries; each gets one copy). Entry ``i`` spans
    ``offsets[i]`` up to the next offset (or ``end``)."""

    name: str
    mode: str
    offsets: list[int]
    end: int

    def validate(self) -> None:
        if self.mode not in ("SPLIT", "UNION", "BROADCAST"):
            raise ValueError(f"mode: {self.mode!r} is not SPLIT, UNION or BROADCAST")


@dataclass
class OperatorStateHandle:
    path: str
    size: int
    states: list[NamedOperatorState] = field(default_factory=list)


@dataclass
class OperatorSnapshotHandles:
    """What one operator of a task wrote for one checkpoint."""

    uid: str
    keyed: KeyedStateHandle | None = None
    operator: OperatorStateHandle | None = None


@dataclass
class TaskStateSnapshot:
    """A task's acknowledgement: the handles of every operator of its chain."""

    operators: list[OperatorSnapshotHandles] = field(default_factory=list)
    #: bytes written (for the checkpoint's size statistics)
    size: int = 0


@dataclass
class OperatorSubtaskState:
    subtask: int
    keyed: KeyedStateHandle | None = None
    operator: OperatorStateHandle | None = None
    #: the subtask had finished when the checkpoint was taken (it runs no more on restore)
    finished: bool = False


@dataclass
class OperatorState:
    uid: str
    name: str
    parallelism: int
    max_parallelism: int
    subtasks: list[OperatorSubtaskState] = field(default_factory=list)

    @property
    def fully_finished(self) -> bool:
        return bool(self.subtasks) and all(s.finished for s in self.subtasks) and len(self.subtasks) == self.parallelism


@dataclass
class CheckpointMetadata:
    """The content of ``_metadata``: self-describing (operators by uid, their parallelism and
    max parallelism, state handles with paths relative to the checkpoint directory) and
    versioned, so a savepoint can be moved and restored by a later version."""

    version: int
    job_id: JobID
    checkpoint_id: int
    timestamp: int
    type: CheckpointType
    operators: list[OperatorState] = field(default_factory=list)

    def validate(self) -> None:
        if self.version > CHECKPOINT_FORMAT_VERSION:
            raise ValueError(f"version: format {self.version} is newer than this pyflink understands "
                             f"({CHECKPOINT_FORMAT_VERSION})")


@dataclass
class OperatorStatePart:
    """A slice of an operator state file assigned to one new subtask: entries by their byte
    ranges [start, end)."""

    path: str
    name: str
    mode: str
    ranges: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class OperatorRestore:
    """The state one new subtask restores for one operator (uid)."""

    keyed: list[KeyedStateHandle] = field(default_factory=list)
    operator: list[OperatorStatePart] = field(default_factory=list)


@dataclass
class TaskRestore:
    """Carried in a TaskDeploymentDescriptor when the task starts from a checkpoint."""

    checkpoint_id: int
    #: directory URL of the checkpoint; handle paths are relative to it
    location: str
    operators: dict[str, OperatorRestore] = field(default_factory=dict)
    #: the subtask had finished in that checkpoint: it ends at once, emitting nothing
    finished: bool = False


@dataclass
class CheckpointAck:
    execution_id: ExecutionAttemptID
    checkpoint_id: int
    snapshot: TaskStateSnapshot
