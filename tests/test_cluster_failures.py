"""Integration tests of process failures and TaskManager churn on a real cluster: a TaskManager
killed under a running job, `cluster stop` after the JobManager was killed or hung, and
TaskManagers started/stopped by hand (and re-registering with a restarted JobManager)."""
from __future__ import annotations

import json
import os
import signal

import psutil
from conftest import ClusterEnv, wait_until, write_job
from helpers_cli import (
    UNBOUNDED_JOB,
    describe,
    pid_file_entries,
    read_logs,
    status_json,
    submitted_job_id,
    timed,
    wait_job_state,
)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# ---------------------------------------------------------------------------------- 7
def test_killed_taskmanager_fails_its_job_and_is_replaced(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    job = write_job(tmp_path, "endless_job.py", UNBOUNDED_JOB)
    proc = env.pyflink("run", "-d", "-p", "2", str(job), timeout=30)
    assert proc.returncode == 0, describe(proc) + "\n" + read_logs(env)
    jid = submitted_job_id(proc)
    wait_job_state(env, jid, "RUNNING")
    # -p 2 on 2 x 1 slot: the job holds a slot on every TaskManager, so whichever we kill runs it
    wait_until(lambda: status_json(env)["slots-available"] == 0, 10, interval=0.05,
               message="the job to occupy both slots")

    tms = pid_file_entries(env, "pyflink-taskmanager-*.pid")
    assert len(tms) == 2, tms
    victim = tms[0][1]
    assert _alive(victim)
    os.kill(victim, signal.SIGKILL)

    wait_job_state(env, jid, "FAILED", timeout=15)
    overview = status_json(env)
    assert overview["jobs-running"] == 0 and overview["jobs-failed"] >= 1, overview
    # the launcher replaces the dead forked TaskManager: the cluster is back to 2, with a new pid
    wait_until(lambda: status_json(env)["taskmanagers"] == 2 and status_json(env)["slots-available"] == 2, 15,
               interval=0.05, message="a replacement TaskManager to register")
    pids = {pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid") if _alive(pid)}
    assert victim not in pids and len(pids) == 2, pids


# ---------------------------------------------------------------------------------- 9
def test_stop_after_jobmanager_was_killed(running_cluster: ClusterEnv):
    env = running_cluster
    [(_, jm)] = pid_file_entries(env, "pyflink-jobmanager*.pid")
    tms = [pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid")]
    assert len(tms) == 2
    os.kill(jm, signal.SIGKILL)
    wait_until(lambda: not _alive(jm), 5, message="the killed JobManager to be gone")

    stop = env.pyflink("cluster", "stop", timeout=60)
    assert stop.returncode == 0, describe(stop)
    left = env.processes()
    assert not left, f"left after cluster stop: {[(p.pid, p.cmdline()[-4:]) for p in left]}"
    assert not any(_alive(pid) for pid in tms), "a TaskManager survived cluster stop"
    assert not env.pid_files(), f"pid files left: {env.pid_files()}"


def test_stop_with_hung_jobmanager(running_cluster: ClusterEnv):
    env = running_cluster
    [(_, jm)] = pid_file_entries(env, "pyflink-jobmanager*.pid")
    tms = [pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid")]
    os.kill(jm, signal.SIGSTOP)  # hung: its port still accepts connections, it answers nothing
    wait_until(lambda: psutil.Process(jm).status() == psutil.STATUS_STOPPED, 5, message="JobManager stopped")

    stop, elapsed = timed(env, "cluster", "stop", timeout=90)
    assert stop.returncode == 0, describe(stop)
    left = env.processes()
    assert not left, f"left after cluster stop: {[(p.pid, p.status()) for p in left]}"
    assert not _alive(jm), "the hung JobManager survived cluster stop"
    assert not any(_alive(pid) for pid in tms), "a TaskManager survived cluster stop"
    assert not env.pid_files(), f"pid files left: {env.pid_files()}"
    # cluster stop must feel instant (DESIGN 1); a hung JobManager is detected by its unanswered
    # shutdown request and killed, it should not cost half a minute of stacked timeouts
    assert elapsed < 15, f"cluster stop took {elapsed:.1f}s with a hung JobManager"


# ---------------------------------------------------------------------------------- 10
def test_manual_taskmanagers_join_leave_and_reregister(running_cluster: ClusterEnv):
    env = running_cluster
    forked = {pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid")}
    assert status_json(env)["taskmanagers"] == 2

    start = env.pyflink("taskmanager", "start")
    assert start.returncode == 0, describe(start)
    wait_until(lambda: status_json(env)["taskmanagers"] == 3, 10, interval=0.05, message="3 TaskManagers")
    manual = {pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid")} - forked
    assert len(manual) == 1, f"expected one new TaskManager pid file, got {manual}"
    [first] = manual
    assert _alive(first) and str(first) in start.stdout, describe(start)
    assert status_json(env)["slots-total"] == 3

    stop = env.pyflink("taskmanager", "stop")
    assert stop.returncode == 0, describe(stop)
    wait_until(lambda: status_json(env)["taskmanagers"] == 2, 10, interval=0.05, message="2 TaskManagers")
    assert not _alive(first), "the stopped TaskManager is still running"
    assert all(_alive(pid) for pid in forked), "taskmanager stop stopped a cluster-forked TaskManager"

    # a manually started TaskManager outlives the JobManager and re-registers with a new one
    start = env.pyflink("taskmanager", "start")
    assert start.returncode == 0, describe(start)
    wait_until(lambda: status_json(env)["taskmanagers"] == 3, 10, interval=0.05, message="3 TaskManagers")
    [second] = {pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid")} - forked
    jm_stop = env.pyflink("jobmanager", "stop")
    assert jm_stop.returncode == 0, describe(jm_stop)
    assert _alive(second), "the manually started TaskManager died with the JobManager"

    restart = env.pyflink("cluster", "start")
    assert restart.returncode == 0, describe(restart) + "\n" + read_logs(env)
    wait_until(lambda: status_json(env)["taskmanagers"] == 3, 15, interval=0.05,
               message="the surviving TaskManager to re-register")
    status = env.pyflink("cluster", "status")
    assert str(second) in status.stdout, f"re-registered TaskManager {second} not in status:\n{status.stdout}"


def test_killed_manual_taskmanager_is_removed_after_heartbeat_timeout(running_cluster: ClusterEnv):
    """A TaskManager the JobManager did not fork is only known through heartbeats: after a
    SIGKILL it disappears from the cluster once heartbeat.timeout (2 s here) has passed."""
    env = running_cluster
    assert env.pyflink("taskmanager", "start").returncode == 0
    wait_until(lambda: status_json(env)["taskmanagers"] == 3, 15, message="manual TaskManager registered")
    manual = [pid for path, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid")
              if not json.loads(path.read_text()).get("forked_by")]
    assert len(manual) == 1
    os.kill(manual[0], signal.SIGKILL)
    wait_until(lambda: not _alive(manual[0]), 10, message="manual TaskManager gone")
    # still listed right after the kill (no process exit to observe), gone after the timeout
    wait_until(lambda: status_json(env)["taskmanagers"] == 2, 15, message="TaskManager removed by heartbeat timeout")
    overview = status_json(env)
    assert overview["slots-total"] == 2
