"""Exactly-once fault tolerance on real clusters (issue 9): TaskManagers killed with -9 at
random moments under a p=2 keyed job with event-time windows, timers and a FileSink; the
JobManager killed and restarted; restart strategies giving up; a checkpoint that times out;
a corrupt ``_metadata`` falling back to the checkpoint before. Every outcome is compared with
results computed independently (tests/ft_jobs.py)."""
from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import psutil
import pytest
from conftest import ClusterEnv, wait_until, write_job
from ft_jobs import EXACTLY_ONCE_JOB, committed_lines, diff, expected_lines
from helpers_cli import describe, job_state, pid_file_entries, read_logs, submitted_job_id

CHECKPOINTING = ("-D", "execution.checkpointing.interval=150ms", "-D", "execution.batch-size=200",
                 "-D", "restart-strategy.type=fixed-delay",
                 "-D", "restart-strategy.fixed-delay.attempts=20", "-D", "restart-strategy.fixed-delay.delay=0")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _taskmanagers(env: ClusterEnv) -> list[int]:
    return [pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid") if _alive(pid)]


def _completed_checkpoints(env: ClusterEnv, jid: str) -> list[int]:
    d = env.root / "ha" / "completed-checkpoints" / jid
    return sorted(int(p.name[4:-5]) for p in d.glob("chk-*.json")) if d.is_dir() else []


def _submit(env: ClusterEnv, tmp_path: Path, n: int, out: Path, *extra: str) -> str:
    job = write_job(tmp_path, "exactly_once.py", EXACTLY_ONCE_JOB)
    proc = env.pyflink("run", "-d", "-p", "2", *CHECKPOINTING, *extra, str(job), str(n), str(out), "4", timeout=60)
    assert proc.returncode == 0, describe(proc) + read_logs(env)
    return submitted_job_id(proc)


def _jm_log(env: ClusterEnv) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted((env.root / "log").glob("pyflink-jobmanager*.log")))


def _switches(env: ClusterEnv, jid: str, state: str) -> int:
    return _jm_log(env).count(f"job {jid} (exactly-once) switched to {state}")


