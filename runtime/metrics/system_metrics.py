"""Process metrics of the JobManager and TaskManagers (Flink's ``Status.JVM.*`` metrics, in
Python terms): CPU load and time, resident memory, threads, garbage collections."""
from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable

from runtime.metrics.metric_group import MetricGroup


def register_system_metrics(group: MetricGroup) -> None:
    import psutil
    proc = psutil.Process(os.getpid())
    status = group.add_group("Status")
    cpu = status.add_group("JVM").add_group("CPU")
    proc.cpu_percent(None)
    cpu.gauge("Load", lambda: proc.cpu_percent(None) / 100.0)
    cpu.gauge("Time", lambda: int(sum(proc.cpu_times()[:2]) * 1000))
    memory = status.add_group("JVM").add_group("Memory")
    memory.gauge("RSS", lambda: proc.memory_info().rss)
    memory.gauge("Heap.Used", lambda: proc.memory_info().rss)
    status.add_group("JVM").add_group("Threads").gauge("Count", threading.active_count)
    gcs = status.add_group("JVM").add_group("GarbageCollector")
    for generation in range(3):
        g = gcs.add_group(f"gen{generation}")
        g.gauge("Count", _gc_stat(generation, "collections"))
        g.gauge("Collected", _gc_stat(generation, "collected"))


def _gc_stat(generation: int, name: str) -> Callable[[], int]:
    return lambda: int(gc.get_stats()[generation][name])
