"""Integration tests of the `pyflink` CLI against real cluster processes: cluster start/status/
stop, attached and detached runs, list/cancel, user errors, the embedded mini cluster and
configuration errors. Failure scenarios (killed/hung processes, TaskManager churn) are in
test_cluster_failures.py.

Tests that only need *a* healthy cluster share one (module scope, `shared_cluster`); each
of them waits for the cluster to be idle first and leaves it idle.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid

import pytest
from conftest import ClusterEnv, free_port, wait_until, write_job
from helpers_cli import (
    FAILING_JOB,
    FAILING_MESSAGE,
    JOB_FIELDS,
    STATUS_FIELDS,
    UNBOUNDED_JOB,
    UNBOUNDED_JOB_NAME,
    WORD_COUNT,
    assert_one_line_error,
    assert_word_counts,
    describe,
    jobs_json,
    pid_file_entries,
    read_logs,
    status_json,
    submitted_job_id,
    timed,
    wait_idle,
    wait_job_state,
)


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    """One started 2 x 1-slot cluster for the tests that only need a healthy cluster."""
    env = ClusterEnv(tmp_path_factory.mktemp("shared"), free_port(), free_port())
    env.write_conf()
    try:
        env.pyflink("cluster", "start", check=True)
        yield env
    finally:
        env.pyflink("cluster", "stop")
        try:
            wait_until(lambda: not env.processes(), 15, message="shared cluster processes to exit")
        finally:
            leftovers = env.processes()
            env.kill_all()
            assert not leftovers, f"processes left behind: {[p.pid for p in leftovers]}"


# ---------------------------------------------------------------------------------- 1 + 9
def test_cluster_start_status_and_stop(cluster_env: ClusterEnv):
    env = cluster_env
    start = env.pyflink("cluster", "start")
    try:
        assert start.returncode == 0, describe(start) + "\n" + read_logs(env)
        out = start.stdout
        assert f"localhost:{env.rpc_port}" in out, f"JobManager address missing:\n{out}"
        assert re.search(r"TaskManagers\W+2\b", out), f"TaskManager count missing:\n{out}"
        assert re.search(r"\b2 slots?\b", out), f"slot count missing:\n{out}"
        assert str(env.root / "log") in out, f"log dir missing:\n{out}"

        # pid files: one JobManager, two TaskManagers, every pid one of our live processes
        jm = pid_file_entries(env, "pyflink-jobmanager*.pid")
        tms = pid_file_entries(env, "pyflink-taskmanager-*.pid")
        assert len(jm) == 1 and len(tms) == 2, [p.name for p in env.pid_files()]
        live = {p.pid for p in env.processes()}
        recorded = {pid for _, pid in jm + tms}
        assert recorded == live, f"pid files {recorded} vs live cluster processes {live}"

        logs = env.root / "log"
        for role in ("jobmanager", "taskmanager"):
            for suffix in ("log", "out"):
                assert list(logs.glob(f"pyflink-{role}*.{suffix}")), \
                    f"no {role} *.{suffix} in {logs}: {sorted(p.name for p in logs.iterdir())}"

        # a second start with the same configuration refuses, and starts nothing
        again = env.pyflink("cluster", "start")
        assert_one_line_error(again, "already")
        assert {p.pid for p in env.processes()} == live, "a refused second start changed the processes"

        # status: human and JSON
        status = env.pyflink("cluster", "status")
        assert status.returncode == 0, describe(status)
        assert re.search(r"\b2 TaskManager", status.stdout), status.stdout
        for _, pid in tms:
            assert str(pid) in status.stdout, f"TaskManager pid {pid} not in status:\n{status.stdout}"
        overview = status_json(env)
        assert {k: overview.get(k) for k in STATUS_FIELDS} == {
            "taskmanagers": 2, "slots-total": 2, "slots-available": 2, "jobs-running": 0,
            "jobs-finished": 0, "jobs-cancelled": 0, "jobs-failed": 0}, overview

        # 9: stop leaves no process and no pid file
        stop = env.pyflink("cluster", "stop")
        assert stop.returncode == 0, describe(stop)
        assert not env.processes(), f"left after cluster stop: {[p.pid for p in env.processes()]}"
        assert not env.pid_files(), f"pid files left: {env.pid_files()}"
    finally:
        env.pyflink("cluster", "stop")


# ---------------------------------------------------------------------------------- 2
def test_attached_word_count_prints_true_counts(shared_cluster: ClusterEnv):
    env = shared_cluster
    wait_idle(env)
    proc = env.pyflink("run", str(WORD_COUNT))
    assert proc.returncode == 0, describe(proc) + "\n" + read_logs(env)
    records = assert_word_counts(proc.stdout)
    assert all(prefix is None for prefix, _, _ in records), "parallelism 1 output must not carry N> prefixes"
    jid = submitted_job_id(proc)
    result_lines = [line for line in proc.stdout.splitlines() if jid in line and "FINISHED" in line]
    assert result_lines, f"no line with the job id and FINISHED:\n{proc.stdout}"
    assert re.search(r"[Rr]untime\D*\d+", proc.stdout), f"no runtime reported:\n{proc.stdout}"
    assert {j["jid"]: j["state"] for j in jobs_json(env, "-a")}.get(jid) == "FINISHED"

    # parallelism 2: every record carries its subtask's prefix, both subtasks print, each word
    # (a key) stays on one subtask, and the counts are still right
    proc2 = env.pyflink("run", "-p", "2", str(WORD_COUNT))
    assert proc2.returncode == 0, describe(proc2) + "\n" + read_logs(env)
    records2 = assert_word_counts(proc2.stdout, prefixed=True)
    assert {prefix for prefix, _, _ in records2} == {"1", "2"}, sorted({r[0] for r in records2})
    owners: dict[str, set] = {}
    for prefix, word, _ in records2:
        owners.setdefault(word, set()).add(prefix)
    split = {w: p for w, p in owners.items() if len(p) > 1}
    assert not split, f"keys printed by more than one subtask: {split}"
    jid2 = submitted_job_id(proc2)
    assert any(jid2 in line and "FINISHED" in line for line in proc2.stdout.splitlines()), proc2.stdout
    wait_idle(env)


# ---------------------------------------------------------------------------------- 3
def test_detached_run_list_and_cancel_by_prefix(shared_cluster: ClusterEnv, tmp_path):
    env = shared_cluster
    total_slots = wait_idle(env)["slots-total"]
    job = write_job(tmp_path, "endless_job.py", UNBOUNDED_JOB)
    proc, elapsed = timed(env, "run", "-d", str(job), timeout=30)
    jid = None
    try:
        assert proc.returncode == 0, describe(proc) + "\n" + read_logs(env)
        jid = submitted_job_id(proc)
        assert elapsed < 10, f"run -d took {elapsed:.1f}s for an unbounded job"
        wait_job_state(env, jid, "RUNNING")

        listed = env.pyflink("list")
        assert listed.returncode == 0, describe(listed)
        row = [line for line in listed.stdout.splitlines() if jid in line]
        assert row and "RUNNING" in row[0], f"job {jid} not listed as RUNNING:\n{listed.stdout}"

        jobs = jobs_json(env)
        mine = [j for j in jobs if j["jid"] == jid]
        assert len(mine) == 1, jobs
        entry = mine[0]
        assert set(JOB_FIELDS) <= set(entry), f"missing fields {set(JOB_FIELDS) - set(entry)} in {entry}"
        assert entry["name"] == UNBOUNDED_JOB_NAME and entry["state"] == "RUNNING", entry
        assert isinstance(entry["start-time"], int) and entry["start-time"] > 0, entry
        assert isinstance(entry["duration"], int) and entry["duration"] >= 0, entry
        assert not (isinstance(entry["end-time"], int) and entry["end-time"] >= entry["start-time"]), \
            f"a running job has an end time: {entry}"
        assert abs(entry["start-time"] / 1000 - time.time()) < 120, f"start-time is not epoch ms: {entry}"

        running = status_json(env)
        assert running["jobs-running"] == 1 and running["slots-available"] == total_slots - 1, running

        cancel = env.pyflink("cancel", jid[:6])
        assert cancel.returncode == 0, describe(cancel)
        wait_job_state(env, jid, "CANCELED")
        wait_until(lambda: status_json(env)["slots-available"] == total_slots, 10, interval=0.05,
                   message="slots to be free after cancel")
        assert jid not in env.pyflink("list").stdout, "a cancelled job is still listed without -a"
        all_jobs = env.pyflink("list", "-a")
        assert any(jid in line and "CANCELED" in line for line in all_jobs.stdout.splitlines()), all_jobs.stdout
        jid = None  # cancelled, nothing to clean up
    finally:
        if jid is not None:
            env.pyflink("cancel", jid)

    # cancel errors: one line, exit 1, no traceback
    known = {j["jid"] for j in jobs_json(env, "-a")}
    unknown = next(u for u in (uuid.uuid4().hex for _ in range(100)) if not any(k.startswith(u[:8]) for k in known))
    assert_one_line_error(env.pyflink("cancel", unknown), unknown)
    assert_one_line_error(env.pyflink("cancel", "not-a-job!"), "not-a-job!")
    wait_idle(env)


# ---------------------------------------------------------------------------------- 4
def test_failing_job_reports_user_error(shared_cluster: ClusterEnv, tmp_path):
    env = shared_cluster
    wait_idle(env)
    job = write_job(tmp_path, "failing_job.py", FAILING_JOB)
    raise_line = next(i for i, line in enumerate(FAILING_JOB.splitlines(), 1) if "raise ValueError" in line)
    proc = env.pyflink("run", str(job))
    assert proc.returncode == 1, describe(proc)
    assert "ValueError" in proc.stderr and FAILING_MESSAGE in proc.stderr, describe(proc)
    assert re.search(rf'File "[^"]*{re.escape(job.name)}", line {raise_line}\b', proc.stderr), \
        f"no traceback line naming {job.name}:{raise_line}:\n{proc.stderr}"
    jid = submitted_job_id(proc)
    wait_job_state(env, jid, "FAILED")
    listed = env.pyflink("list", "-a")
    assert any(jid in line and "FAILED" in line for line in listed.stdout.splitlines()), listed.stdout
    wait_idle(env)


# ---------------------------------------------------------------------------------- 5
def test_program_errors_are_one_clear_line(shared_cluster: ClusterEnv, tmp_path):
    env = shared_cluster
    wait_idle(env)
    before = {j["jid"] for j in jobs_json(env, "-a")}

    missing = tmp_path / "no_such_job.py"
    assert_one_line_error(env.pyflink("run", str(missing)), "no_such_job.py")

    broken = write_job(tmp_path, "broken_job.py", "def main(:\n    pass\n")
    line = assert_one_line_error(env.pyflink("run", str(broken)), "broken_job.py")
    assert "syntax" in line.lower(), line

    idle = write_job(tmp_path, "idle_job.py",
                     "from runtime.datastream import StreamExecutionEnvironment\n\n"
                     "env = StreamExecutionEnvironment.get_execution_environment()\n"
                     "env.from_collection([1, 2, 3]).print()\n")
    assert_one_line_error(env.pyflink("run", str(idle)), "execute")

    assert {j["jid"] for j in jobs_json(env, "-a")} == before, "an erroneous program submitted a job"


# ---------------------------------------------------------------------------------- 6
def test_not_enough_slots_fails_with_needed_and_available(shared_cluster: ClusterEnv):
    env = shared_cluster
    total = wait_idle(env)["slots-total"]
    assert total == 2
    proc, elapsed = timed(env, "run", "-p", "3", str(WORD_COUNT), timeout=30)
    assert proc.returncode == 1, describe(proc)
    assert elapsed < 10, f"took {elapsed:.1f}s with slot.request.timeout = 3 s"
    err = proc.stderr
    assert re.search(r"need\w*\D{0,20}\b3\b", err), f"needed slots (3) not named:\n{err}"
    assert re.search(r"\b2\b\D{0,30}available|available\D{0,30}\b2\b", err), f"available slots (2) not named:\n{err}"
    wait_idle(env)


# ---------------------------------------------------------------------------------- 8
def test_absent_jobmanager_reported_fast(cluster_env: ClusterEnv):
    env = cluster_env  # configured, never started: nothing listens on env.rpc_port
    address = f"localhost:{env.rpc_port}"
    for args in (("run", str(WORD_COUNT)), ("list",), ("cancel", "abc")):
        proc, elapsed = timed(env, *args, timeout=30)
        assert_one_line_error(proc, address, "pyflink cluster start")
        assert elapsed < 2.5, f"`pyflink {' '.join(args)}` took {elapsed:.1f}s to report an absent JobManager"
    assert not env.processes()


# ---------------------------------------------------------------------------------- 11
def _python_env() -> dict:
    return dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")


def test_embedded_runs_print_true_counts(cluster_env: ClusterEnv):
    env = cluster_env  # no cluster is started in this test
    proc = subprocess.run([sys.executable, str(WORD_COUNT)], capture_output=True, text=True, timeout=60,
                          cwd=env.root, env=_python_env())
    assert proc.returncode == 0, describe(proc)
    assert_word_counts(proc.stdout)

    local = env.pyflink("run", "--target", "local", str(WORD_COUNT))
    assert local.returncode == 0, describe(local)
    assert_word_counts(local.stdout)
    assert not env.processes(), "an embedded run started cluster processes"


# ---------------------------------------------------------------------------------- 12
def test_wrong_type_in_dynamic_option(cluster_env: ClusterEnv):
    env = cluster_env
    for args in (("cluster", "start"), ("list",), ("run", str(WORD_COUNT))):
        proc = env.pyflink(*args, "-D", "rest.port=abc")
        assert_one_line_error(proc, "rest.port", "abc", "integer")
    assert not env.processes(), "a command with an invalid option started processes"


def test_unknown_key_in_conf_file_warns_and_works(cluster_env: ClusterEnv):
    env = cluster_env
    conf_file = env.conf_dir / "flink-conf.toml"
    with conf_file.open("a") as f:
        f.write("no.such.option = 5\n")
    proc = env.pyflink("run", "--target", "local", str(WORD_COUNT))
    assert proc.returncode == 0, describe(proc)
    assert_word_counts(proc.stdout)
    warnings = [line for line in proc.stderr.splitlines() if "no.such.option" in line]
    assert warnings, f"no warning naming the unknown key:\n{proc.stderr}"
    assert str(conf_file) in warnings[0] or conf_file.name in warnings[0], warnings[0]
    assert "Traceback" not in proc.stderr
