"""Connectors with PyFlink's names (``pyflink.datastream.connectors``): the number sequence,
file (FileSource / FileSink / StreamingFileSink) connectors and the connector bases. External
systems' connectors (Kafka, Kinesis, ...) are on the not-supported list."""
from runtime.datastream.connectors.base import DeliveryGuarantee, Sink, Source
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
from runtime.datastream.connectors.number_seq import NumberSequenceSource

__all__ = [
    "NumberSequenceSource", "Source", "Sink", "DeliveryGuarantee", "FileSource", "FileSourceBuilder", "StreamFormat",
    "FileEnumeratorProvider", "FileSplitAssignerProvider", "FileSink", "OutputFileConfig", "RollingPolicy",
    "DefaultRollingPolicy", "OnCheckpointRollingPolicy", "BucketAssigner",
]
