"""File connectors with PyFlink's names (``pyflink.datastream.connectors.file_system``).

Reading::

    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), "/data/in") \\
        .monitor_continuously(Duration.of_seconds(10)) \\
        .build()                                   # or .process_static_file_set() (the default)
    ds = env.from_source(source, WatermarkStrategy.no_watermarks(), "file-source")

Writing::

    sink = FileSink.for_row_format("/data/out", Encoder.simple_string_encoder()) \\
        .with_output_file_config(OutputFileConfig.builder().with_part_prefix("pre")
                                 .with_part_suffix(".txt").build()) \\
        .with_rolling_policy(RollingPolicy.default_rolling_policy(part_size=1 << 20)) \\
        .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()) \\
        .build()
    ds.sink_to(sink)

How files are listed, split, assigned and read: :mod:`runtime.streaming.file_source`.
The part-file layout, rolling and what a cancelled job leaves: :mod:`runtime.streaming.file_sink`.
Paths are made absolute when the source or sink is built (relative to the program's working
directory). The deprecated ``StreamingFileSink`` (row format, through ``add_sink``) writes with
the same operator. Bulk formats (Parquet, ORC, Avro) and compaction are on the not-supported
list (``runtime.compat.unsupported``).
"""
from __future__ import annotations

import codecs
import datetime as _dt
import os
from collections.abc import Callable
from typing import Any

from runtime.common.serialization import Encoder
from runtime.compat.unsupported import java_only, module_getattr, raise_not_supported
from runtime.datastream.connectors.base import Sink, Source, StreamTransformer, SupportsPreprocessing
from runtime.datastream.connectors.datetime_format import compile_pattern, resolve_zone
from runtime.datastream.functions import SinkFunction

__all__ = [
    "FileSource", "FileSourceBuilder", "StreamFormat", "FileEnumeratorProvider", "FileSplitAssignerProvider",
    "FileSink", "StreamingFileSink", "OutputFileConfig", "RollingPolicy", "DefaultRollingPolicy",
    "OnCheckpointRollingPolicy", "BucketAssigner", "Encoder",
]


class _JavaObjectWrapper:
    """PyFlink's JavaObjectWrapper base: its ``get_java_object`` hands out the Java object,
    which does not exist here."""

    def get_java_object(self) -> Any:
        java_only(f"{type(self).__name__}.get_java_object()")


def _millis(value: Any, what: str) -> int:
    """Milliseconds from a ``Duration``/``Time`` (``to_milliseconds()``) or a number of ms."""
    if hasattr(value, "to_milliseconds"):
        ms = value.to_milliseconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ms = value
    else:
        raise TypeError(f"{what} must be a Duration or a number of milliseconds, got {value!r}")
    ms = int(ms)
    if ms <= 0:
        raise ValueError(f"{what} must be positive, got {ms} ms")
    return ms


# ============================================================================ FileSource


class StreamFormat:
    """How a file's bytes become records. Only text lines are available."""

    def __init__(self, charset_name: str) -> None:
        try:
            codecs.lookup(charset_name)
        except LookupError:
            raise ValueError(f"text_line_format: unknown charset {charset_name!r}") from None
        self.charset_name = charset_name

    @staticmethod
    def text_line_format(charset_name: str = "UTF-8") -> StreamFormat:
        """One record (a ``str``, without its line terminator) per line of the files."""
        return StreamFormat(charset_name)

    def __repr__(self) -> str:
        return f"StreamFormat.text_line_format({self.charset_name!r})"


class FileEnumeratorProvider:
    """Whether files may be cut into line-aligned byte ranges read by different subtasks."""

    def __init__(self, splittable: bool) -> None:
        self.splittable = splittable

    @staticmethod
    def default_splittable_file_enumerator() -> FileEnumeratorProvider:
        """Recursive listing, hidden files skipped, large uncompressed files split (the default here)."""
        return FileEnumeratorProvider(True)

    @staticmethod
    def default_non_splittable_file_enumerator() -> FileEnumeratorProvider:
        """Recursive listing, hidden files skipped, one split per file."""
        return FileEnumeratorProvider(False)


