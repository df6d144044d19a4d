"""Flink's REST monitoring API on a real cluster: every job path (details, plan, vertices,
subtask times, vertex TaskManagers, exceptions, accumulators, config) and the TaskManager
paths, with Flink's field names checked against tests/data/flink_rest_keys.json (keys of
Flink 2.3's own answers); a finished job's details kept after it ended and across
JobManager restarts (stop/start, kill -9/start); a failing job's exception history with the
user's traceback; and the job store's bound (jobstore.max-capacity).

One module cluster (2 TaskManagers x 2 slots); the tests run in file order and each leaves
the cluster idle.
"""
from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import psutil
import pytest
from conftest import EXAMPLES, ClusterEnv, free_port, wait_until, write_job
from helpers_cli import (
    MONITORED_JOB,
    describe,
    pid_file_entries,
    rest_call,
    rest_get,
    submitted_job_id,
    wait_idle,
    wait_job_state,
)

KEYS: dict[str, list[str]] = json.loads((Path(__file__).parent / "data" / "flink_rest_keys.json").read_text())
HEX32 = re.compile(r"[0-9a-f]{32}")
#: what pyflink adds to Flink's TaskManagerInfo (documented in docs/rest-api.md)
TM_EXTRAS = frozenset({"pid", "host", "forked"})
CAPACITY = 4
RESTARTS = 1

FAILING_JOB = '''\
from runtime.datastream import StreamExecutionEnvironment


def explode(x):
    if x == 3:
        raise ValueError("no threes allowed here")
    return x


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 2, 3, 4, 5]).map(explode).print()
    env.execute("exploding-job")


if __name__ == "__main__":
    main()
'''

TINY_JOB = '''\
import sys
from runtime.datastream import StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection([1, 2, 3]).map(lambda x: x + 1).print()
env.execute(sys.argv[1])
'''


def check_keys(obj: object, name: str, extras: frozenset[str] = frozenset(),
               optional: frozenset[str] = frozenset()) -> None:
    """``obj`` has every key Flink's answer has (but the ``optional`` ones Flink also leaves
    out at times), and nothing else but ``extras``."""
    assert isinstance(obj, dict), f"{name}: not an object: {obj!r:.200}"
    expected = set(KEYS[name])
    assert expected - optional <= set(obj), f"{name}: missing Flink keys {sorted(expected - optional - set(obj))}"
    assert set(obj) <= expected | extras, f"{name}: keys Flink does not have {sorted(set(obj) - expected - extras)}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    env = ClusterEnv(tmp_path_factory.mktemp("restmon"), free_port(), free_port())
    env.write_conf(**{"taskmanager.numberOfTaskSlots": 2, "jobstore.max-capacity": CAPACITY,
                      "restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": RESTARTS,
                      "restart-strategy.fixed-delay.delay": "100 ms"})
    try:
        env.pyflink("cluster", "start", check=True)
        yield env
    finally:
        env.pyflink("cluster", "stop")
        try:
            wait_until(lambda: not env.processes(), 15, message="cluster processes to exit")
        finally:
            leftovers = env.processes()
            env.kill_all()
            assert not leftovers, f"processes left behind: {[p.pid for p in leftovers]}"


