"""IOMetrics (Flink's ``org.apache.flink.runtime.executiongraph.IOMetrics``): the figures of
one subtask attempt that outlive it.

A TaskManager sends them with the attempt's final state, so a finished, cancelled or failed
job still shows its records and bytes in ``/jobs/:id`` (and in its archived details) after
its tasks and their metric groups are gone. While a task runs, the same figures are read
from the MetricStore instead.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class IOMetrics:
    num_records_in: int = 0
    num_records_out: int = 0
    num_bytes_in: int = 0
    num_bytes_out: int = 0
    #: milliseconds the task was busy, back-pressured and idle (Flink's accumulated times)
    accumulated_busy_time: float = 0.0
    accumulated_backpressured_time: float = 0.0
    accumulated_idle_time: float = 0.0
