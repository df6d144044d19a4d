"""Metric groups and metric types (Flink's MetricGroup, Counter, Gauge, Meter, and PyFlink's
Distribution), named as PyFlink's ``pyflink.metrics``.

A group has a scope (the JobManager, a TaskManager, a task, an operator; see
``runtime.metrics.metric_dump.MetricScope``) and holds named metrics; ``add_group``
makes a user group below it. Groups register with their process's MetricRegistry, which dumps
every value for the JobManager (Flink's MetricQueryService) and the Prometheus reporter.
Metrics are plain Python objects updated in place; the engine counts a batch at a time.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from runtime.metrics.metric_dump import MetricScope


class Counter:
    __slots__ = ("_count",)

    def __init__(self) -> None:
        self._count = 0

    def inc(self, n: int = 1) -> None:
        self._count += n

    def dec(self, n: int = 1) -> None:
        self._count -= n

    def get_count(self) -> int:
        return self._count


class Meter:
    """Events per second over the last ``time_span_in_seconds`` (Flink's MeterView), from
    counts sampled by the registry every second."""

    def __init__(self, time_span_in_seconds: int = 60, counter: Counter | None = None) -> None:
        self._counter = counter
        self._count = 0
        self._span = max(1, int(time_span_in_seconds))
        self._samples: deque[tuple[float, int]] = deque()
        self._rate = 0.0

    def mark_event(self, value: int = 1) -> None:
        self._count += value

    def get_count(self) -> int:
        return self._counter.get_count() if self._counter is not None else self._count

    def get_rate(self) -> float:
        return self._rate

    def update(self, now: float) -> None:
        samples = self._samples
        samples.append((now, self.get_count()))
        while len(samples) > 1 and now - samples[0][0] > self._span:
            samples.popleft()
        first_t, first_n = samples[0]
        self._rate = (samples[-1][1] - first_n) / (now - first_t) if now > first_t else 0.0


class Distribution:
    """PyFlink's distribution metric: count, sum, min, max and mean of the values seen (no
    per-value memory)."""

    __slots__ = ("count", "max", "min", "sum")

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.min = float("inf")
        self.max = float("-inf")

    def update(self, value: float) -> None:
        self.count += 1
        self.sum += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    @property
    def values(self) -> dict[str, float]:
        if not self.count:
            return {"count": 0, "sum": 0, "min": 0, "max": 0, "mean": 0}
        return {"count": self.count, "sum": self.sum, "min": self.min, "max": self.max,
                "mean": self.sum / self.count}


Gauge = Callable[[], Any]


class MetricGroup:
    def __init__(self, scope: MetricScope | list[str] | None = None, registry: Any = None) -> None:
        if isinstance(scope, list):  # the former form: a list of name components
            from runtime.metrics.metric_dump import MetricScopeKind
            scope = MetricScope(MetricScopeKind.OPERATOR, user=tuple(scope))
        assert scope is None or isinstance(scope, MetricScope)
        self.scope = scope
        self.registry = registry
        self.metrics: dict[str, Any] = {}
        self.children: dict[tuple[str, str | None], MetricGroup] = {}
        if registry is not None and scope is not None:
            registry.register(self)

    # ------------------------------------------------------------------ PyFlink API
    def add_group(self, name: str, extra: str | None = None) -> MetricGroup:
        """A user group (``add_group("g")``), or a key/value group (``add_group("k", "v")``):
        the key is a name component and the value a label, as in Flink."""
        key = (str(name), None if extra is None else str(extra))
        child = self.children.get(key)
        if child is None:
            scope = self.scope
            if scope is not None:
                from dataclasses import replace
                labels = scope.user_labels + ((key[0], key[1]),) if key[1] is not None else scope.user_labels
                scope = replace(scope, user=scope.user + (key[0],), user_labels=labels)
            child = self.children[key] = MetricGroup(scope, self.registry)
        return child

    def counter(self, name: str) -> Counter:
        existing = self.metrics.get(name)
        if isinstance(existing, Counter):
            return existing
        c = self.metrics[name] = Counter()
        return c

    def gauge(self, name: str, obj: Gauge) -> Gauge:
        if not callable(obj):
            raise TypeError(f"gauge '{name}' needs a callable that returns the value, got {type(obj).__name__}")
        self.metrics[name] = obj
        return obj

    def meter(self, name: str, time_span_in_seconds: int = 60) -> Meter:
        existing = self.metrics.get(name)
        if isinstance(existing, Meter):
            return existing
        m = self.metrics[name] = Meter(time_span_in_seconds)
        return m

    def distribution(self, name: str) -> Distribution:
        existing = self.metrics.get(name)
        if isinstance(existing, Distribution):
            return existing
        d = self.metrics[name] = Distribution()
        return d

    def get_metric_identifier(self, metric_name: str) -> str:
        """The metric's name with its scope, dot separated (Flink's default delimiter)."""
        s = self.scope
        if s is None:
            return metric_name
        parts = [s.host, s.kind.value.split("_")[0]]
        if s.tm_id:
            parts.append(s.tm_id)
        if s.job_name:
            parts.append(s.job_name)
        if s.operator_name:
            parts += [s.operator_name, str(s.subtask_index)]
        elif s.task_name:
            parts += [s.task_name, str(s.subtask_index)]
        return ".".join([p for p in parts if p] + list(s.user) + [metric_name])

    def close(self) -> None:
        """The component ended: its metrics are no longer reported."""
        if self.registry is not None:
            self.registry.unregister(self)
        for child in self.children.values():
            child.close()


def now() -> float:
    return time.monotonic()