def _all_running(env: ClusterEnv, jid: str) -> dict | None:
    job = rest_get(env, f"/jobs/{jid}")
    assert isinstance(job, dict)
    ok = job["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in job["vertices"])
    return job if ok else None


def test_running_job_paths_have_flinks_fields(cluster: ClusterEnv, tmp_path: Path):
    env = cluster
    job_file = write_job(tmp_path, "ticks.py", MONITORED_JOB)
    jid = submitted_job_id(env.pyflink("run", "-d", "-p", "2", str(job_file), check=True))
    job = wait_until(lambda: _all_running(env, jid), 30, interval=0.1, message="every vertex RUNNING")
    assert isinstance(job, dict)

    check_keys(job, "job_details")
    check_keys(job["timestamps"], "job_details.timestamps")
    check_keys(job["status-counts"], "job_details.status-counts")
    assert job["jid"] == jid and job["name"] == "monitored-ticks" and job["end-time"] == -1
    assert job["timestamps"]["RUNNING"] >= job["start-time"] > 0
    # source (p=1) -rebalance-> map (p=2) -hash-> reduce chained with the print sink (p=2)
    names = [v["name"] for v in job["vertices"]]
    assert len(names) == 3 and names[0].startswith("Source") and names[1] == "Map", names
    assert "Reduce" in names[2] and "Print" in names[2], names
    assert [v["parallelism"] for v in job["vertices"]] == [1, 2, 2]
    assert job["status-counts"]["RUNNING"] == 3
    for v in job["vertices"]:
        check_keys(v, "job_details.vertex")
        check_keys(v["tasks"], "job_details.vertex.tasks")
        check_keys(v["metrics"], "io_metrics")
        assert HEX32.fullmatch(v["id"]), v["id"]
        assert sum(v["tasks"].values()) == v["parallelism"] == v["tasks"]["RUNNING"]
        assert v["start-time"] > 0 and v["end-time"] == -1 and v["duration"] >= 0

    plan = rest_get(env, f"/jobs/{jid}/plan")
    check_keys(plan, "plan_endpoint")
    check_keys(plan["plan"], "plan")
    assert plan["plan"] == job["plan"]
    nodes = {n["id"]: n for n in plan["plan"]["nodes"]}
    assert set(nodes) == {v["id"] for v in job["vertices"]}
    ids = [v["id"] for v in job["vertices"]]
    assert "inputs" not in nodes[ids[0]]
    for node in plan["plan"]["nodes"]:
        check_keys(node, "plan.node", optional=frozenset({"inputs"}))
        for i in node.get("inputs", []):
            check_keys(i, "plan.node.input")
    assert [(i["id"], i["ship_strategy"]) for i in nodes[ids[1]]["inputs"]] == [(ids[0], "REBALANCE")]
    assert [(i["id"], i["ship_strategy"]) for i in nodes[ids[2]]["inputs"]] == [(ids[1], "HASH")]

    tms = rest_get(env, "/taskmanagers")
    check_keys(tms, "taskmanagers")
    tm_ids = {t["id"] for t in tms["taskmanagers"]}  # type: ignore[index]
    data_ports = {t["dataPort"] for t in tms["taskmanagers"]}  # type: ignore[index]
    now = time.time() * 1000
    for t in tms["taskmanagers"]:  # type: ignore[index]
        check_keys(t, "taskmanager", TM_EXTRAS)
        check_keys(t["hardware"], "taskmanager.hardware")
        check_keys(t["memoryConfiguration"], "taskmanager.memoryConfiguration")
        check_keys(t["totalResource"], "taskmanager.resource")
        check_keys(t["freeResource"], "taskmanager.resource")
        # Flink's timeSinceLastHeartbeat is the last heartbeat's timestamp, not an age
        assert abs(now - t["timeSinceLastHeartbeat"]) < 30_000, t["timeSinceLastHeartbeat"]
        assert t["slotsNumber"] == 2 and t["jmxPort"] == -1
    # 1 + 2 + 2 = 5 running tasks over the TaskManagers
    assert sum(t["assignedTasks"] for t in tms["taskmanagers"]) == 5  # type: ignore[index]

    for vid, v in zip(ids, job["vertices"]):
        detail = rest_get(env, f"/jobs/{jid}/vertices/{vid}")
        check_keys(detail, "vertex_details")
        check_keys(detail["aggregated"], "vertex_details.aggregated")
        assert detail["id"] == vid and detail["parallelism"] == v["parallelism"]
        assert [s["subtask"] for s in detail["subtasks"]] == list(range(v["parallelism"]))
        for s in detail["subtasks"]:
            check_keys(s, "vertex_details.subtask")
            check_keys(s["metrics"], "io_metrics")
            assert s["status"] == "RUNNING" and s["attempt"] == 0 and s["taskmanager-id"] in tm_ids
            host, port = s["endpoint"].rsplit(":", 1)
            assert host and int(port) in data_ports
        for stats in detail["aggregated"]["metrics"].values():
            check_keys(stats, "aggregated_stats")
        times = rest_get(env, f"/jobs/{jid}/vertices/{vid}/subtasktimes")
        check_keys(times, "subtasktimes")
        for s in times["subtasks"]:
            check_keys(s, "subtasktimes.subtask")
            check_keys(s["timestamps"], "subtasktimes.subtask.timestamps")
            ts = s["timestamps"]
            assert 0 < ts["CREATED"] <= ts["DEPLOYING"] <= ts["RUNNING"] and ts["FINISHED"] == 0
        per_tm = rest_get(env, f"/jobs/{jid}/vertices/{vid}/taskmanagers")
        check_keys(per_tm, "vertex_taskmanagers")
        for t in per_tm["taskmanagers"]:
            check_keys(t, "vertex_taskmanagers.taskmanager")
            assert t["taskmanager-id"] in tm_ids
        assert sum(sum(t["status-counts"].values()) for t in per_tm["taskmanagers"]) == v["parallelism"]

    details = rest_get(env, f"/taskmanagers/{next(iter(tm_ids))}")
    check_keys(details, "taskmanager_details", TM_EXTRAS)
    check_keys(details["metrics"], "taskmanager_details.metrics")
    slots = [s for t in tm_ids for s in rest_get(env, f"/taskmanagers/{t}")["allocatedSlots"]]  # type: ignore[index]
    assert {s["jobId"] for s in slots} == {jid} and sum(s["assignedTasks"] for s in slots) == 5
    for s in slots:
        check_keys(s, "taskmanager_details.allocatedSlot")

    check_keys(rest_get(env, f"/jobs/{jid}/accumulators"), "accumulators")
    config = rest_get(env, f"/jobs/{jid}/config")
    check_keys(config, "job_config")
    check_keys(config["execution-config"], "job_config.execution-config")
    assert config["jid"] == jid and config["execution-config"]["job-parallelism"] == 2
    assert "fixed-delay" in config["execution-config"]["restart-strategy"]
    exceptions = rest_get(env, f"/jobs/{jid}/exceptions")
    check_keys(exceptions, "exceptions")
    assert exceptions["exceptionHistory"] == {"entries": [], "truncated": False}
    entries = rest_get(env, "/jobmanager/config")
    assert isinstance(entries, list) and entries
    for entry in entries:
        check_keys(entry, "jobmanager_config.entry")
    assert {"rest.port": str(env.rest_port)}.items() <= {e["key"]: e["value"] for e in entries}.items()

    # unknown and malformed ids: Flink's error shape
    for path, status in ((f"/jobs/{jid}/vertices/{'0' * 32}", 404), (f"/jobs/{jid}/vertices/nope", 400),
                         (f"/jobs/{'0' * 32}", 404), (f"/jobs/{'0' * 32}/exceptions", 404),
                         ("/taskmanagers/no-such-tm", 404), (f"/jobs/{jid}/exceptions?maxExceptions=x", 400)):
        got, body = rest_call(env, "GET", path)
        assert got == status, (path, got, body)
        check_keys(body, "errors")

    # cancel through REST; the ended job keeps its vertices
    assert rest_call(env, "PATCH", f"/jobs/{jid}?mode=cancel")[0] == 202
    wait_job_state(env, jid, "CANCELED", timeout=30)
    ended = rest_get(env, f"/jobs/{jid}")
    assert ended["state"] == "CANCELED" and ended["end-time"] >= ended["start-time"]  # type: ignore[index]
    assert [v["id"] for v in ended["vertices"]] == ids  # type: ignore[index]
    assert all(v["status"] == "CANCELED" for v in ended["vertices"])  # type: ignore[index]
    wait_idle(env)


def test_failing_job_exception_history(cluster: ClusterEnv, tmp_path: Path):
    env = cluster
    job_file = write_job(tmp_path, "exploding.py", FAILING_JOB)
    run = env.pyflink("run", str(job_file), timeout=90)
    assert run.returncode != 0 and "no threes allowed here" in run.stdout + run.stderr, describe(run)
    jid = submitted_job_id(run)
    wait_job_state(env, jid, "FAILED", timeout=30)

    history = rest_get(env, f"/jobs/{jid}/exceptions")
    check_keys(history, "exceptions")
    check_keys(history["exceptionHistory"], "exceptions.exceptionHistory")  # type: ignore[index]
    entries = history["exceptionHistory"]["entries"]  # type: ignore[index]
    # one failure per attempt: the first run and each restart of the fixed-delay strategy
    assert len(entries) == RESTARTS + 1, json.dumps(entries, indent=1)[:3000]
    tm_ids = {t["id"] for t in rest_get(env, "/taskmanagers")["taskmanagers"]}  # type: ignore[index]
    for attempt, entry in zip(range(RESTARTS, -1, -1), entries):  # newest first
        check_keys(entry, "exceptions.entry.task_failure")
        assert entry["exceptionName"] == "ValueError"
        assert 'raise ValueError("no threes allowed here")' in entry["stacktrace"]
        assert str(job_file) in entry["stacktrace"] and "Traceback (most recent call last)" in entry["stacktrace"]
        assert entry["taskName"].endswith(f"(1/1) - execution #{attempt}") and "Map" in entry["taskName"]
        assert entry["taskManagerId"] in tm_ids and re.fullmatch(r".+:\d+", entry["endpoint"])
    assert entries[0]["timestamp"] >= entries[1]["timestamp"]
    one = rest_get(env, f"/jobs/{jid}/exceptions?maxExceptions=1")["exceptionHistory"]  # type: ignore[index]
    assert one["entries"] == entries[:1] and one["truncated"] is True
    job = rest_get(env, f"/jobs/{jid}")
    assert job["state"] == "FAILED" and job["timestamps"]["RESTARTING"] > 0  # type: ignore[index]
    wait_idle(env)


def _snapshot(env: ClusterEnv, jid: str) -> dict:
    """What must survive: the job's details (but its clock), plan, vertices and exceptions."""
    job = rest_get(env, f"/jobs/{jid}")
    assert isinstance(job, dict)
    job.pop("now")
    vertices = {v["id"]: rest_get(env, f"/jobs/{jid}/vertices/{v['id']}") for v in job["vertices"]}
    for v in vertices.values():
        v.pop("now")  # type: ignore[union-attr]
    return {"job": job, "plan": rest_get(env, f"/jobs/{jid}/plan"), "vertices": vertices,
            "exceptions": rest_get(env, f"/jobs/{jid}/exceptions"), "config": rest_get(env, f"/jobs/{jid}/config"),
            "checkpoints": rest_get(env, f"/jobs/{jid}/checkpoints")}


def test_finished_job_kept_across_jobmanager_restarts(cluster: ClusterEnv):
    env = cluster
    run = env.pyflink("run", "-p", "2", str(EXAMPLES / "word_count.py"), timeout=90)
    assert run.returncode == 0, describe(run)
    jid = submitted_job_id(run)
    wait_job_state(env, jid, "FINISHED", timeout=30)
    before = _snapshot(env, jid)
    job = before["job"]
    assert job["state"] == "FINISHED" and job["end-time"] > 0 and len(job["vertices"]) >= 2
    for v in job["vertices"]:
        assert v["status"] == "FINISHED" and v["tasks"]["FINISHED"] == v["parallelism"]
        assert v["end-time"] >= v["start-time"] > 0
        if v["metrics"]["write-records-complete"] and v["name"].startswith("Source"):
            assert v["metrics"]["write-records"] > 0, v  # final figures the TaskManagers reported

    # 1. a clean stop and start
    assert env.pyflink("cluster", "stop", timeout=60).returncode == 0
    wait_until(lambda: not env.processes(), 15, message="the cluster to stop")
    env.pyflink("cluster", "start", check=True)
    assert _snapshot(env, jid) == before

    # 2. the JobManager killed (-9), then the cluster started again
    [(_, jm)] = pid_file_entries(env, "pyflink-jobmanager*.pid")
    os.kill(jm, signal.SIGKILL)
    wait_until(lambda: not psutil.pid_exists(jm) or psutil.Process(jm).status() == psutil.STATUS_ZOMBIE, 10,
               message="the killed JobManager to be gone")
    assert env.pyflink("cluster", "stop", timeout=60).returncode == 0
    wait_until(lambda: not env.processes(), 15, message="the rest of the cluster to stop")
    env.pyflink("cluster", "start", check=True)
    assert _snapshot(env, jid) == before
    wait_idle(env)


def test_job_store_keeps_at_most_max_capacity(cluster: ClusterEnv, tmp_path: Path):
    env = cluster
    job_file = write_job(tmp_path, "tiny.py", TINY_JOB)
    ids = []
    for i in range(CAPACITY + 1):
        run = env.pyflink("run", str(job_file), f"tiny-{i}", timeout=60)
        assert run.returncode == 0, describe(run)
        ids.append(submitted_job_id(run))
    for jid in ids[1:]:
        wait_job_state(env, jid, "FINISHED", timeout=30)
    overview = rest_get(env, "/jobs/overview")["jobs"]  # type: ignore[index]
    kept = [j["jid"] for j in overview if j["state"] in ("FINISHED", "CANCELED", "FAILED")]
    # the newest max-capacity jobs stay; the oldest (and everything before it) went
    assert sorted(kept) == sorted(ids[1:]), (kept, ids)
    status, body = rest_call(env, "GET", f"/jobs/{ids[0]}")
    assert status == 404 and "errors" in body, body  # type: ignore[operator]
    assert rest_get(env, f"/jobs/{ids[-1]}")["state"] == "FINISHED"  # type: ignore[index]
    store = env.root / "ha" / "execution-graph-store"
    assert sorted(p.stem for p in store.glob("*.graph")) == sorted(ids[1:])
