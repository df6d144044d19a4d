"""What of PyFlink 2.3 is *not* supported here, and why: the one list that the import
mapping, the API stubs, the API-surface test and ``docs/pyflink-compatibility.md`` share.

Keys are PyFlink's dotted names: a module (``pyflink.table``; covers its submodules), a
module-level name (``pyflink.datastream.formats.csv.CsvSchema``) or a class member
(``pyflink.datastream.DataStream.cache`` written with the defining module). Values are the
reason, phrased to follow "X is not supported: ".

A job that imports a listed module, or a listed name from a module, fails at that import with
:class:`NotSupportedError` naming it (never a bare ``ModuleNotFoundError``). Listed members
that jobs might call exist as methods that raise the same error, so the failure names the
call instead of being an ``AttributeError``.
"""
from __future__ import annotations

from typing import NoReturn

JVM = ("it is a hook into Flink's Java runtime (Py4J objects, Java classes, jars), "
       "and this engine has no JVM")
TABLE = ("the Table API and SQL are not part of this engine, which implements the DataStream "
         "API only; express the query with DataStream operators (map, key_by, window, process)")
EXTERNAL = ("external connectors are Java code that runs in Flink's JVM; this engine ships "
            "the collection, number-sequence, file (FileSource/FileSink) and socket connectors; "
            "read or write other systems from a SourceFunction/SinkFunction written in Python")
FORMATS = ("Flink's formats (Avro, CSV, JSON, ORC, Parquet schemas, readers and bulk writers) are Java "
           "serialisers; read text with StreamFormat.text_line_format() and parse records in a map(), "
           "write them with FileSink.for_row_format and an Encoder")
INTERNAL = ("it is an internal helper of PyFlink's Python/Java bridge (not in its __all__, not "
            "documented); jobs do not use it")
COMPACTION = ("FileSink compaction runs Java FileCompactor implementations; this FileSink writes "
              "part files that are complete when committed and does not merge them")
ROCKSDB_OPTIONS = "RocksDB is not available: keyed state is kept in memory (HashMapStateBackend)"
INPUT_FORMAT = ("Java InputFormats cannot run without a JVM; use from_source(FileSource...) or a "
                "SourceFunction")
HYBRID = ("HybridSource switches between Java sources; chain sources in Python with a "
          "SourceFunction instead")

# ------------------------------------------------------------------------------ modules
UNSUPPORTED_MODULES: dict[str, str] = {
    "pyflink.table": TABLE,
    "pyflink.java_gateway": JVM,
    "pyflink.pyflink_gateway_server": JVM,
    "pyflink.pyflink_callback_server": JVM,
    "pyflink.find_flink_home": JVM,
    "pyflink.util": JVM,
    "pyflink.fn_execution": INTERNAL,
    "pyflink.serializers": INTERNAL,
    "pyflink.gen_protos": INTERNAL,
    "pyflink.shell": "the interactive PyFlink shell starts a JVM gateway; use `python` with `import pyflink.datastream`",
    "pyflink.testing": INTERNAL,
    "pyflink.datastream.connectors.cassandra": EXTERNAL,
    "pyflink.datastream.connectors.dynamic_kafka": EXTERNAL,
    "pyflink.datastream.connectors.elasticsearch": EXTERNAL,
    "pyflink.datastream.connectors.hybrid_source": HYBRID,
    "pyflink.datastream.connectors.jdbc": EXTERNAL,
    "pyflink.datastream.connectors.kafka": EXTERNAL,
    "pyflink.datastream.connectors.kinesis": EXTERNAL,
    "pyflink.datastream.connectors.pulsar": EXTERNAL,
    "pyflink.datastream.connectors.rabbitmq": EXTERNAL,
    "pyflink.datastream.formats": FORMATS,
    "pyflink.common.utils": JVM,
}

