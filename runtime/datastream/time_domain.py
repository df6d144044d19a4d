"""PyFlink's ``pyflink.datastream.time_domain``; defined in ``runtime.common.time_domain``."""
from runtime.common.time_domain import TimeDomain

__all__ = ["TimeDomain"]
