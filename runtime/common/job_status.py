"""PyFlink's ``pyflink.common.job_status``; defined in ``runtime.common.job``."""
from runtime.common.job import JobStatus

__all__ = ["JobStatus"]