class FileSplitAssignerProvider:
    """Accepted for compatibility: splits are assigned by size (see ``runtime.streaming.file_source``)."""

    @staticmethod
    def locality_aware_split_assigner() -> FileSplitAssignerProvider:
        return FileSplitAssignerProvider()


class FileSourceBuilder:
    def __init__(self, stream_format: StreamFormat, paths: list[str]) -> None:
        self._format = stream_format
        self._paths = paths
        self._interval_ms: int | None = None
        self._splittable = True

    def monitor_continuously(self, discovery_interval: Any) -> FileSourceBuilder:
        """Unbounded: keep listing the paths every ``discovery_interval`` and read new files."""
        self._interval_ms = _millis(discovery_interval, "monitor_continuously: discovery_interval")
        return self

    def process_static_file_set(self) -> FileSourceBuilder:
        """Bounded (the default): read the files present when the job starts, then finish."""
        self._interval_ms = None
        return self

    def set_file_enumerator(self, file_enumerator: FileEnumeratorProvider) -> FileSourceBuilder:
        self._splittable = file_enumerator.splittable
        return self

    def set_split_assigner(self, split_assigner: FileSplitAssignerProvider) -> FileSourceBuilder:
        return self

    def build(self) -> FileSource:
        return FileSource(self._format, self._paths, self._interval_ms, self._splittable)


class FileSource(Source):
    """Reads text lines from files and directories, bounded or continuously monitoring."""

    #: files above this size are cut into byte ranges (bounded mode, splittable formats)
    max_split_size = 32 << 20
    #: byte ranges are never smaller than this
    min_split_size = 1 << 20

    def __init__(self, stream_format: StreamFormat, paths: list[str], discovery_interval_ms: int | None = None,
                 splittable: bool = True) -> None:
        self.stream_format = stream_format
        self.paths = paths
        self.discovery_interval_ms = discovery_interval_ms
        self.splittable = splittable

    @property
    def bounded(self) -> bool:  # read by env.from_source
        return self.discovery_interval_ms is None

    @staticmethod
    def for_record_stream_format(stream_format: StreamFormat, *paths: str) -> FileSourceBuilder:
        if not isinstance(stream_format, StreamFormat):
            raise TypeError(f"for_record_stream_format: expected a StreamFormat, got {stream_format!r}")
        if not paths:
            raise ValueError("for_record_stream_format: give at least one file or directory path")
        return FileSourceBuilder(stream_format, [os.path.abspath(os.fspath(p)) for p in paths])

    @staticmethod
    def for_bulk_file_format(bulk_format: Any, *paths: str) -> FileSourceBuilder:
        raise_not_supported("pyflink.datastream.connectors.file_system.FileSource.for_bulk_file_format")

    def create_operator(self, name: str):
        from runtime.streaming.file_source import FileSourceOperator
        big = self.max_split_size if self.splittable else 1 << 62
        return FileSourceOperator(name, self.paths, self.stream_format.charset_name, self.discovery_interval_ms,
                                  max_split_size=big, min_split_size=big if not self.splittable else self.min_split_size)


# ============================================================================ FileSink


class BucketAssigner(_JavaObjectWrapper):
    """Chooses the bucket (sub-directory of the base path) of each record.

    Subclass and override ``get_bucket_id(element, context)`` for a custom assignment
    (``context.current_processing_time()``, ``current_watermark()``, ``timestamp()``); the
    built-in assigners decide once per batch (``get_batch_bucket_id``)."""

    def get_bucket_id(self, element: Any, context: Any) -> str:
        raise NotImplementedError

    def get_batch_bucket_id(self, now_ms: int) -> str | None:
        """The bucket of every record of a batch arriving at ``now_ms``; None: ask per record."""
        return None

    @staticmethod
    def base_path_bucket_assigner() -> BucketAssigner:
        """No buckets: part files go directly into the base path."""
        return BasePathBucketAssigner()

    @staticmethod
    def date_time_bucket_assigner(format_str: str = "yyyy-MM-dd--HH", timezone_id: str | None = None) -> BucketAssigner:
        """Buckets named by the current processing time rendered with the Java pattern
        ``format_str`` in ``timezone_id`` (None: the local time zone)."""
        return DateTimeBucketAssigner(format_str, timezone_id)


