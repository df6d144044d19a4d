"""MetricRegistry (Flink's MetricRegistryImpl): every metric group of one process.

The registry is what the process's metric query service dumps for the JobManager and what
its Prometheus reporter exposes. Meters are updated once a second (``update_meters``, from
the process's event loop); nothing here runs on a task's hot path.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from runtime.metrics.metric_dump import MetricDump, MetricDumps, MetricScope
from runtime.metrics.metric_group import Counter, Distribution, Meter, MetricGroup
from runtime.metrics.task_io_metrics import TimeRatioView


class MetricRegistry:
    def __init__(self) -> None:
        self._groups: dict[int, MetricGroup] = {}
        self._lock = threading.Lock()  # groups are registered from task threads

    def register(self, group: MetricGroup) -> None:
        with self._lock:
            self._groups[id(group)] = group

    def unregister(self, group: MetricGroup) -> None:
        with self._lock:
            self._groups.pop(id(group), None)

    def group(self, scope: MetricScope) -> MetricGroup:
        return MetricGroup(scope, self)

    def groups(self) -> list[MetricGroup]:
        with self._lock:
            return list(self._groups.values())

    def update_meters(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for g in self.groups():
            for m in list(g.metrics.values()):
                if isinstance(m, (Meter, TimeRatioView)):
                    m.update(now)

    def dump(self) -> MetricDumps:
        out: list[MetricDump] = []
        for g in self.groups():
            scope = g.scope
            if scope is None:
                continue
            for name, m in list(g.metrics.items()):
                value = metric_value(m)
                if value is None:
                    continue
                if isinstance(value, dict):  # a distribution: one value per statistic
                    for stat, v in value.items():
                        out.append(MetricDump(scope, f"{name}_{stat}", float(v)))
                elif isinstance(m, Meter):
                    out.append(MetricDump(scope, name, float(value), m.get_count()))
                else:
                    out.append(MetricDump(scope, name, float(value)))
        return MetricDumps(out, int(time.time() * 1000))


def metric_value(m: Any) -> Any:
    """A metric's current value (a gauge that fails or is not numeric is skipped)."""
    try:
        if isinstance(m, Counter):
            return m.get_count()
        if isinstance(m, Meter):
            return m.get_rate()
        if isinstance(m, Distribution):
            return m.values
        if callable(m):
            v = m()
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, (int, float)):
                return v
            return None
    except Exception:
        return None
    return None
