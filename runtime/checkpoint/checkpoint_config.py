"""CheckpointCoordinatorConfiguration (Flink's): the checkpoint settings of one job, from the
job's configuration (``env.enable_checkpointing`` and ``get_checkpoint_config()`` write it)
over the cluster's, parsed with the typed ConfigOptions."""
from __future__ import annotations

from dataclasses import dataclass

from runtime.configuration import options as opts
from runtime.configuration.configuration import Configuration


@dataclass(frozen=True)
class CheckpointCoordinatorConfiguration:
    interval_ms: int = 0
    timeout_ms: int = 600_000
    min_pause_ms: int = 0
    max_concurrent: int = 1
    tolerable_failures: int = 0
    exactly_once: bool = True
    retention: str = "NO_EXTERNALIZED_CHECKPOINTS"
    num_retained: int = 1
    checkpoint_dir: str = ""
    savepoint_dir: str = ""

    @property
    def periodic(self) -> bool:
        return self.interval_ms > 0

    @staticmethod
    def from_configuration(config: Configuration) -> CheckpointCoordinatorConfiguration:
        return CheckpointCoordinatorConfiguration(
            interval_ms=config.get(opts.CHECKPOINTING_INTERVAL),
            timeout_ms=config.get(opts.CHECKPOINTING_TIMEOUT),
            min_pause_ms=config.get(opts.CHECKPOINTING_MIN_PAUSE),
            max_concurrent=config.get(opts.CHECKPOINTING_MAX_CONCURRENT),
            tolerable_failures=config.get(opts.CHECKPOINTING_TOLERABLE_FAILURES),
            exactly_once=config.get(opts.CHECKPOINTING_MODE) == "EXACTLY_ONCE",
            retention=config.get(opts.CHECKPOINTING_EXTERNALIZED_RETENTION),
            num_retained=config.get(opts.CHECKPOINTS_NUM_RETAINED),
            checkpoint_dir=config.get(opts.CHECKPOINTS_DIRECTORY),
            savepoint_dir=config.get(opts.SAVEPOINT_DIRECTORY),
        )


def job_configuration(cluster: Configuration, job: dict[str, str]) -> Configuration:
    """The job's own settings over the cluster's (as Flink applies a job's configuration)."""
    merged = Configuration(cluster)
    for key, value in job.items():
        merged.set_string(key, value)
    return merged
