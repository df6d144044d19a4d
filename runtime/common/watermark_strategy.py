"""WatermarkStrategy and TimestampAssigner, named as PyFlink's ``pyflink.common``.

A strategy is a description; the TimestampsAndWatermarksOperator applies it: it assigns
each record's timestamp and tracks the maximum seen. The watermark is ``max - bound - 1``
(monotonous = bound 0), emitted periodically (``pipeline.auto-watermark-interval``) and at
end of input; since it only depends on the records seen, *when* it is emitted cannot make a
record late as long as the data's disorder stays within the bound.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class TimestampAssigner(ABC):
    @abstractmethod
    def extract_timestamp(self, value: Any, record_timestamp: int) -> int: ...


class WatermarkStrategy:
    def __init__(self, kind: str, out_of_orderness_ms: int = 0) -> None:
        self.kind = kind  # "bounded" | "none"
        self.out_of_orderness_ms = out_of_orderness_ms
        self.timestamp_assigner: Any = None
        self.idleness_ms: int | None = None
        self.alignment: tuple[str, int, int] | None = None

    @staticmethod
    def for_monotonous_timestamps() -> WatermarkStrategy:
        return WatermarkStrategy("bounded", 0)

    @staticmethod
    def for_bounded_out_of_orderness(max_out_of_orderness: Any) -> WatermarkStrategy:
        return WatermarkStrategy("bounded", _millis(max_out_of_orderness))

    @staticmethod
    def no_watermarks() -> WatermarkStrategy:
        return WatermarkStrategy("none")

    def with_timestamp_assigner(self, timestamp_assigner: Any) -> WatermarkStrategy:
        out = self._copy()
        out.timestamp_assigner = timestamp_assigner
        return out

    def with_idleness(self, idle_timeout: Any) -> WatermarkStrategy:
        out = self._copy()
        out.idleness_ms = _millis(idle_timeout)
        return out

    def with_watermark_alignment(self, watermark_group: str, max_allowed_watermark_drift: Any,
                                 update_interval: Any = None) -> WatermarkStrategy:
        """Flink's watermark alignment (sources of a group pause when ahead by more than the
        drift): recorded on the strategy; sources here are not paused for alignment."""
        out = self._copy()
        out.alignment = (str(watermark_group), _millis(max_allowed_watermark_drift),
                         _millis(update_interval) if update_interval is not None else 1000)
        return out

    def _copy(self) -> WatermarkStrategy:
        out = WatermarkStrategy(self.kind, self.out_of_orderness_ms)
        out.timestamp_assigner = self.timestamp_assigner
        out.idleness_ms = self.idleness_ms
        out.alignment = self.alignment
        return out

    def extractor(self):
        """The per-record timestamp function (value, previous timestamp) -> int, or None."""
        a = self.timestamp_assigner
        if a is None:
            return None
        return a.extract_timestamp if hasattr(a, "extract_timestamp") else a


def _millis(d: Any) -> int:
    if hasattr(d, "to_milliseconds"):
        return int(d.to_milliseconds())
    return int(d)


from runtime.compat.unsupported import module_getattr as _module_getattr  # noqa: E402

#: PyFlink's Java assigner wrapper explains itself
__getattr__ = _module_getattr(__name__)
