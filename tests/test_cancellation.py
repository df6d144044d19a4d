"""Cancellation always completes, and a cancelled job never comes back (issue 8), on real
clusters through the CLI: a map sleeping per record, a map spinning in Python, a map stuck in
one long C call (its TaskManager cannot run any Python code), a source that ignores
``cancel()``; cancel then ``cluster stop`` / ``cluster start``; a JobManager killed with -9
under a running job; ``run -t local`` with a cluster's HA directory in the configuration."""
from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest
from cancellation_jobs import C_CALL_MAP, SLEEPING_MAP, SPINNING_MAP, STUBBORN_SOURCE
from conftest import ClusterEnv, wait_until, write_job
from helpers_cli import describe, job_state, jobs_json, pid_file_entries, read_logs, status_json, submitted_job_id

SLOW_SOURCE_JOB = '''\
import time
from runtime.datastream import SourceFunction, StreamExecutionEnvironment

class Ticks(SourceFunction):
    def __init__(self):
        self.running = True

    def run(self, ctx):
        i = 0
        while self.running:
            ctx.collect(i)
            i += 1
            time.sleep(0.05)

    def cancel(self):
        self.running = False

env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(Ticks()).map(lambda x: x + 1).print()
env.execute("ticks")
'''


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start_detached(env: ClusterEnv, tmp_path, name: str, source: str) -> str:
    job = write_job(tmp_path, name, source)
    proc = env.pyflink("run", "-d", str(job), timeout=30)
    assert proc.returncode == 0, describe(proc) + "\n" + read_logs(env)
    jid = submitted_job_id(proc)
    wait_until(lambda: job_state(env, jid) == "RUNNING", 15, interval=0.05, message=f"{name} to run")
    return jid


def _cancel(env: ClusterEnv, jid: str, timeout: float = 60.0) -> tuple[dict, float]:
    start = time.monotonic()
    proc = env.pyflink("cancel", "--json", jid, timeout=timeout)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, describe(proc) + "\n" + read_logs(env)
    return json.loads(proc.stdout), elapsed