class BasePathBucketAssigner(BucketAssigner):
    def get_bucket_id(self, element: Any, context: Any) -> str:
        return ""

    def get_batch_bucket_id(self, now_ms: int) -> str:
        return ""


class DateTimeBucketAssigner(BucketAssigner):
    def __init__(self, format_str: str = "yyyy-MM-dd--HH", timezone_id: str | None = None) -> None:
        self.format_str = format_str
        self.timezone_id = timezone_id
        compile_pattern(format_str)  # fail at build time on a pattern we cannot render
        resolve_zone(timezone_id)
        self._render: Callable[[_dt.datetime], str] | None = None

    def __getstate__(self):
        return {"format_str": self.format_str, "timezone_id": self.timezone_id, "_render": None}

    def get_batch_bucket_id(self, now_ms: int) -> str:
        if self._render is None:
            self._render = compile_pattern(self.format_str)
            self._zone = resolve_zone(self.timezone_id)
        zone = self._zone
        dt = _dt.datetime.fromtimestamp(now_ms / 1000.0, zone) if zone is not None \
            else _dt.datetime.fromtimestamp(now_ms / 1000.0).astimezone()
        return self._render(dt)

    def get_bucket_id(self, element: Any, context: Any) -> str:
        return self.get_batch_bucket_id(context.current_processing_time())


class RollingPolicy(_JavaObjectWrapper):
    """When an in-progress part file is finished and a new one started."""

    def get_part_size(self) -> int | None:
        return None

    def should_roll_on_processing_time(self, part: Any, now_ms: int) -> bool:
        return False

    def next_deadline(self, part: Any) -> int | None:
        return None

    def should_roll_on_checkpoint(self) -> bool:
        """Flink's ``shouldRollOnCheckpoint``: roll every open part file at each checkpoint."""
        return False

    @staticmethod
    def default_rolling_policy(part_size: int = 1024 * 1024 * 128, rollover_interval: int = 60 * 1000,
                               inactivity_interval: int = 60 * 1000) -> DefaultRollingPolicy:
        """Roll when the file holds more than ``part_size`` bytes, is older than
        ``rollover_interval`` ms, or was not written to for ``inactivity_interval`` ms."""
        return DefaultRollingPolicy(part_size, rollover_interval, inactivity_interval)

    @staticmethod
    def on_checkpoint_rolling_policy() -> OnCheckpointRollingPolicy:
        """Roll on every checkpoint (without checkpointing: when the job ends)."""
        return OnCheckpointRollingPolicy()


class DefaultRollingPolicy(RollingPolicy):
    def __init__(self, part_size: int = 1024 * 1024 * 128, rollover_interval: Any = 60 * 1000,
                 inactivity_interval: Any = 60 * 1000) -> None:
        if isinstance(part_size, bool) or not isinstance(part_size, int) or part_size <= 0:
            raise ValueError(f"default_rolling_policy: part_size must be a positive number of bytes, got {part_size!r}")
        self.part_size = part_size
        self.rollover_interval = _millis(rollover_interval, "default_rolling_policy: rollover_interval")
        self.inactivity_interval = _millis(inactivity_interval, "default_rolling_policy: inactivity_interval")

    def get_part_size(self) -> int:
        return self.part_size

    def should_roll_on_processing_time(self, part: Any, now_ms: int) -> bool:
        return (now_ms - part.creation_time >= self.rollover_interval
                or now_ms - part.last_update_time >= self.inactivity_interval)

    def next_deadline(self, part: Any) -> int:
        return min(part.creation_time + self.rollover_interval, part.last_update_time + self.inactivity_interval)


class OnCheckpointRollingPolicy(RollingPolicy):
    def should_roll_on_checkpoint(self) -> bool:
        return True


