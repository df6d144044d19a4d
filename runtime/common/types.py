"""PyFlink's ``pyflink.common.types`` (``Row``, ``RowKind``); defined in ``runtime.common.row``."""
from runtime.common.row import Row, RowKind

__all__ = ["Row", "RowKind"]
