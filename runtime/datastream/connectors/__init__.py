from runtime.datastream.connectors.base import Sink
from runtime.datastream.connectors.file_system import (
    BucketAssigner,
    DefaultRollingPolicy,
    FileEnumeratorProvider,
    FileSink,
    FileSource,
    FileSourceBuilder,
    FileSplitAssignerProvider,
    OnCheckpointRollingPolicy,
    OutputFileConfig,
    RollingPolicy,
    StreamFormat,
)
from runtime.datastream.connectors.number_seq import NumberSequenceSource, Source

__all__ = [
    "NumberSequenceSource", "Source", "Sink", "FileSource", "FileSourceBuilder", "StreamFormat",
    "FileEnumeratorProvider", "FileSplitAssignerProvider", "FileSink", "OutputFileConfig", "RollingPolicy",
    "DefaultRollingPolicy", "OnCheckpointRollingPolicy", "BucketAssigner",
]
