"""PyFlink's ``pyflink.datastream.checkpointing_mode``."""
from enum import Enum

__all__ = ["CheckpointingMode"]


class CheckpointingMode(Enum):
    """The consistency guarantee of checkpoints (accepted; checkpoints are not taken yet)."""

    EXACTLY_ONCE = 0
    AT_LEAST_ONCE = 1