def test_taskmanagers_killed_three_times_lose_and_duplicate_nothing(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    n = 30_000
    out = tmp_path / "out"
    jid = _submit(env, tmp_path, n, out)
    rng = random.Random(int(time.time()))
    for kill in range(3):
        # running (again), with a checkpoint taken in this run: then a random moment
        wait_until(lambda: _switches(env, jid, "RUNNING") > kill or _switches(env, jid, "FINISHED"), 30,
                   interval=0.01, message="the job to run")
        assert not _switches(env, jid, "FINISHED"), f"the job finished after {kill} kill(s); make it longer"
        before = max(_completed_checkpoints(env, jid), default=0)
        wait_until(lambda: max(_completed_checkpoints(env, jid), default=0) > before, 20, interval=0.01,
                   message="a checkpoint after the restart")
        deadline = time.monotonic() + rng.uniform(0.05, 0.6)   # a random moment, not synchronisation
        while time.monotonic() < deadline:
            time.sleep(0.01)
        victims = _taskmanagers(env)
        assert len(victims) == 2, victims
        os.kill(rng.choice(victims), signal.SIGKILL)
        wait_until(lambda: _switches(env, jid, "RESTARTING") > kill, 10, interval=0.005,
                   message="the failure to be noticed")
    wait_until(lambda: job_state(env, jid) in ("FINISHED", "FAILED"), 90, interval=0.05,
               message="the job to finish")
    assert job_state(env, jid) == "FINISHED", read_logs(env)
    got, want = committed_lines(out), expected_lines(n)
    assert got == want, diff(got, want)
    assert _jm_log(env).count(f"job {jid} restores from checkpoint") >= 3


def test_jobmanager_killed_and_restarted_resumes_from_the_latest_checkpoint(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    n = 6_000
    out = tmp_path / "out"
    jid = _submit(env, tmp_path, n, out)
    wait_until(lambda: max(_completed_checkpoints(env, jid), default=0) >= 2, 30, interval=0.02,
               message="two checkpoints")
    [(_, jm)] = pid_file_entries(env, "pyflink-jobmanager*.pid")
    os.kill(jm, signal.SIGKILL)
    wait_until(lambda: not _alive(jm) and not _taskmanagers(env), 10, interval=0.02,
               message="the JobManager and its TaskManagers to be gone")
    restart = env.pyflink("cluster", "start")
    assert restart.returncode == 0, describe(restart)
    wait_until(lambda: job_state(env, jid) == "FINISHED", 60, interval=0.05, message="the recovered job to finish")
    got, want = committed_lines(out), expected_lines(n)
    assert got == want, diff(got, want)
    text = "".join(p.read_text() for p in (env.root / "log").glob("pyflink-jobmanager*.log"))
    assert f"job {jid} restores from checkpoint" in text


@pytest.mark.parametrize("strategy,flags,restarts", [
    ("fixed-delay", ("-D", "restart-strategy.fixed-delay.attempts=2", "-D", "restart-strategy.fixed-delay.delay=300ms"), 2),
    ("failure-rate", ("-D", "restart-strategy.failure-rate.max-failures-per-interval=3",
                      "-D", "restart-strategy.failure-rate.failure-rate-interval=1min",
                      "-D", "restart-strategy.failure-rate.delay=300ms"), 3),
    ("none", (), 0),
])
def test_restart_strategies_count_and_delay_then_give_up(running_cluster: ClusterEnv, tmp_path, strategy, flags,
                                                         restarts):
    env = running_cluster
    job = write_job(tmp_path, "always_fails.py", '''\
from runtime.datastream import StreamExecutionEnvironment
def boom(x):
    if x == 5:
        raise RuntimeError("record 5 always fails")
    return x
env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection(list(range(10))).map(boom).print()
env.execute("always-fails")
''')
    start = time.monotonic()
    proc = env.pyflink("run", "-D", f"restart-strategy.type={strategy}", *flags, str(job), timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, describe(proc)
    assert "record 5 always fails" in proc.stderr
    text = "".join(p.read_text() for p in (env.root / "log").glob("pyflink-jobmanager*.log"))
    assert text.count("switched to RESTARTING") == restarts, text[-2000:]
    if restarts:
        assert f"gave up after {restarts} restart(s)" in proc.stderr, proc.stderr
        assert elapsed >= restarts * 0.3, f"{restarts} restarts 300 ms apart took only {elapsed:.2f} s"


def test_checkpoint_that_times_out_is_aborted_and_counted(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    job = write_job(tmp_path, "slow_snapshot.py", '''\
import time
from runtime.datastream import SinkFunction, SourceFunction, StreamExecutionEnvironment
from runtime.common import Types
from runtime.datastream.state import ListStateDescriptor

class Ticks(SourceFunction):
    def __init__(self):
        self.running = True
    def run(self, ctx):
        i = 0
        while self.running:
            ctx.collect(i)
            i += 1
            time.sleep(0.01)
    def cancel(self):
        self.running = False

class SlowSnapshots(SinkFunction):
    def invoke(self, value, context):
        pass
    def initialize_state(self, context):
        self.store = context.get_operator_state_store().get_list_state(ListStateDescriptor("seen", Types.LONG()))
    def snapshot_state(self, context):
        time.sleep(1.0)   # longer than execution.checkpointing.timeout

env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(Ticks()).add_sink(SlowSnapshots())
env.execute("slow-snapshots")
''')
    proc = env.pyflink("run", "-d", "-D", "execution.checkpointing.interval=200ms",
                       "-D", "execution.checkpointing.timeout=300ms",
                       "-D", "execution.checkpointing.tolerable-failed-checkpoints=100", str(job))
    assert proc.returncode == 0, describe(proc)
    jid = submitted_job_id(proc)

    def aborted() -> int:
        text = "".join(p.read_text() for p in (env.root / "log").glob("pyflink-jobmanager*.log"))
        return text.count("expired after 0.3 s (execution.checkpointing.timeout)")
    wait_until(lambda: aborted() >= 2, 20, interval=0.05, message="checkpoints to expire")
    assert job_state(env, jid) == "RUNNING"      # tolerated: the job goes on
    assert not _completed_checkpoints(env, jid)
    cancel = env.pyflink("cancel", jid)
    assert cancel.returncode == 0, describe(cancel)


def test_corrupt_metadata_falls_back_to_the_checkpoint_before(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    job = write_job(tmp_path, "sums.py", '''\
import sys, time
from runtime.common import WatermarkStrategy
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.connectors.number_seq import NumberSequenceSource

def slow(n):
    if n % 20 == 0:
        time.sleep(0.002)
    return (n % 3, n)

env = StreamExecutionEnvironment.get_execution_environment()
env.from_source(NumberSequenceSource(0, int(sys.argv[1]) - 1), WatermarkStrategy.no_watermarks(), "n").map(slow) \\
    .key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])).filter(lambda t: t[1] > 0).print()
env.execute("sums")
''')
    n = 30_000
    proc = env.pyflink("run", "-d", "-D", "execution.checkpointing.interval=150ms",
                       "-D", "execution.checkpointing.num-retained=3", str(job), str(n))
    assert proc.returncode == 0, describe(proc)
    jid = submitted_job_id(proc)
    wait_until(lambda: len(_completed_checkpoints(env, jid)) >= 3, 30, interval=0.02, message="three checkpoints")
    [(_, jm)] = pid_file_entries(env, "pyflink-jobmanager*.pid")
    os.kill(jm, signal.SIGSTOP)     # freeze, so the retained checkpoints stay as they are
    latest = _completed_checkpoints(env, jid)[-1]
    pointer = json.loads((env.root / "ha" / "completed-checkpoints" / jid / f"chk-{latest}.json").read_text())
    metadata = Path(pointer["location"]) / "_metadata"
    metadata.write_bytes(b"\x00 not json")
    os.kill(jm, signal.SIGKILL)
    wait_until(lambda: not _alive(jm) and not _taskmanagers(env), 10, interval=0.02, message="the old cluster gone")
    assert env.pyflink("cluster", "start").returncode == 0
    wait_until(lambda: job_state(env, jid) == "FINISHED", 60, interval=0.05, message="the recovered job to finish")
    text = "".join(p.read_text() for p in (env.root / "log").glob("pyflink-jobmanager*.log"))
    assert f"checkpoint {latest} of job {jid} cannot be restored: {metadata} is unreadable" in text, text[-3000:]
    assert f"job {jid} restores from checkpoint {latest - 1}" in text


def _stop_with_savepoint(env: ClusterEnv, jid: str, target: Path) -> str:
    stop = env.pyflink("stop", "--json", "-p", str(target), jid, timeout=60)
    assert stop.returncode == 0, describe(stop) + read_logs(env)
    path = json.loads(stop.stdout)["savepoint"]
    assert (Path(path) / "_metadata").is_file(), path
    wait_until(lambda: job_state(env, jid) == "FINISHED", 20, interval=0.05, message="the stopped job to finish")
    return path


def test_savepoint_stop_and_resume_at_parallelism_2_4_1_gives_the_uninterrupted_output(cluster_env: ClusterEnv,
                                                                                        tmp_path):
    env = cluster_env
    env.write_conf(**{"taskmanager.numberOfTaskSlots": 2})
    assert env.pyflink("cluster", "start").returncode == 0
    try:
        n = 24_000
        out = tmp_path / "out"
        job = write_job(tmp_path, "exactly_once.py", EXACTLY_ONCE_JOB)
        savepoints = tmp_path / "savepoints"
        restore: list[str] = []
        for parallelism, last in ((2, False), (4, False), (1, True)):
            args = ["run", "-p", str(parallelism), *CHECKPOINTING, *restore]
            if not last:
                args.append("-d")
            proc = env.pyflink(*args, str(job), str(n), str(out), "4", timeout=120)
            assert proc.returncode == 0, describe(proc) + read_logs(env)
            if last:
                break
            jid = submitted_job_id(proc)
            wait_until(lambda: len(_completed_checkpoints(env, jid)) >= 1, 30, interval=0.02,  # noqa: B023
                       message="some progress")
            path = _stop_with_savepoint(env, jid, savepoints)
            restore = ["-s", path]
        got, want = committed_lines(out), expected_lines(n)
        assert got == want, diff(got, want)
        text = "".join(p.read_text() for p in (env.root / "log").glob("pyflink-jobmanager*.log"))
        assert text.count("restores from savepoint") == 2, text[-2000:]
    finally:
        env.pyflink("cluster", "stop")


def test_restore_refuses_state_of_unknown_operators_unless_allowed(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    out = tmp_path / "out"
    job = write_job(tmp_path, "exactly_once.py", EXACTLY_ONCE_JOB)
    proc = env.pyflink("run", "-d", "-p", "2", *CHECKPOINTING, str(job), "20000", str(out), "4")
    assert proc.returncode == 0, describe(proc)
    jid = submitted_job_id(proc)
    wait_until(lambda: len(_completed_checkpoints(env, jid)) >= 1, 30, interval=0.02, message="some progress")
    path = _stop_with_savepoint(env, jid, tmp_path / "sp")
    other = write_job(tmp_path, "other.py", EXACTLY_ONCE_JOB.replace('.uid("seconds")', '.uid("renamed")'))
    refused = env.pyflink("run", "-p", "2", "-s", path, str(other), "20000", str(tmp_path / "out2"), "4")
    assert refused.returncode == 1, describe(refused)
    assert "uid seconds" in refused.stderr and "allowNonRestoredState" in refused.stderr, refused.stderr
    allowed = env.pyflink("run", "-p", "2", "-s", path, "-n", str(other), "20000", str(tmp_path / "out3"), "4",
                          timeout=120)
    assert allowed.returncode == 0, describe(allowed)


def _rest(env: ClusterEnv, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    import urllib.error
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{env.rest_port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json", **env.rest_headers()})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_rest_checkpoint_statistics_savepoint_and_stop(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    jid = _submit(env, tmp_path, 30_000, tmp_path / "out")
    wait_until(lambda: _rest(env, "GET", f"/jobs/{jid}/checkpoints")[1].get("counts", {}).get("completed", 0) >= 2,
               30, interval=0.05, message="two completed checkpoints in the statistics")
    status, stats = _rest(env, "GET", f"/jobs/{jid}/checkpoints")
    assert status == 200
    assert set(stats) == {"counts", "summary", "latest", "history"}
    assert set(stats["counts"]) == {"restored", "total", "in_progress", "completed", "failed"}
    latest = stats["latest"]["completed"]
    assert latest["status"] == "COMPLETED" and latest["external_path"].endswith(f"chk-{latest['id']}")
    assert {"id", "trigger_timestamp", "latest_ack_timestamp", "state_size", "end_to_end_duration",
            "num_subtasks", "num_acknowledged_subtasks", "external_path", "is_savepoint"} <= set(latest)

    status, trigger = _rest(env, "POST", f"/jobs/{jid}/savepoints", {"target-directory": str(tmp_path / "sp")})
    assert status == 202 and "request-id" in trigger

    def done(request_id: str) -> dict | None:
        s, body = _rest(env, "GET", f"/jobs/{jid}/savepoints/{request_id}")
        assert s == 200, body
        return body if body["status"]["id"] == "COMPLETED" else None
    result = wait_until(lambda: done(trigger["request-id"]), 30, interval=0.05, message="the savepoint")
    location = result["operation"]["location"]
    assert (Path(location) / "_metadata").is_file()
    assert job_state(env, jid) == "RUNNING"

    status, trigger = _rest(env, "POST", f"/jobs/{jid}/stop", {"targetDirectory": str(tmp_path / "sp"),
                                                               "drain": False})
    assert status == 202
    result = wait_until(lambda: done(trigger["request-id"]), 60, interval=0.05, message="stop-with-savepoint")
    assert (Path(result["operation"]["location"]) / "_metadata").is_file()
    wait_until(lambda: job_state(env, jid) == "FINISHED", 30, interval=0.05, message="the stopped job")
    assert _rest(env, "POST", f"/jobs/{'0' * 32}/savepoints", {})[0] == 404
    assert _rest(env, "POST", f"/jobs/{jid}/stop", {"drain": "yes"})[0] == 400


LOCK_HOLDING_SOURCE = '''\
from runtime.common import Types
from runtime.datastream import SourceFunction, StreamExecutionEnvironment
from runtime.datastream.state import ListStateDescriptor

class Bursts(SourceFunction):
    """Flink's pattern: position and records updated together under the checkpoint lock,
    here for bursts of 5000 records (more than the hand-over queue holds)."""
    def __init__(self):
        self.running = True
    def initialize_state(self, context):
        self.state = context.get_operator_state_store().get_list_state(ListStateDescriptor("next", Types.LONG()))
        self.next = max(self.state.get(), default=0)
    def snapshot_state(self, context):
        self.state.update([self.next])
    def run(self, ctx):
        while self.running and self.next < 60000:
            with ctx.get_checkpoint_lock():
                for i in range(self.next, self.next + 5000):
                    ctx.collect(i)
                self.next += 5000
    def cancel(self):
        self.running = False

env = StreamExecutionEnvironment.get_execution_environment()
env.enable_checkpointing(50)
env.add_source(Bursts(), "Bursts", Types.LONG()).map(lambda v: 1).key_by(lambda v: 0).sum(0).print()
env.execute("lock-holding-source")
'''


def test_a_source_holding_the_checkpoint_lock_across_collects_is_checkpointed(cluster_env: ClusterEnv, tmp_path):
    job = write_job(tmp_path, "bursts.py", LOCK_HOLDING_SOURCE)
    proc = cluster_env.pyflink("run", "-t", "local", str(job), timeout=60)
    assert proc.returncode == 0, describe(proc)
    counts = [int(line.rsplit(">", 1)[-1].strip()) for line in proc.stdout.splitlines() if line.strip()[-1:].isdigit()]
    assert counts and max(counts) == 60000, proc.stdout[-500:]
