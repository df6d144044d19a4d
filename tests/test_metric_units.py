"""Unit tests of the metric types, the registry's dumps, the MetricStore's naming and the
Prometheus reporter's names and port ranges (the cluster-level behaviour is in
test_metrics.py)."""
from __future__ import annotations

import pytest

from runtime.metrics.metric_dump import MetricScope, MetricScopeKind
from runtime.metrics.metric_group import Counter, Distribution, Meter
from runtime.metrics.metric_registry import MetricRegistry
from runtime.metrics.prometheus_reporter import metric_name, parse_ports
from runtime.metrics.task_io_metrics import TimeRatioView, counted
from runtime.metrics.task_metric_group import TaskMetricGroup
from runtime.rest.metric_store import MetricStore


def test_meter_rate_is_events_per_second_over_its_span() -> None:
    m = Meter(time_span_in_seconds=10)
    m.update(100.0)
    m.mark_event(50)
    m.update(101.0)
    assert m.get_rate() == 50.0 and m.get_count() == 50
    m.mark_event(150)
    m.update(103.0)
    assert m.get_rate() == pytest.approx(200 / 3)
    m.update(120.0)  # the old samples fall out of the span: nothing happened lately
    assert m.get_rate() == 0.0


def test_time_ratio_view_is_ms_per_second_of_the_last_interval() -> None:
    acc = [0.0]
    view = TimeRatioView(lambda: acc[0])
    view.update(10.0)
    acc[0] = 250.0
    view.update(11.0)
    assert view() == 250.0
    acc[0] = 5000.0  # more than the interval (rounding of two clocks): capped at 1000
    view.update(12.0)
    assert view() == 1000.0


def test_distribution_and_counted_emit() -> None:
    d = Distribution()
    for v in (3, 1, 2):
        d.update(v)
    assert d.values == {"count": 3, "sum": 6, "min": 1, "max": 3, "mean": 2.0}
    c = Counter()
    seen: list = []
    emit = counted(lambda values, ts=None, keys=None: seen.extend(values), c)
    emit([1, 2, 3])
    emit([4])
    assert c.get_count() == 4 and seen == [1, 2, 3, 4]


def _task(registry: MetricRegistry, subtask: int = 0) -> TaskMetricGroup:
    return TaskMetricGroup(MetricScope(MetricScopeKind.TASK, host="h", tm_id="tm-1", job_id="j" * 32, job_name="job",
                                       task_id="v" * 32, task_name="Map -> Sink", subtask_index=subtask), registry)


def test_registry_dumps_operator_and_user_metrics_into_the_store() -> None:
    registry = MetricRegistry()
    task = _task(registry)
    op = task.operator("Map", "uid-1")
    op.add_group("mygroup").counter("seen").inc(7)
    op.add_group("kind", "even").counter("evens").inc(2)
    op.add_group("mygroup").distribution("sizes").update(4)
    op.gauge("broken", lambda: 1 / 0)   # a failing gauge is left out
    op.gauge("text", lambda: "not a number")
    task.io.records_in.inc(10)
    store = MetricStore()
    store.replace(None, {"tm-1": registry.dump()})
    m = store.task("j" * 32, "v" * 32, 0)
    assert m["numRecordsIn"] == 10 and m["Map.mygroup.seen"] == 7 and m["Map.kind.evens"] == 2
    assert m["Map.mygroup.sizes_count"] == 1 and m["Map.mygroup.sizes_max"] == 4
    assert "Map.broken" not in m and "Map.text" not in m
    assert store.vertex("j" * 32, "v" * 32)["0.Map.mygroup.seen"] == 7
    assert store.io_metrics("j" * 32, "v" * 32, 0).num_records_in == 10  # type: ignore[union-attr]
    labels = next(d.scope.labels() for d in registry.dump().dumps if d.name == "evens")
    assert labels["kind"] == "even" and labels["operator_name"] == "Map" and len(labels["operator_id"]) == 32
    task.close()  # an ended task is no longer reported
    assert not registry.dump().dumps
    store.replace(None, {"tm-1": registry.dump()})
    assert store.task("j" * 32, "v" * 32, 0) == {}


def test_a_newer_attempt_replaces_the_older_ones_metrics() -> None:
    registry = MetricRegistry()
    old = _task(registry)
    old.io.records_in.inc(5)
    newer = TaskMetricGroup(MetricScope(MetricScopeKind.TASK, tm_id="tm-2", job_id="j" * 32, task_id="v" * 32,
                                        subtask_index=0, attempt=1), registry)
    newer.io.records_in.inc(1)
    store = MetricStore()
    store.replace(None, {"tm-1": registry.dump()})
    assert store.task("j" * 32, "v" * 32, 0)["numRecordsIn"] == 1


def test_prometheus_names_and_port_ranges() -> None:
    assert metric_name("taskmanager_job_task_operator", ("my group", "a.b")) == \
        "flink_taskmanager_job_task_operator_my_group_a_b"
    assert parse_ports("9249") == [9249]
    assert parse_ports("9249-9251,9300") == [9249, 9250, 9251, 9300]
    for bad in ("", "x", "9251-9249", "0", "70000"):
        with pytest.raises(ValueError):
            parse_ports(bad)
