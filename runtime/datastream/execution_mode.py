"""``pyflink.datastream.execution_mode`` → ``runtime.datastream.execution_mode``."""
from runtime.common.job import RuntimeExecutionMode

__all__ = ["RuntimeExecutionMode"]
