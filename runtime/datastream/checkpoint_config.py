"""CheckpointConfig: what ``env.get_checkpoint_config()`` returns (PyFlink's
``pyflink.datastream.checkpoint_config``).

Checkpointing is not implemented yet: every setting is accepted, kept and readable back
with its getter (defaults are Flink's), so PyFlink jobs that configure checkpoints run
unchanged; ``enable_checkpointing`` logs that no checkpoints are taken.
"""
from __future__ import annotations

from typing import Any

from runtime.common.time import Duration
from runtime.configuration import options as opts
from runtime.datastream.checkpointing_mode import CheckpointingMode
from runtime.datastream.externalized_checkpoint_retention import ExternalizedCheckpointRetention

__all__ = ["CheckpointConfig"]


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if hasattr(value, "to_milliseconds"):
        return Duration.of_millis(int(value.to_milliseconds()))
    if hasattr(value, "total_seconds"):
        return Duration.from_timedelta(value)
    return Duration.of_millis(int(value))


class CheckpointConfig:
    def __init__(self, j_checkpoint_config: Any = None) -> None:
        self.interval = -1
        self.mode = CheckpointingMode.EXACTLY_ONCE
        self.timeout = 600_000
        self.min_pause = 0
        self.max_concurrent = 1
        self.fail_on_errors = True
        self.tolerable_failures = 0
        self.unaligned = False
        self.force_unaligned = False
        self.aligned_timeout = Duration.of_millis(0)
        self.retention = ExternalizedCheckpointRetention.NO_EXTERNALIZED_CHECKPOINTS
        #: what the program set, as ``execution.checkpointing.*`` options (Flink's CheckpointConfig
        #: writes its setters into the job's configuration the same way); settings left alone
        #: keep the cluster's configuration
        self._options: dict[str, str] = {}

    def to_job_options(self) -> dict[str, str]:
        """The settings this program made, as the options the JobMaster's coordinator reads."""
        return dict(self._options)

    def is_checkpointing_enabled(self) -> bool:
        return self.interval > 0

    def get_checkpoint_interval(self) -> int:
        return self.interval

    def set_checkpoint_interval(self, checkpoint_interval: int) -> CheckpointConfig:
        if checkpoint_interval < 10:
            raise ValueError(f"checkpoint interval must be at least 10 ms, not {checkpoint_interval}")
        self.interval = int(checkpoint_interval)
        self._options[opts.CHECKPOINTING_INTERVAL.key] = f"{self.interval} ms"
        return self

    def get_checkpointing_mode(self) -> CheckpointingMode:
        return self.mode

    def set_checkpointing_mode(self, checkpointing_mode: CheckpointingMode) -> CheckpointConfig:
        self.mode = checkpointing_mode
        self._options[opts.CHECKPOINTING_MODE.key] = getattr(checkpointing_mode, "name", str(checkpointing_mode))
        return self

    def get_checkpoint_timeout(self) -> int:
        return self.timeout

    def set_checkpoint_timeout(self, checkpoint_timeout: int) -> CheckpointConfig:
        if checkpoint_timeout < 1:
            raise ValueError("checkpoint timeout must be positive")
        self.timeout = int(checkpoint_timeout)
        self._options[opts.CHECKPOINTING_TIMEOUT.key] = f"{self.timeout} ms"
        return self

    def get_min_pause_between_checkpoints(self) -> int:
        return self.min_pause

    def set_min_pause_between_checkpoints(self, min_pause_between_checkpoints: int) -> CheckpointConfig:
        if min_pause_between_checkpoints < 0:
            raise ValueError("the pause between checkpoints must not be negative")
        self.min_pause = int(min_pause_between_checkpoints)
        self._options[opts.CHECKPOINTING_MIN_PAUSE.key] = f"{self.min_pause} ms"
        return self

    def get_max_concurrent_checkpoints(self) -> int:
        return self.max_concurrent

    def set_max_concurrent_checkpoints(self, max_concurrent_checkpoints: int) -> CheckpointConfig:
        if max_concurrent_checkpoints < 1:
            raise ValueError("at least one checkpoint must be allowed at a time")
        self.max_concurrent = int(max_concurrent_checkpoints)
        self._options[opts.CHECKPOINTING_MAX_CONCURRENT.key] = str(self.max_concurrent)
        return self

    def is_fail_on_checkpointing_errors(self) -> bool:
        return self.fail_on_errors

    def set_fail_on_checkpointing_errors(self, fail_on_checkpointing_errors: bool) -> CheckpointConfig:
        self.fail_on_errors = bool(fail_on_checkpointing_errors)
        return self

    def get_tolerable_checkpoint_failure_number(self) -> int:
        return self.tolerable_failures

    def set_tolerable_checkpoint_failure_number(self, tolerable_checkpoint_failure_number: int) -> CheckpointConfig:
        self.tolerable_failures = int(tolerable_checkpoint_failure_number)
        self._options[opts.CHECKPOINTING_TOLERABLE_FAILURES.key] = str(self.tolerable_failures)
        return self

    def set_externalized_checkpoint_retention(self, retention_mode: ExternalizedCheckpointRetention
                                              ) -> CheckpointConfig:
        self.retention = retention_mode
        self._options[opts.CHECKPOINTING_EXTERNALIZED_RETENTION.key] = getattr(
            retention_mode, "name", str(retention_mode))
        return self

    def get_externalized_checkpoint_retention(self) -> ExternalizedCheckpointRetention:
        return self.retention

    def is_externalized_checkpoints_enabled(self) -> bool:
        return self.retention is not ExternalizedCheckpointRetention.NO_EXTERNALIZED_CHECKPOINTS

    def enable_unaligned_checkpoints(self, enabled: bool = True) -> CheckpointConfig:
        self.unaligned = bool(enabled)
        return self

    def disable_unaligned_checkpoints(self) -> CheckpointConfig:
        return self.enable_unaligned_checkpoints(False)

    def is_unaligned_checkpoints_enabled(self) -> bool:
        return self.unaligned

    def set_force_unaligned_checkpoints(self, force_unaligned_checkpoints: bool = True) -> CheckpointConfig:
        self.force_unaligned = bool(force_unaligned_checkpoints)
        return self

    def is_force_unaligned_checkpoints(self) -> bool:
        return self.force_unaligned

    def set_alignment_timeout(self, alignment_timeout: Any) -> CheckpointConfig:
        return self.set_aligned_checkpoint_timeout(alignment_timeout)

    def get_alignment_timeout(self) -> Duration:
        return self.get_aligned_checkpoint_timeout()

    def set_aligned_checkpoint_timeout(self, alignment_timeout: Any) -> CheckpointConfig:
        self.aligned_timeout = _duration(alignment_timeout)
        return self

    def get_aligned_checkpoint_timeout(self) -> Duration:
        return self.aligned_timeout
