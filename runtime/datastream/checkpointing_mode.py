"""``pyflink.datastream.checkpointing_mode`` → here."""
from runtime.datastream.execution_config import CheckpointingMode

__all__ = ["CheckpointingMode"]
