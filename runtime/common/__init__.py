"""Job-facing common types: the counterpart of ``pyflink.common``.

A PyFlink job switches ``from pyflink.common import X`` to ``from runtime.common import
X``; every name exported here keeps PyFlink's spelling and signature.
"""

from runtime.common.configuration import Configuration
from runtime.common.job import (
    ExecutionState,
    JobExecutionResult,
    JobID,
    JobStatus,
    RuntimeExecutionMode,
)
from runtime.common.row import Row, RowKind
from runtime.common.time import Duration, Instant, Time
from runtime.common.typeinfo import (
    BasicArrayTypeInfo,
    BasicType,
    BasicTypeInfo,
    DateTypeInfo,
    InstantTypeInfo,
    ListTypeInfo,
    MapTypeInfo,
    ObjectArrayTypeInfo,
    PickledBytesTypeInfo,
    PrimitiveArrayTypeInfo,
    RowTypeInfo,
    SqlTimeTypeInfo,
    TimestampTypeInfo,
    TimeTypeInfo,
    TupleTypeInfo,
    TypeInformation,
    Types,
)

__all__ = [
    "Configuration",
    "ExecutionState",
    "JobExecutionResult",
    "JobID",
    "JobStatus",
    "RuntimeExecutionMode",
    "Row",
    "RowKind",
    "Duration",
    "Instant",
    "Time",
    "BasicArrayTypeInfo",
    "BasicType",
    "BasicTypeInfo",
    "DateTypeInfo",
    "InstantTypeInfo",
    "ListTypeInfo",
    "MapTypeInfo",
    "ObjectArrayTypeInfo",
    "PickledBytesTypeInfo",
    "PrimitiveArrayTypeInfo",
    "RowTypeInfo",
    "SqlTimeTypeInfo",
    "TimestampTypeInfo",
    "TimeTypeInfo",
    "TupleTypeInfo",
    "TypeInformation",
    "Types",
]
