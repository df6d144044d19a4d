"""PyFlink's ``pyflink.common.Configuration``; defined in ``runtime.configuration.configuration``
(below every layer that reads options)."""
from runtime.configuration.configuration import Configuration

__all__ = ["Configuration"]
