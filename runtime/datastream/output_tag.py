"""PyFlink's ``pyflink.datastream.output_tag``; defined in ``runtime.common.output_tag``."""
from runtime.common.output_tag import OutputTag

__all__ = ["OutputTag"]