class OutputFileConfig(_JavaObjectWrapper):
    """Prefix and suffix of part file names (defaults ``"part"`` and ``""``)."""

    def __init__(self, part_prefix: str, part_suffix: str) -> None:
        for what, v in (("part prefix", part_prefix), ("part suffix", part_suffix)):
            if not isinstance(v, str) or "/" in v or os.sep in v:
                raise ValueError(f"OutputFileConfig: {what} must be a string without path separators, got {v!r}")
        self.part_prefix = part_prefix
        self.part_suffix = part_suffix

    @staticmethod
    def builder() -> OutputFileConfig.OutputFileConfigBuilder:
        return OutputFileConfig.OutputFileConfigBuilder()

    def get_part_prefix(self) -> str:
        return self.part_prefix

    def get_part_suffix(self) -> str:
        return self.part_suffix

    class OutputFileConfigBuilder:
        def __init__(self) -> None:
            self.part_prefix = "part"
            self.part_suffix = ""

        def with_part_prefix(self, prefix: str) -> OutputFileConfig.OutputFileConfigBuilder:
            self.part_prefix = prefix
            return self

        def with_part_suffix(self, suffix: str) -> OutputFileConfig.OutputFileConfigBuilder:
            self.part_suffix = suffix
            return self

        def build(self) -> OutputFileConfig:
            return OutputFileConfig(self.part_prefix, self.part_suffix)


class FileSink(Sink, SupportsPreprocessing):
    """Writes records into part files under ``<base_path>/<bucket>/`` (see ``runtime.streaming.file_sink``)."""

    def __init__(self, base_path: str, encoder: Encoder, bucket_assigner: BucketAssigner,
                 rolling_policy: RollingPolicy, output_file_config: OutputFileConfig,
                 bucket_check_interval: int = 60 * 1000) -> None:
        self.base_path = base_path
        self.encoder = encoder
        self.bucket_assigner = bucket_assigner
        self.rolling_policy = rolling_policy
        self.output_file_config = output_file_config
        self.bucket_check_interval = bucket_check_interval

    def create_operator(self, name: str, input_type: Any = None):
        from runtime.streaming.file_sink import FileSinkOperator
        cfg = self.output_file_config
        return FileSinkOperator(name, self.base_path, self.encoder, cfg.part_prefix, cfg.part_suffix,
                                self.rolling_policy, self.bucket_assigner, input_type)

    def get_transformer(self) -> StreamTransformer | None:
        """The stream transformation run before the writer: PyFlink's compaction; none here."""
        return None

    class BaseBuilder:
        """What the FileSink builders share: buckets, rolling, file names, compaction."""

        def __init__(self, j_builder: Any) -> None:
            base_path, encoder = j_builder
            self._base_path = base_path
            self._encoder = encoder
            self._bucket_assigner: BucketAssigner = DateTimeBucketAssigner()
            self._rolling_policy: RollingPolicy = DefaultRollingPolicy()
            self._output_file_config = OutputFileConfig("part", "")
            self._bucket_check_interval = 60 * 1000

        def with_bucket_check_interval(self, interval: int) -> Any:
            """Accepted for compatibility; time-based rolling happens at each file's exact deadline."""
            self._bucket_check_interval = _millis(interval, "with_bucket_check_interval: interval")
            return self

        def with_bucket_assigner(self, bucket_assigner: BucketAssigner) -> Any:
            if not isinstance(bucket_assigner, BucketAssigner):
                raise TypeError(f"with_bucket_assigner: expected a BucketAssigner, got {bucket_assigner!r}")
            self._bucket_assigner = bucket_assigner
            return self

        def with_rolling_policy(self, rolling_policy: RollingPolicy) -> Any:
            if not isinstance(rolling_policy, RollingPolicy):
                raise TypeError(f"with_rolling_policy: expected a RollingPolicy, got {rolling_policy!r}")
            self._rolling_policy = rolling_policy
            return self

        def with_output_file_config(self, output_file_config: OutputFileConfig) -> Any:
            if not isinstance(output_file_config, OutputFileConfig):
                raise TypeError(f"with_output_file_config: expected an OutputFileConfig, got {output_file_config!r}")
            self._output_file_config = output_file_config
            return self

        def enable_compact(self, strategy: Any, compactor: Any) -> Any:
            raise_not_supported("pyflink.datastream.connectors.file_system.FileSink.RowFormatBuilder.enable_compact")

        def disable_compact(self) -> Any:
            """Compaction is off (it always is here)."""
            return self

        def build(self) -> FileSink:
            return FileSink(self._base_path, self._encoder, self._bucket_assigner, self._rolling_policy,
                            self._output_file_config, self._bucket_check_interval)

    class RowFormatBuilder(BaseBuilder):
        """``FileSink.for_row_format(base_path, encoder)``: one encoded record per line."""

        def __init__(self, j_row_format_builder: Any) -> None:
            super().__init__(j_row_format_builder)

        def with_rolling_policy(self, rolling_policy: RollingPolicy) -> FileSink.RowFormatBuilder:
            return super().with_rolling_policy(rolling_policy)

    @staticmethod
    def for_row_format(base_path: str, encoder: Encoder) -> FileSink.RowFormatBuilder:
        if not isinstance(encoder, Encoder):
            raise TypeError(f"for_row_format: expected an Encoder (Encoder.simple_string_encoder()), got {encoder!r}")
        return FileSink.RowFormatBuilder((os.path.abspath(os.fspath(base_path)), encoder))

    @staticmethod
    def for_bulk_format(base_path: str, writer_factory: Any) -> Any:
        raise_not_supported("pyflink.datastream.connectors.file_system.FileSink.for_bulk_format")


