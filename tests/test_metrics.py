"""Metrics with Flink's names and scopes on a real cluster (issue 12): task and operator
counters equal to the records of a known job, user metric groups (counter, meter, gauge,
distribution) reported under their operator, the JobManager's and TaskManagers' own metrics,
back-pressure and watermarks, Flink's REST metric endpoints, and the Prometheus endpoint
scraped and parsed with prometheus_client's parser.

One cluster serves the module (2 TaskManagers of 2 slots, a Prometheus reporter on a port
range, the MetricFetcher refreshing every 100 ms).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import ClusterEnv, free_port, started_cluster, wait_until, write_job
from helpers_cli import describe, submitted_job_id

N = 30_000
KEYS = 7

COUNTING_JOB = '''\
import os, sys, time
from runtime.common import Types
from runtime.datastream import (KeyedProcessFunction, MapFunction, SinkFunction, SourceFunction,
                                StreamExecutionEnvironment)

N, FLAG = int(sys.argv[1]), sys.argv[2]

class Numbers(SourceFunction):
    """N records, then waits for FLAG (so the test reads the metrics of a running job)."""
    def __init__(self):
        self.running = True
    def run(self, ctx):
        for i in range(N):
            ctx.collect(i)
        while self.running and not os.path.exists(FLAG):
            time.sleep(0.01)
    def cancel(self):
        self.running = False

class Measured(MapFunction):
    def open(self, runtime_context):
        group = runtime_context.get_metrics_group().add_group("mygroup")
        self.seen = group.counter("seen")
        self.rate = group.meter("rate", 10)
        self.sizes = group.distribution("sizes")
        self.last = 0
        group.gauge("last", lambda: self.last)
        self.evens = runtime_context.get_metrics_group().add_group("kind", "even").counter("evens")
    def map(self, value):
        self.seen.inc()
        self.rate.mark_event()
        self.sizes.update(value % 10)
        self.last = value
        if value % 2 == 0:
            self.evens.inc()
        return value

class Count(KeyedProcessFunction):
    def process_element(self, value, ctx):
        yield value

class Drop(SinkFunction):
    def invoke(self, value, context):
        pass

env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
(env.add_source(Numbers(), "Numbers", Types.LONG()).set_parallelism(1)
    .map(Measured(), Types.LONG()).name("Measured")
    .key_by(lambda v: v % 7)
    .process(Count(), Types.LONG()).name("Count")
    .add_sink(Drop()).name("Drop"))
env.execute("metrics-job")
'''


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    prom = free_port()
    with started_cluster(tmp_path_factory.mktemp("metrics"), **{
            "taskmanager.numberOfTaskSlots": 2,
            "metrics.reporter.prom.factory.class": "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
            "metrics.reporter.prom.port": f"{prom}-{prom + 5}",
            "metrics.fetcher.update-interval": 100}) as env:
        env.prometheus_ports = range(prom, prom + 6)  # type: ignore[attr-defined]
        yield env


def rest(env: ClusterEnv, path: str) -> tuple[int, object]:
    req = urllib.request.Request(f"http://127.0.0.1:{env.rest_port}{path}", headers=env.rest_headers())
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def get(env: ClusterEnv, path: str) -> object:
    status, body = rest(env, path)
    assert status == 200, (path, status, body)
    return body


def values(env: ClusterEnv, path: str, names: list[str]) -> dict[str, float]:
    body = get(env, f"{path}?get={urllib.parse.quote(','.join(names), safe=',')}")
    assert isinstance(body, list)
    return {m["id"]: float(m["value"]) for m in body}


@pytest.fixture(scope="module")
def running_job(cluster: ClusterEnv, tmp_path_factory):
    """The counting job, after its source emitted all N records and they all reached the sink."""
    root = tmp_path_factory.mktemp("metrics-job")
    flag = root / "release"
    job = write_job(root, "counting.py", COUNTING_JOB)
    proc = cluster.pyflink("run", "-d", str(job), str(N), str(flag))
    assert proc.returncode == 0, describe(proc)
    jid = submitted_job_id(proc)
    vertices = wait_until(lambda: _running_vertices(cluster, jid), 30, message="every vertex RUNNING")
    by_name = {v["name"]: v for v in vertices}
    sink = next(v for name, v in by_name.items() if "Drop" in name)

    def sink_count() -> float:
        agg = get(cluster, f"/jobs/{jid}/vertices/{sink['id']}/subtasks/metrics?get=numRecordsIn&agg=sum")
        return agg[0]["sum"] if agg else 0  # type: ignore[index]
    wait_until(lambda: sink_count() == N, 60, interval=0.1, message=f"{N} records counted into the sink")
    try:
        yield jid, by_name
    finally:
        flag.write_text("go")
        wait_until(lambda: get(cluster, f"/jobs/{jid}")["state"] in ("FINISHED", "FAILED", "CANCELED"), 60,  # type: ignore[index]
                   message="the job to end")


def _running_vertices(env: ClusterEnv, jid: str) -> list[dict] | None:
    status, body = rest(env, f"/jobs/{jid}")
    if status != 200:
        return None
    vertices = body["vertices"]  # type: ignore[index]
    return vertices if vertices and all(v["status"] == "RUNNING" for v in vertices) else None


def summed(env: ClusterEnv, jid: str, vertex: dict, names: list[str]) -> dict[str, float]:
    """Each metric summed over the vertex's subtasks (Flink's aggregated subtask metrics)."""
    body = get(env, f"/jobs/{jid}/vertices/{vertex['id']}/subtasks/metrics"
                    f"?get={urllib.parse.quote(','.join(names), safe=',')}&agg=sum")
    return {m["id"]: m["sum"] for m in body}  # type: ignore[union-attr]


def test_task_and_operator_counters_equal_the_records_of_the_job(cluster: ClusterEnv, running_job) -> None:
    jid, vertices = running_job
    source = next(v for n, v in vertices.items() if n.startswith("Source: Numbers"))
    measured = next(v for n, v in vertices.items() if n.startswith("Measured"))
    count = next(v for n, v in vertices.items() if n.startswith("Count"))
    assert (source["parallelism"], measured["parallelism"], count["parallelism"]) == (1, 2, 2), vertices
    src = values(cluster, f"/jobs/{jid}/vertices/{source['id']}/subtasks/0/metrics",
                 ["numRecordsIn", "numRecordsOut", "numBytesOut", "Source: Numbers.numRecordsOut"])
    assert src["numRecordsOut"] == src["Source: Numbers.numRecordsOut"] == N
    assert src["numRecordsIn"] == 0   # Flink: a source task reads no records from the network
    # Measured (2 subtasks, rebalanced) passes every record on to the keyed exchange
    m = summed(cluster, jid, measured, ["numRecordsIn", "numRecordsOut", "Measured.numRecordsIn",
                                        "Measured.numRecordsOut"])
    assert m == {"numRecordsIn": N, "numRecordsOut": N, "Measured.numRecordsIn": N, "Measured.numRecordsOut": N}
    # keyed: the two subtasks of Count -> Drop got their keys' records, computed here
    per_subtask = [sum(1 for v in range(N) if _subtask_of(v % KEYS, 2) == i) for i in range(2)]
    got = [values(cluster, f"/jobs/{jid}/vertices/{count['id']}/subtasks/{i}/metrics",
                  ["numRecordsIn", "numRecordsOut", "Count.numRecordsIn", "Drop.numRecordsIn"]) for i in range(2)]
    assert sorted(int(g["numRecordsIn"]) for g in got) == sorted(per_subtask), got
    for g in got:
        assert g["numRecordsIn"] == g["Count.numRecordsIn"] == g["Drop.numRecordsIn"]
        assert g["numRecordsOut"] == 0  # a sink task writes to no network output
    # the vertex listing names subtask and operator as Flink's does
    names = {m["id"] for m in get(cluster, f"/jobs/{jid}/vertices/{count['id']}/metrics")}  # type: ignore[union-attr]
    assert {"0.numRecordsIn", "1.numRecordsIn", "0.Count.numRecordsOut", "1.busyTimeMsPerSecond",
            "0.buffers.inPoolUsage", "0.currentInputWatermark"} <= names


def _subtask_of(key: int, parallelism: int, max_parallelism: int = 128) -> int:
    from runtime.state.key_groups import assign_to_key_group, operator_index_for_key_group
    return operator_index_for_key_group(max_parallelism, parallelism, assign_to_key_group(key, max_parallelism))


def test_user_metrics_are_reported_under_their_operator(cluster: ClusterEnv, running_job) -> None:
    jid, vertices = running_job
    measured = next(v for n, v in vertices.items() if n.startswith("Measured"))
    m = summed(cluster, jid, measured, ["Measured.mygroup.seen", "Measured.mygroup.sizes_count",
                                        "Measured.kind.evens", "Measured.mygroup.rate"])
    assert m["Measured.mygroup.seen"] == m["Measured.mygroup.sizes_count"] == N
    assert m["Measured.kind.evens"] == len(range(0, N, 2))
    assert m["Measured.mygroup.rate"] >= 0
    per = [values(cluster, f"/jobs/{jid}/vertices/{measured['id']}/subtasks/{i}/metrics",
                  ["Measured.mygroup.last", "Measured.mygroup.sizes_max", "Measured.mygroup.sizes_min"])
           for i in range(2)]
    assert max(p["Measured.mygroup.last"] for p in per) == N - 1  # a gauge: the last value each subtask saw
    assert max(p["Measured.mygroup.sizes_max"] for p in per) == 9
    assert min(p["Measured.mygroup.sizes_min"] for p in per) == 0


def test_jobmanager_taskmanager_and_job_metrics(cluster: ClusterEnv, running_job) -> None:
    jid, _ = running_job
    jm = values(cluster, "/jobmanager/metrics", ["numRegisteredTaskManagers", "taskSlotsTotal", "taskSlotsAvailable",
                                                 "numRunningJobs", "Status.JVM.Memory.RSS", "Status.JVM.Threads.Count",
                                                 "Status.JVM.CPU.Load", "Status.JVM.GarbageCollector.gen0.Count"])
    assert jm["numRegisteredTaskManagers"] == 2 and jm["taskSlotsTotal"] == 4
    assert jm["numRunningJobs"] >= 1 and jm["Status.JVM.Memory.RSS"] > 10 * 2**20
    assert jm["Status.JVM.Threads.Count"] >= 1 and "Status.JVM.CPU.Load" in jm
    tms = get(cluster, "/taskmanagers")["taskmanagers"]  # type: ignore[index]
    for tm in tms:
        m = values(cluster, f"/taskmanagers/{tm['id']}/metrics", ["Status.JVM.Memory.RSS", "taskSlotsTotal",
                                                                  "Status.JVM.CPU.Time"])
        assert m["Status.JVM.Memory.RSS"] > 10 * 2**20 and m["taskSlotsTotal"] == 2
    agg = get(cluster, "/taskmanagers/metrics?get=taskSlotsTotal&agg=sum,max")
    assert agg == [{"id": "taskSlotsTotal", "sum": 4.0, "max": 2.0}]
    job = values(cluster, f"/jobs/{jid}/metrics", ["uptime", "numRestarts", "numberOfCompletedCheckpoints",
                                                   "lastCheckpointSize"])
    assert job["uptime"] > 0 and job["numRestarts"] == 0
    assert job["numberOfCompletedCheckpoints"] == 0 and job["lastCheckpointSize"] == -1  # checkpointing is off


def test_metric_names_are_listed_and_bad_requests_refused(cluster: ClusterEnv, running_job) -> None:
    jid, vertices = running_job
    listed = get(cluster, "/jobmanager/metrics")
    assert {"id": "numRegisteredTaskManagers"} in listed  # type: ignore[operator]
    vid = next(iter(vertices.values()))["id"]
    assert rest(cluster, f"/jobs/{jid}/vertices/{'0' * 32}/metrics")[0] == 404
    assert rest(cluster, f"/jobs/{'ab' * 16}/vertices/{vid}/metrics")[0] == 404
    assert rest(cluster, f"/jobs/{jid}/vertices/{vid}/subtasks/9/metrics")[0] == 404
    status, body = rest(cluster, f"/jobs/{jid}/vertices/{vid}/subtasks/metrics?get=numRecordsIn&agg=median")
    assert status == 400 and "median" in body["errors"][0]  # type: ignore[index]
    assert rest(cluster, "/taskmanagers/no-such-tm/metrics")[0] == 404
    assert get(cluster, "/jobmanager/metrics?get=noSuchMetric") == []


def test_prometheus_endpoint_has_flinks_names_and_labels(cluster: ClusterEnv, running_job) -> None:
    from prometheus_client.parser import text_string_to_metric_families
    jid, _ = running_job
    samples: list = []
    answered = 0
    for port in cluster.prometheus_ports:  # type: ignore[attr-defined]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                text = resp.read().decode()
        except OSError:
            continue
        answered += 1
        for family in text_string_to_metric_families(text):
            samples.extend(family.samples)
    assert answered == 3, "the JobManager and both TaskManagers each serve one port of the range"

    def total(name: str, **labels: str) -> float:
        return sum(s.value for s in samples if s.name == name
                   and all(s.labels.get(k) == v for k, v in labels.items()))
    assert total("flink_taskmanager_job_task_operator_numRecordsIn", job_id=jid, operator_name="Count") == N
    assert total("flink_taskmanager_job_task_operator_mygroup_seen", job_id=jid, job_name="metrics_job")  # "-" is not allowed == N
    assert total("flink_taskmanager_job_task_operator_kind_evens", kind="even") == len(range(0, N, 2))
    assert total("flink_taskmanager_job_task_numRecordsOut", job_id=jid, subtask_index="0",
                 task_attempt_num="0") >= N
    assert total("flink_jobmanager_numRegisteredTaskManagers") == 2
    assert total("flink_jobmanager_job_uptime", job_id=jid) > 0
    assert total("flink_taskmanager_Status_JVM_Memory_RSS") > 0
    sample = next(s for s in samples if s.name == "flink_taskmanager_job_task_operator_numRecordsIn")
    assert {"host", "tm_id", "job_id", "job_name", "task_id", "task_name", "subtask_index", "task_attempt_num",
            "operator_id", "operator_name"} <= set(sample.labels)
    assert len(sample.labels["task_id"]) == len(sample.labels["operator_id"]) == 32


BACKPRESSURE_JOB = '''\
import time
from runtime.common import Types
from runtime.common.watermark_strategy import WatermarkStrategy
from runtime.datastream import SinkFunction, StreamExecutionEnvironment
from runtime.common.watermark_strategy import TimestampAssigner

class Slow(SinkFunction):
    def invoke(self, value, context):
        time.sleep(0.0002)

class ByValue(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value

env = StreamExecutionEnvironment.get_execution_environment()
env.get_config().set_auto_watermark_interval(50)
(env.from_collection(list(range(1_000_000)), Types.LONG())
    .assign_timestamps_and_watermarks(WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(ByValue()))
    .rebalance()
    .add_sink(Slow()).name("Slow").set_parallelism(1))
env.execute("backpressured")
'''


def test_backpressure_busy_time_and_watermarks(cluster: ClusterEnv, tmp_path: Path) -> None:
    job = write_job(tmp_path, "backpressured.py", BACKPRESSURE_JOB)
    proc = cluster.pyflink("run", "-d", "-p", "1", str(job))
    assert proc.returncode == 0, describe(proc)
    jid = submitted_job_id(proc)
    try:
        vertices = wait_until(lambda: _running_vertices(cluster, jid), 30, message="every vertex RUNNING")
        source = next(v for v in vertices if v["name"].startswith("Source"))
        sink = next(v for v in vertices if "Slow" in v["name"])

        def level() -> dict | None:
            body = get(cluster, f"/jobs/{jid}/vertices/{source['id']}/backpressure")
            return body if body["backpressure-level"] == "high" else None  # type: ignore[index]
        bp = wait_until(level, 30, interval=0.2, message="the source to be back-pressured")
        assert bp["status"] == "ok" and bp["subtasks"][0]["ratio"] > 0.5
        assert set(bp["subtasks"][0]) >= {"subtask", "attempt-number", "backpressure-level", "ratio", "idleRatio",
                                          "busyRatio"}
        sink_times = values(cluster, f"/jobs/{jid}/vertices/{sink['id']}/subtasks/0/metrics",
                            ["busyTimeMsPerSecond", "idleTimeMsPerSecond", "backPressuredTimeMsPerSecond"])
        assert sink_times["busyTimeMsPerSecond"] > 500  # the sleeping sink is the bottleneck
        assert sum(sink_times.values()) == pytest.approx(1000, abs=150)

        def watermark() -> float | None:
            marks = get(cluster, f"/jobs/{jid}/vertices/{sink['id']}/watermarks")
            return float(marks[0]["value"]) if marks and float(marks[0]["value"]) > 0 else None  # type: ignore[index]
        assert wait_until(watermark, 40, interval=0.2, message="the sink's input watermark to advance") > 0
    finally:
        cluster.pyflink("cancel", jid)