# ------------------------------------------------------------------------- single names
UNSUPPORTED_NAMES: dict[str, str] = {
    # pyflink.common
    "pyflink.common.watermark_strategy.AssignerWithPeriodicWatermarksWrapper": JVM,
    "pyflink.common.typeinfo.ExternalTypeInfo": TABLE,
    "pyflink.common.io.InputFormat": INPUT_FORMAT,
    "pyflink.common.serialization.BulkWriterFactory": FORMATS,
    "pyflink.common.serialization.RowDataBulkWriterFactory": FORMATS,
    # pyflink.datastream
    "pyflink.datastream.state_backend.PredefinedOptions": ROCKSDB_OPTIONS,
    "pyflink.datastream.utils.create_hadoop_configuration": JVM,
    "pyflink.datastream.utils.create_java_properties": JVM,
    "pyflink.datastream.utils.convert_to_python_obj": INTERNAL,
    "pyflink.datastream.utils.pickled_bytes_to_python_obj": INTERNAL,
    "pyflink.datastream.functions.JavaFunctionWrapper": JVM,
    "pyflink.datastream.functions.FunctionWrapper": INTERNAL,
    "pyflink.datastream.functions.ReduceFunctionWrapper": INTERNAL,
    "pyflink.datastream.functions.NullByteKeySelector": INTERNAL,
    "pyflink.datastream.functions.AsyncFunctionDescriptor": INTERNAL,
    "pyflink.datastream.functions.InternalWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalIterableWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalIterableAllWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalIterableProcessWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalIterableProcessAllWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalSingleValueWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalSingleValueAllWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalSingleValueProcessWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalSingleValueProcessAllWindowFunction": INTERNAL,
    "pyflink.datastream.functions.InternalProcessWindowContext": INTERNAL,
    "pyflink.datastream.functions.InternalProcessAllWindowContext": INTERNAL,
    "pyflink.datastream.functions.PassThroughWindowFunction": INTERNAL,
    "pyflink.datastream.functions.PassThroughAllWindowFunction": INTERNAL,
    "pyflink.datastream.window.WindowOperationDescriptor": INTERNAL,
    "pyflink.datastream.window.long_to_int_with_bit_mixing": INTERNAL,
    "pyflink.datastream.window.mod_inverse": INTERNAL,
    "pyflink.datastream.connectors.file_system.BulkFormat": FORMATS,
    "pyflink.datastream.connectors.file_system.FileCompactStrategy": COMPACTION,
    "pyflink.datastream.connectors.file_system.FileCompactor": COMPACTION,
    "pyflink.datastream.connectors.file_system.FileSink.BulkFormatBuilder": FORMATS,
    "pyflink.datastream.connectors.file_system.FileSink.for_bulk_format": FORMATS,
    "pyflink.datastream.connectors.file_system.FileSink.RowFormatBuilder.enable_compact": COMPACTION,
    "pyflink.datastream.connectors.file_system.FileSource.for_bulk_file_format": FORMATS,
    "pyflink.datastream.connectors.file_system.StreamingFileSink.for_bulk_format": FORMATS,
    "pyflink.datastream.connectors.file_system.StreamingFileSink.DefaultBulkFormatBuilder": FORMATS,
    "pyflink.datastream.stream_execution_environment.StreamExecutionEnvironment.create_input": INPUT_FORMAT,
}

#: members that exist only to reach Java objects: every ``get_java_*`` method of PyFlink's
#: classes (``TypeInformation.get_java_type_info``, ``OutputTag.get_java_output_tag``,
#: ``Source.get_java_function`` ...). They exist here and raise NotSupportedError.
JAVA_MEMBER_PREFIX = "get_java_"


class NotSupportedError(ImportError):
    """A PyFlink module, name or call that this engine does not provide (with the reason).

    An ``ImportError`` so that ``from pyflink.x import Y`` reports it as the import failure
    (Python hides an ``AttributeError`` raised there behind its own generic message).
    """


class ModuleNotSupportedError(NotSupportedError, ModuleNotFoundError):
    """A PyFlink module that does not exist here; still a ``ModuleNotFoundError`` so that
    ``try: import pyflink.x except ModuleNotFoundError`` probes keep working."""


def module_reason(name: str) -> str | None:
    """The reason a PyFlink module (or a module under a listed package) is not supported."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        reason = UNSUPPORTED_MODULES.get(".".join(parts[:i]))
        if reason is not None:
            return reason
    return None


def name_reason(qualified: str) -> str | None:
    """The reason for ``module.Name`` / ``module.Class.member`` (PyFlink or ``runtime.``
    spelling); Java-only ``get_java_*`` members are not supported by rule."""
    if qualified.startswith("runtime."):
        qualified = "pyflink." + qualified[len("runtime."):]
    reason = UNSUPPORTED_NAMES.get(qualified)
    if reason is None:
        reason = _reexported(qualified)
    if reason is None and qualified.rsplit(".", 1)[-1].startswith(JAVA_MEMBER_PREFIX):
        return JVM
    return reason


def _reexported(qualified: str) -> str | None:
    """PyFlink's packages re-export their submodules' names (``pyflink.common.X`` is
    ``pyflink.common.watermark_strategy.X``): a listed name is listed under both."""
    package, _, name = qualified.rpartition(".")
    for key, reason in UNSUPPORTED_NAMES.items():
        module, _, listed = key.rpartition(".")
        if listed == name and module.rpartition(".")[0] == package:
            return reason
    return None


def message(what: str, reason: str) -> str:
    return f"{what} is not supported by this pyflink: {reason}"


def short_name(name: str) -> str:
    """``pyflink.common.job_client.JobClient.trigger_savepoint`` → ``JobClient.trigger_savepoint()``."""
    parts = name.split(".")
    start = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts) - 1)
    text = ".".join(parts[start:])
    return text + "()" if parts[-1][:1].islower() else text


def raise_not_supported(name: str) -> NoReturn:
    """Raise :class:`NotSupportedError` for a call of PyFlink's ``name`` (its dotted name,
    module included; the message shows the short form)."""
    raise NotSupportedError(message(short_name(name), name_reason(name) or JVM))


def java_only(what: str) -> NoReturn:
    """The body of every ``get_java_*`` member (``what``: ``"OutputTag.get_java_output_tag()"``)."""
    raise NotSupportedError(message(what, JVM))


def module_getattr(module_name: str):
    """A module ``__getattr__`` that explains listed PyFlink names and is an ordinary
    ``AttributeError`` for anything else."""
    def __getattr__(name: str):
        if not name.startswith("_"):
            reason = name_reason(f"{module_name}.{name}")
            if reason is not None:
                public = "pyflink." + module_name[len("runtime."):] if module_name.startswith("runtime.") \
                    else module_name
                raise NotSupportedError(message(f"{public}.{name}", reason), name=public)
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
    return __getattr__
