"""``pyflink.datastream.time_characteristic`` → here."""
from runtime.datastream.execution_config import TimeCharacteristic

__all__ = ["TimeCharacteristic"]