def _taskmanager_pids(env: ClusterEnv) -> set[int]:
    return {pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid") if _alive(pid)}


def test_cancel_interrupts_a_sleeping_map_and_a_python_spin(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    tms = _taskmanager_pids(env)
    for name, source in (("sleeping.py", SLEEPING_MAP), ("spinning.py", SPINNING_MAP)):
        jid = _start_detached(env, tmp_path, name, source)
        outcome, elapsed = _cancel(env, jid)
        assert outcome["state"] == "CANCELED" and not outcome["timed_out"], outcome
        # interrupted in the task thread: no 1000-record batch to finish, no TaskManager lost
        assert outcome["seconds"] < 5, outcome
        assert job_state(env, jid) == "CANCELED"
    assert _taskmanager_pids(env) == tms, "cancelling killed a TaskManager although its tasks stopped"
    wait_until(lambda: status_json(env)["slots-available"] == 2, 10, message="both slots free again")


def test_cancel_of_a_stuck_c_call_ends_the_taskmanager_which_is_replaced(cluster_env: ClusterEnv, tmp_path):
    env = cluster_env
    env.write_conf(**{"task.cancellation.timeout": 1000, "heartbeat.timeout": 30000})
    assert env.pyflink("cluster", "start").returncode == 0
    try:
        before = _taskmanager_pids(env)
        jid = _start_detached(env, tmp_path, "c_call.py", C_CALL_MAP)
        outcome, _ = _cancel(env, jid)
        assert outcome["state"] == "CANCELED", outcome
        # the TaskManager whose interpreter is held cannot act; its JobManager ends it after
        # task.cancellation.timeout (+ a margin) instead of waiting for the heartbeat timeout
        assert outcome["seconds"] < 10, outcome
        wait_until(lambda: status_json(env)["taskmanagers"] == 2 and status_json(env)["slots-available"] == 2,
                   20, interval=0.05, message="the stuck TaskManager to be replaced")
        after = _taskmanager_pids(env)
        assert len(after) == 2 and len(before - after) == 1, (before, after)
    finally:
        env.pyflink("cluster", "stop")


def test_source_ignoring_cancel_is_stopped_with_bounded_memory(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    jid = _start_detached(env, tmp_path, "stubborn.py", STUBBORN_SOURCE)
    outcome, _ = _cancel(env, jid)
    assert outcome["state"] == "CANCELED" and outcome["seconds"] < 5, outcome
    procs = [psutil.Process(pid) for pid in _taskmanager_pids(env)]
    assert len(procs) == 2
    rss = [p.memory_info().rss for p in procs]
    cpu_start = [p.cpu_times() for p in procs]
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # observe for 2 s (no condition to wait for: nothing may change)
        time.sleep(0.2)
        for p, r in zip(procs, rss):
            grown = p.memory_info().rss - r
            assert grown < 20 * 1024 * 1024, f"TaskManager {p.pid} grew by {grown >> 20} MB after the cancel"
    busy = [sum(p.cpu_times()[:2]) - sum(c[:2]) for p, c in zip(procs, cpu_start)]
    assert max(busy) < 1.0, f"a source thread kept running after the cancel (CPU s in 2 s: {busy})"


def test_cancelled_job_is_not_run_again_after_cluster_stop_and_start(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    jid = _start_detached(env, tmp_path, "ticks.py", SLOW_SOURCE_JOB)
    outcome, _ = _cancel(env, jid)
    assert outcome["state"] == "CANCELED", outcome
    other = _start_detached(env, tmp_path, "ticks2.py", SLOW_SOURCE_JOB)
    # cluster stop ends the running job for good too (not a suspend)
    assert env.pyflink("cluster", "stop").returncode == 0
    assert not (env.root / "ha" / "jobgraphs" / other).exists()
    restart = env.pyflink("cluster", "start")
    assert restart.returncode == 0, describe(restart)
    jobs = {j["jid"]: j["state"] for j in jobs_json(env, "-a")}
    assert jobs.get(jid) == "CANCELED" and jobs.get(other) == "CANCELED", jobs
    assert not [j for j in jobs_json(env) if j["state"] not in ("CANCELED", "FINISHED", "FAILED")]


def test_jobmanager_kill_leaves_no_orphans(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    jid = _start_detached(env, tmp_path, "spinning.py", SPINNING_MAP)
    old_tms = _taskmanager_pids(env)
    [(_, jm)] = pid_file_entries(env, "pyflink-jobmanager*.pid")
    os.kill(jm, signal.SIGKILL)
    # forked TaskManagers notice their JobManager is gone, cancel their tasks and exit
    wait_until(lambda: not any(_alive(pid) for pid in old_tms), 10, interval=0.05,
               message="the orphaned TaskManagers to exit")
    restart = env.pyflink("cluster", "start")
    assert restart.returncode == 0, describe(restart) + "\n" + read_logs(env)
    overview = status_json(env)
    assert overview["taskmanagers"] == 2, overview
    new_tms = _taskmanager_pids(env)
    assert len(new_tms) == 2 and not (new_tms & old_tms), (old_tms, new_tms)
    # a crash is not a cancel: the job is recovered (and runs on the new TaskManagers only)
    wait_until(lambda: job_state(env, jid) == "RUNNING", 15, interval=0.05, message="the job to be recovered")
    outcome, _ = _cancel(env, jid)
    assert outcome["state"] == "CANCELED"


@pytest.mark.parametrize("target", ["local"])
def test_run_local_ignores_the_clusters_stores(cluster_env: ClusterEnv, tmp_path, target):
    env = cluster_env
    job = write_job(tmp_path, "local_job.py", '''\
from runtime.datastream import StreamExecutionEnvironment
env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection([1, 2, 3]).map(lambda x: x * 10).print()
env.execute("local-numbers")
''')
    # a job graph the cluster left to recover: an embedded run must not pick it up
    stale = env.root / "ha" / "jobgraphs"
    stale.mkdir(parents=True)
    (stale / ("e" * 32)).write_bytes(b"\x80not a job graph")
    proc = env.pyflink("run", "-t", target, str(job), timeout=60)
    assert proc.returncode == 0, describe(proc)
    printed = sorted(int(line) for line in proc.stdout.splitlines() if line.strip().isdigit())
    assert printed == [10, 20, 30], proc.stdout
    assert sorted(p.name for p in stale.iterdir()) == ["e" * 32], "the embedded run touched the cluster's store"
    assert not (env.root / "ha" / "job-results").exists() or not list((env.root / "ha" / "job-results").iterdir())
