"""PyFlink's ``pyflink.datastream.checkpoint_storage``: where checkpoints would be written.

Checkpoints are not taken yet (see ``CheckpointConfig``); these classes carry their
settings so jobs that build them run. ``state.checkpoints.dir`` in the configuration is
what the engine will use.
"""
from __future__ import annotations

from typing import Any

__all__ = ["CheckpointStorage", "JobManagerCheckpointStorage", "FileSystemCheckpointStorage",
           "CustomCheckpointStorage"]


class CheckpointStorage:
    """Base of the checkpoint storages."""

    def __init__(self, j_checkpoint_storage: Any) -> None:
        self._settings = j_checkpoint_storage

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class JobManagerCheckpointStorage(CheckpointStorage):
    """Checkpoints in the JobManager's memory (savepoints in ``checkpoint_path``, if given)."""

    #: Flink's default cap on the size of one state handle kept in the JobManager: 5 MiB
    DEFAULT_MAX_STATE_SIZE = 5 * 1024 * 1024

    def __init__(self, checkpoint_path: str | None = None, max_state_size: int | None = None,
                 j_jobmanager_checkpoint_storage: Any = None) -> None:
        super().__init__(None)
        self._checkpoint_path = checkpoint_path
        self._max_state_size = self.DEFAULT_MAX_STATE_SIZE if max_state_size is None else int(max_state_size)

    def get_checkpoint_path(self) -> str | None:
        return self._checkpoint_path

    def get_max_state_size(self) -> int:
        return self._max_state_size

    def get_savepoint_path(self) -> str | None:
        return self._checkpoint_path


class FileSystemCheckpointStorage(CheckpointStorage):
    """Checkpoints as files under ``checkpoint_path`` (any fsspec URL)."""

    #: the largest state kept inline in the checkpoint metadata instead of a file: 1 MiB
    MAX_FILE_STATE_THRESHOLD = 1024 * 1024

    def __init__(self, checkpoint_path: str | None = None, file_state_size_threshold: int | None = None,
                 write_buffer_size: int = -1, j_filesystem_checkpoint_storage: Any = None) -> None:
        super().__init__(None)
        if checkpoint_path is None:
            raise ValueError("FileSystemCheckpointStorage needs a checkpoint_path")
        if file_state_size_threshold is not None and not 0 <= file_state_size_threshold <= self.MAX_FILE_STATE_THRESHOLD:
            raise ValueError(f"file_state_size_threshold must be in 0..{self.MAX_FILE_STATE_THRESHOLD}")
        self._checkpoint_path = checkpoint_path
        self._threshold = 20 * 1024 if file_state_size_threshold is None else int(file_state_size_threshold)
        self._write_buffer_size = int(write_buffer_size)

    def get_checkpoint_path(self) -> str:
        return self._checkpoint_path

    def get_savepoint_path(self) -> str | None:
        return None

    def get_min_file_size_threshold(self) -> int:
        return self._threshold

    def get_write_buffer_size(self) -> int:
        return self._write_buffer_size if self._write_buffer_size >= 0 else max(4096, self._threshold)


class CustomCheckpointStorage(CheckpointStorage):
    """PyFlink wraps a Java CheckpointStorage here; a Python object is kept as it is."""

    def __init__(self, j_custom_checkpoint_storage: Any) -> None:
        super().__init__(j_custom_checkpoint_storage)
