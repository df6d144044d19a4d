"""``pyflink.metrics`` (and ``pyflink.metrics.metricbase``) under the import mapping.

PyFlink's user-metric classes are the ones ``runtime_context.get_metrics_group()`` hands out
here (``runtime.metrics.metric_group``); ``Metric`` is PyFlink's common base, kept so that
type hints and ``isinstance`` checks in job code resolve.
"""
from __future__ import annotations

from abc import ABC

from runtime.metrics.metric_group import Counter, Distribution, Meter, MetricGroup


class Metric(ABC):  # noqa: B024 - a marker base, as PyFlink's
    """Base of PyFlink's metric types (``pyflink.metrics.Metric``)."""


for _metric in (Counter, Meter, Distribution):
    Metric.register(_metric)

__all__ = ["MetricGroup", "Metric", "Counter", "Meter", "Distribution"]
