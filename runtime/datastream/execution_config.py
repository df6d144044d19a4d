"""Where the environment's configuration objects used to live; kept so old imports work.

``ExecutionConfig`` is PyFlink's ``pyflink.common.execution_config``, ``CheckpointConfig``
its ``pyflink.datastream.checkpoint_config``; the enums have their PyFlink modules too.
"""
from __future__ import annotations

import logging

from runtime.common.execution_config import ExecutionConfig
from runtime.datastream.checkpoint_config import CheckpointConfig
from runtime.datastream.checkpointing_mode import CheckpointingMode
from runtime.datastream.time_characteristic import TimeCharacteristic

__all__ = ["ExecutionConfig", "CheckpointConfig", "CheckpointingMode", "TimeCharacteristic", "warn_no_checkpoints"]

log = logging.getLogger(__name__)


def warn_no_checkpoints() -> None:
    log.warning("checkpointing is not implemented yet: the job runs, but no checkpoints are taken")
