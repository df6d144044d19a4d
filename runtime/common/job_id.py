"""PyFlink's ``pyflink.common.job_id``; defined in ``runtime.common.job``."""
from runtime.common.job import JobID

__all__ = ["JobID"]
