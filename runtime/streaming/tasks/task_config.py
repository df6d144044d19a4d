"""TaskConfig: the job options a task and its operators act on, parsed once per task by the
typed ConfigOptions (Flink's StreamConfig), so no operator compares option strings."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runtime.common.job import RuntimeExecutionMode
from runtime.configuration import options as opts
from runtime.configuration.configuration import Configuration


@dataclass(frozen=True)
class TaskConfig:
    batch_size: int = 1000
    buffer_timeout_ms: int = 100
    runtime_mode: RuntimeExecutionMode = RuntimeExecutionMode.STREAMING
    auto_watermark_interval_ms: int = 200
    #: periodic checkpoints are on (two-phase-commit sinks then commit on checkpoints only)
    checkpointing: bool = False

    @property
    def batch_mode(self) -> bool:
        """BATCH execution: results only at the end of input, time moves only then."""
        return self.runtime_mode is RuntimeExecutionMode.BATCH

    @property
    def buffer_timeout(self) -> float:
        return self.buffer_timeout_ms / 1000.0

    @staticmethod
    def from_job_config(config: Mapping[str, str]) -> TaskConfig:
        conf = Configuration()
        for key, value in config.items():
            conf.set_string(key, value)
        return TaskConfig(
            batch_size=conf.get(opts.EXECUTION_BATCH_SIZE),
            buffer_timeout_ms=conf.get(opts.EXECUTION_BUFFER_TIMEOUT),
            runtime_mode=RuntimeExecutionMode[conf.get(opts.EXECUTION_RUNTIME_MODE)],
            auto_watermark_interval_ms=conf.get(opts.PIPELINE_AUTO_WATERMARK_INTERVAL),
            checkpointing=conf.get(opts.CHECKPOINTING_INTERVAL) > 0,
        )
