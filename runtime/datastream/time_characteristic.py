"""``pyflink.datastream.time_characteristic`` (Flink 1.x; PyFlink 2 dropped it, old jobs import it)."""
from enum import Enum

__all__ = ["TimeCharacteristic"]


class TimeCharacteristic(Enum):
    """Deprecated in Flink (event time is always available); accepted for old jobs."""

    ProcessingTime = 0
    IngestionTime = 1
    EventTime = 2
