"""User metrics (``runtime_context.get_metrics_group()``), named as PyFlink's.

Counters, meters, gauges and distributions work inside the task; they are not yet reported
to the JobManager or REST (documented), so jobs that define metrics run unchanged.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class Counter:
    def __init__(self) -> None:
        self._count = 0

    def inc(self, n: int = 1) -> None:
        self._count += n

    def dec(self, n: int = 1) -> None:
        self._count -= n

    def get_count(self) -> int:
        return self._count


class Meter:
    def __init__(self, time_span_in_seconds: int = 60) -> None:
        self._count = 0
        self._start = time.monotonic()

    def mark_event(self, value: int = 1) -> None:
        self._count += value

    def get_count(self) -> int:
        return self._count

    def get_rate(self) -> float:
        elapsed = time.monotonic() - self._start
        return self._count / elapsed if elapsed > 0 else 0.0


class Distribution:
    def __init__(self) -> None:
        self.values: list[float] = []

    def update(self, value: float) -> None:
        self.values.append(value)


class MetricGroup:
    def __init__(self, scope: list[str]) -> None:
        self.scope = scope
        self.metrics: dict[str, Any] = {}

    def add_group(self, name: str, extra: str | None = None) -> MetricGroup:
        return MetricGroup(self.scope + [name] + ([extra] if extra else []))

    def counter(self, name: str) -> Counter:
        return self.metrics.setdefault(name, Counter())

    def gauge(self, name: str, obj: Callable[[], Any]) -> Callable[[], Any]:
        self.metrics[name] = obj
        return obj

    def meter(self, name: str, time_span_in_seconds: int = 60) -> Meter:
        return self.metrics.setdefault(name, Meter(time_span_in_seconds))

    def distribution(self, name: str) -> Distribution:
        return self.metrics.setdefault(name, Distribution())

    def get_metric_identifier(self, metric_name: str) -> str:
        return ".".join(self.scope + [metric_name])
