"""ExecutionConfig and CheckpointConfig: what ``env.get_config()`` and
``env.get_checkpoint_config()`` return in PyFlink, backed by the environment's settings.

Checkpointing is not implemented yet: its settings are accepted and kept (so PyFlink jobs
that configure it run unchanged) and a warning says that no checkpoints are taken.
"""
from __future__ import annotations

import logging
from enum import Enum
from typing import TYPE_CHECKING, Any

from runtime.configuration import options as opts

if TYPE_CHECKING:
    from runtime.datastream.stream_execution_environment import StreamExecutionEnvironment

log = logging.getLogger(__name__)


class CheckpointingMode(Enum):
    EXACTLY_ONCE = 0
    AT_LEAST_ONCE = 1


class TimeCharacteristic(Enum):
    """Deprecated in Flink (event time is always available); accepted for old jobs."""
    ProcessingTime = 0
    IngestionTime = 1
    EventTime = 2


class ExecutionConfig:
    def __init__(self, env: StreamExecutionEnvironment) -> None:
        self._env = env
        self._object_reuse = False
        self._global_job_parameters: dict[str, str] = {}

    def set_auto_watermark_interval(self, interval: int) -> ExecutionConfig:
        self._env._config.set_string(opts.PIPELINE_AUTO_WATERMARK_INTERVAL.key, str(int(interval)))
        return self

    def get_auto_watermark_interval(self) -> int:
        return self._env._auto_watermark_interval()

    def set_parallelism(self, parallelism: int) -> ExecutionConfig:
        self._env.set_parallelism(parallelism)
        return self

    def get_parallelism(self) -> int:
        return self._env.get_parallelism()

    def set_max_parallelism(self, max_parallelism: int) -> ExecutionConfig:
        self._env.set_max_parallelism(max_parallelism)
        return self

    def get_max_parallelism(self) -> int:
        return self._env.get_max_parallelism()

    def enable_object_reuse(self) -> ExecutionConfig:
        self._object_reuse = True  # records are never copied between chained operators anyway
        return self

    def disable_object_reuse(self) -> ExecutionConfig:
        self._object_reuse = False
        return self

    def is_object_reuse_enabled(self) -> bool:
        return self._object_reuse

    def set_global_job_parameters(self, global_job_parameters_dict: dict) -> ExecutionConfig:
        self._global_job_parameters = {str(k): str(v) for k, v in dict(global_job_parameters_dict).items()}
        return self

    def get_global_job_parameters(self) -> dict:
        return dict(self._global_job_parameters)

    def get_configuration(self) -> Any:
        return self._env._config


class CheckpointConfig:
    def __init__(self) -> None:
        self.interval = -1
        self.mode = CheckpointingMode.EXACTLY_ONCE
        self.settings: dict[str, Any] = {}

    def is_checkpointing_enabled(self) -> bool:
        return self.interval > 0

    def get_checkpoint_interval(self) -> int:
        return self.interval

    def set_checkpoint_interval(self, checkpoint_interval: int) -> CheckpointConfig:
        self.interval = int(checkpoint_interval)
        return self

    def get_checkpointing_mode(self) -> CheckpointingMode:
        return self.mode

    def set_checkpointing_mode(self, checkpointing_mode: CheckpointingMode) -> CheckpointConfig:
        self.mode = checkpointing_mode
        return self

    def __getattr__(self, name: str) -> Any:
        # the many set_*/enable_* tuning knobs of Flink's CheckpointConfig: recorded, no effect yet
        if name.startswith(("set_", "enable_", "disable_")):
            def setter(*args: Any, **kwargs: Any) -> CheckpointConfig:
                self.settings[name] = args or kwargs
                return self
            return setter
        raise AttributeError(name)


def warn_no_checkpoints() -> None:
    log.warning("checkpointing is not implemented yet: the job runs, but no checkpoints are taken")
