"""PyFlink's ``pyflink.common.job_execution_result``; defined in ``runtime.common.job``."""
from runtime.common.job import JobExecutionResult

__all__ = ["JobExecutionResult"]
