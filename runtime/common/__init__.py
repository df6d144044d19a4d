"""Job-facing common types: the counterpart of ``pyflink.common``.

A PyFlink job switches ``from pyflink.common import X`` to ``from runtime.common import
X``; every name exported here keeps PyFlink's spelling and signature.
"""

from typing import TYPE_CHECKING, Any

from runtime.util.lazy_names import import_on_first_use

# name -> defining module; loaded on first access so that processes needing one or two of
# these (the CLI, the JobManager) do not pay for importing all of them at start-up
_EXPORTS = {
    'Encoder': 'runtime.common.serialization',
    'SimpleStringSchema': 'runtime.common.serialization',
    'SerializationSchema': 'runtime.common.serialization',
    'DeserializationSchema': 'runtime.common.serialization',
    'ByteArraySchema': 'runtime.common.serialization',
    'CompletableFuture': 'runtime.common.completable_future',
    'ConfigOption': 'runtime.common.config_options',
    'ConfigOptions': 'runtime.common.config_options',
    'ExecutionConfig': 'runtime.common.execution_config',
    'InputDependencyConstraint': 'runtime.common.input_dependency_constraint',
    'JobClient': 'runtime.common.job_client',
    'RestartStrategies': 'runtime.common.restart_strategy',
    'RestartStrategyConfiguration': 'runtime.common.restart_strategy',
    'TypeSerializer': 'runtime.common.serializer',
    'LocalTimeTypeInfo': 'runtime.common.typeinfo',
    'WatermarkStrategy': 'runtime.common.watermark_strategy',
    'TimestampAssigner': 'runtime.common.watermark_strategy',
    'Configuration': 'runtime.common.configuration',
    'ExecutionState': 'runtime.common.job',
    'JobExecutionResult': 'runtime.common.job',
    'JobID': 'runtime.common.job',
    'JobStatus': 'runtime.common.job',
    'RuntimeExecutionMode': 'runtime.common.job',
    'Row': 'runtime.common.row',
    'RowKind': 'runtime.common.row',
    'Duration': 'runtime.common.time',
    'Instant': 'runtime.common.time',
    'Time': 'runtime.common.time',
    'BasicArrayTypeInfo': 'runtime.common.typeinfo',
    'BasicType': 'runtime.common.typeinfo',
    'BasicTypeInfo': 'runtime.common.typeinfo',
    'DateTypeInfo': 'runtime.common.typeinfo',
    'InstantTypeInfo': 'runtime.common.typeinfo',
    'ListTypeInfo': 'runtime.common.typeinfo',
    'MapTypeInfo': 'runtime.common.typeinfo',
    'ObjectArrayTypeInfo': 'runtime.common.typeinfo',
    'PickledBytesTypeInfo': 'runtime.common.typeinfo',
    'PrimitiveArrayTypeInfo': 'runtime.common.typeinfo',
    'RowTypeInfo': 'runtime.common.typeinfo',
    'SqlTimeTypeInfo': 'runtime.common.typeinfo',
    'TimestampTypeInfo': 'runtime.common.typeinfo',
    'TimeTypeInfo': 'runtime.common.typeinfo',
    'TupleTypeInfo': 'runtime.common.typeinfo',
    'TypeInformation': 'runtime.common.typeinfo',
    'Types': 'runtime.common.type_factory',
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return import_on_first_use(globals(), _EXPORTS, name)
    from runtime.compat.unsupported import module_getattr
    return module_getattr(__name__)(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs
    from runtime.common.completable_future import CompletableFuture
    from runtime.common.config_options import ConfigOption, ConfigOptions
    from runtime.common.configuration import Configuration
    from runtime.common.execution_config import ExecutionConfig
    from runtime.common.input_dependency_constraint import InputDependencyConstraint
    from runtime.common.job import (
        ExecutionState,
        JobExecutionResult,
        JobID,
        JobStatus,
        RuntimeExecutionMode,
    )
    from runtime.common.job_client import JobClient
    from runtime.common.restart_strategy import RestartStrategies, RestartStrategyConfiguration
    from runtime.common.row import Row, RowKind
    from runtime.common.serialization import (
        ByteArraySchema,
        DeserializationSchema,
        Encoder,
        SerializationSchema,
        SimpleStringSchema,
    )
    from runtime.common.serializer import TypeSerializer
    from runtime.common.time import Duration, Instant, Time
    from runtime.common.type_factory import Types
    from runtime.common.typeinfo import (
        BasicArrayTypeInfo,
        BasicType,
        BasicTypeInfo,
        DateTypeInfo,
        InstantTypeInfo,
        ListTypeInfo,
        LocalTimeTypeInfo,
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
    )