class StreamingFileSink(SinkFunction):
    """Flink's legacy file sink (``ds.add_sink(StreamingFileSink.for_row_format(...).build())``):
    the same writer as :class:`FileSink`, built through the old builder names."""

    def __init__(self, j_obj: Any) -> None:
        self._file_sink: FileSink = j_obj

    def create_operator(self, name: str, input_type: Any = None):
        return self._file_sink.create_operator(name, input_type)

    class BaseBuilder:
        def __init__(self, j_builder: Any) -> None:
            self._inner = FileSink.RowFormatBuilder(j_builder)

        def with_bucket_check_interval(self, interval: int) -> Any:
            self._inner.with_bucket_check_interval(interval)
            return self

        def with_bucket_assigner(self, bucket_assigner: BucketAssigner) -> Any:
            self._inner.with_bucket_assigner(bucket_assigner)
            return self

        def with_rolling_policy(self, policy: RollingPolicy) -> Any:
            self._inner.with_rolling_policy(policy)
            return self

        def with_output_file_config(self, output_file_config: OutputFileConfig) -> Any:
            self._inner.with_output_file_config(output_file_config)
            return self

        def build(self) -> StreamingFileSink:
            return StreamingFileSink(self._inner.build())

    class DefaultRowFormatBuilder(BaseBuilder):
        def __init__(self, j_default_row_format_builder: Any) -> None:
            super().__init__(j_default_row_format_builder)

        def with_rolling_policy(self, policy: RollingPolicy) -> StreamingFileSink.DefaultRowFormatBuilder:
            return super().with_rolling_policy(policy)

    @staticmethod
    def for_row_format(base_path: str, encoder: Encoder) -> StreamingFileSink.DefaultRowFormatBuilder:
        if not isinstance(encoder, Encoder):
            raise TypeError(f"for_row_format: expected an Encoder (Encoder.simple_string_encoder()), got {encoder!r}")
        return StreamingFileSink.DefaultRowFormatBuilder((os.path.abspath(os.fspath(base_path)), encoder))

    @staticmethod
    def for_bulk_format(base_path: str, writer_factory: Any) -> Any:
        raise_not_supported("pyflink.datastream.connectors.file_system.StreamingFileSink.for_bulk_format")


__getattr__ = module_getattr(__name__)
