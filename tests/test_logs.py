"""Observability of a real cluster: what the JobManager and TaskManagers log (submissions,
state changes with causes, cancels, restarts, checkpoints, deployments), size-based rollover
of the .log and .out files, each job's printed output kept per job on the TaskManagers
(`pyflink logs JOB [-f]`, `GET /jobs/<id>/output`), Flink's REST log paths, and the live
status an attached run shows on a terminal (and only there).

Most tests share one 2 x 2-slot cluster (module scope); each leaves it idle.
"""
from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ClusterEnv, free_port, wait_until, write_job
from helpers_cli import (
    FAILING_JOB,
    FAILING_MESSAGE,
    UNBOUNDED_JOB,
    WORD_COUNT,
    assert_one_line_error,
    describe,
    jobs_json,
    status_json,
    submitted_job_id,
    wait_idle,
    wait_job_state,
)
from helpers_pty import PtyCommand

#: a job that prints TAG-0 .. TAG-(N-1) once the file GATE exists (so tests can make jobs overlap),
#: then, given a file HOLD, runs on until that exists
GATED_JOB = '''\
import os
import sys
import time

from runtime.datastream import SourceFunction, StreamExecutionEnvironment

TAG, N, GATE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
HOLD = sys.argv[4] if len(sys.argv) > 4 else None


class Gated(SourceFunction):
    def __init__(self):
        self.running = True

    def run(self, ctx):
        while self.running and not os.path.exists(GATE):
            time.sleep(0.02)
        for i in range(N):
            if not self.running:
                return
            ctx.collect(i)
        while self.running and HOLD and not os.path.exists(HOLD):
            time.sleep(0.02)

    def cancel(self):
        self.running = False


env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(Gated()).map(lambda i: f"{TAG}-{i}").print()
env.execute(f"output-{TAG}")
'''

#: prints early-0..early-(E-1) at once, waits for GATE, prints late-0..late-(L-1) and finishes
FOLLOW_JOB = '''\
import os
import sys
import time

from runtime.datastream import SourceFunction, StreamExecutionEnvironment

EARLY, LATE, GATE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


class TwoPhases(SourceFunction):
    def __init__(self):
        self.running = True

    def run(self, ctx):
        for i in range(EARLY):
            print(f"early-{i}", flush=True)
        while self.running and not os.path.exists(GATE):
            time.sleep(0.02)
        for i in range(LATE):
            print(f"late-{i}", flush=True)
        ctx.collect(0)

    def cancel(self):
        self.running = False


env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(TwoPhases()).filter(lambda x: False).print()
env.execute("follow-me")
'''

#: prints N lines of ~20 bytes (enough to roll a small .out over several times)
PRINT_MANY = '''\
import sys
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.connectors.number_seq import NumberSequenceSource

env = StreamExecutionEnvironment.get_execution_environment()
env.from_source(NumberSequenceSource(1, int(sys.argv[1])), None, "seq").map(lambda x: f"line-{x:08d}").print()
env.execute("print-many")
'''

LINE = re.compile(r"^(?:\d+> )?(\S+)$")


def printed(text: str) -> list[str]:
    """The records of print-sink output, without the 'N> ' subtask prefix."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if m:
            out.append(m.group(1))
    return out


def start_cluster(env: ClusterEnv) -> subprocess.CompletedProcess:
    proc = env.pyflink("cluster", "start")
    assert proc.returncode == 0, describe(proc)
    return proc


def stop_cluster(env: ClusterEnv) -> None:
    env.pyflink("cluster", "stop")
    try:
        wait_until(lambda: not env.processes(), 15, message="cluster processes to exit")
    finally:
        leftovers = env.processes()
        env.kill_all()
        assert not leftovers, f"processes left behind: {[p.pid for p in leftovers]}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """2 TaskManagers x 2 slots; TaskManagers keep the output of their last 2 jobs, 64 KiB per job file."""
    env = ClusterEnv(tmp_path_factory.mktemp("logs"), free_port(), free_port())
    env.write_conf(**{"taskmanager.numberOfTaskSlots": 2, "taskmanager.job-output.retained-jobs": 2,
                      "taskmanager.job-output.max-file-size": "64 kb"})
    try:
        started = start_cluster(env)
        env.extra["start_stderr"] = started.stderr
        yield env
    finally:
        stop_cluster(env)


def rest(env: ClusterEnv, path: str, token: bool = True) -> tuple[int, str, str]:
    """(status, content type, body) of a GET on the cluster's REST endpoint."""
    request = urllib.request.Request(f"http://localhost:{env.rest_port}{path}",
                                     headers=env.rest_headers() if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8",
                                                                                                     "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8", "replace")


def rest_json(env: ClusterEnv, path: str) -> dict:
    status, kind, body = rest(env, path)
    assert status == 200 and kind.startswith("application/json"), (status, body)
    return json.loads(body)


def log_text(env: ClusterEnv, pattern: str) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted((env.root / "log").glob(pattern)))


def run_detached(env: ClusterEnv, *args: str) -> str:
    proc = env.pyflink("run", "-d", *args)
    assert proc.returncode == 0, describe(proc)
    return submitted_job_id(proc)


def task_count(env: ClusterEnv, job: Path, parallelism: int) -> int:
    """How many tasks the job deploys, from its plan (`pyflink info`): the sum of its vertices' parallelism."""
    proc = env.pyflink("info", "-p", str(parallelism), str(job))
    assert proc.returncode == 0, describe(proc)
    return sum(v["parallelism"] for v in json.loads(proc.stdout)["vertices"])


# ------------------------------------------------------------------ JobManager and TaskManager logs
def test_logs_record_submissions_state_changes_cancels_restarts_and_checkpoints(cluster: ClusterEnv, tmp_path):
    env = cluster
    wait_idle(env)
    # 1: finishes
    done = env.pyflink("run", "-p", "2", str(WORD_COUNT))
    assert done.returncode == 0, describe(done)
    finished = submitted_job_id(done)
    # 2: checkpoints, then is cancelled
    unbounded = write_job(tmp_path, "unbounded.py", UNBOUNDED_JOB)
    cancelled = run_detached(env, "-p", "2", "-D", "execution.checkpointing.interval=200ms", str(unbounded))
    wait_until(lambda: re.search(rf"completed checkpoint \d+ of job {cancelled} \(\d+ bytes, \d+ ms\) at \S+",
                                 log_text(env, "pyflink-jobmanager-*.log")), 30, interval=0.1,
               message="a completed checkpoint in the JobManager log")
    assert env.pyflink("cancel", cancelled).returncode == 0
    # 3: fails once, restarts once, then fails for good
    failing = write_job(tmp_path, "failing.py", FAILING_JOB)
    fails = env.pyflink("run", "-D", "restart-strategy.type=fixed-delay", "-D",
                        "restart-strategy.fixed-delay.attempts=1", "-D", "restart-strategy.fixed-delay.delay=100ms",
                        str(failing))
    assert fails.returncode == 1, describe(fails)
    failed = submitted_job_id(fails)
    wait_idle(env)

    jm = log_text(env, "pyflink-jobmanager-*.log")
    tm = log_text(env, "pyflink-taskmanager-*.log")
    for jid in (finished, cancelled, failed):
        assert len(re.findall(rf"received job {jid} ", jm)) == 1, jid
        assert len(re.findall(rf"job {jid} \([^)]*\) switched to RUNNING \(from CREATED\)", jm)) >= 1, jid
        assert len(re.findall(rf"job {jid} \([^)]*\) ended ", jm)) == 1, jid
    assert len(re.findall(rf"job {finished} \(word_count\) switched to FINISHED \(from RUNNING\)", jm)) == 1
    # the cancel: requested, CANCELLING, CANCELED, and its checkpoints
    assert len(re.findall(rf"job {cancelled} \([^)]*\) is being cancelled \(cancel requested by a client\)", jm)) == 1
    assert len(re.findall(rf"job {cancelled} \([^)]*\) switched to CANCELLING \(from RUNNING\)", jm)) == 1
    assert len(re.findall(rf"job {cancelled} \([^)]*\) switched to CANCELED \(from CANCELLING\)", jm)) == 1
    assert re.search(rf"triggering checkpoint \d+ of job {cancelled}", jm)
    # the restart, with its cause, then the failure
    assert len(re.findall(rf"job {failed} \(failing-job\) switched to RESTARTING \(from RUNNING\): "
                          rf"ValueError: {FAILING_MESSAGE}", jm)) == 1, jm[-3000:]
    assert len(re.findall(rf"restarting job {failed} \(attempt 1\)", jm)) == 1
    assert len(re.findall(rf"job {failed} \(failing-job\) switched to FAILED \(from FAILING\): "
                          rf"ValueError: {FAILING_MESSAGE}", jm)) == 1

    # every task the finished job deployed: received and finished on a TaskManager, and its
    # state changes in the JobManager's log under the same execution id
    received = re.findall(rf"received task (.+?) \(([0-9a-f]{{32}})\) of job {finished}, deploying into slot", tm)
    assert len(received) == task_count(env, WORD_COUNT, 2), received
    for label, execution in received:
        for before, after in (("DEPLOYING", "INITIALIZING"), ("INITIALIZING", "RUNNING"), ("RUNNING", "FINISHED")):
            assert f"({execution}) switched from {before} to {after}" in tm, (label, before, after)
            assert re.search(rf"\({execution}\) switched from {before} to {after}( on \S+)?\.", jm), (label, after)
        assert re.search(rf"Deploying .+ with attempt id {execution} to \S+ with allocation id [0-9a-f]{{32}}", jm)
    cancelled_tasks = re.findall(rf"received task .+? \(([0-9a-f]{{32}})\) of job {cancelled},", tm)
    assert cancelled_tasks and all(re.search(rf"\({e}\) switched from \w+ to CANCELED", tm) for e in cancelled_tasks)


def test_logs_and_out_files_roll_over_by_size_keeping_env_log_max(cluster_env: ClusterEnv, tmp_path):
    env = cluster_env
    env.write_conf(**{"taskmanager.count": 1, "env.log.max-file-size": "2 kb", "env.log.max": 2})
    start = PtyCommand(env, "cluster", "start")
    try:
        assert start.wait_exit(30) == 0, start.text
        # on a terminal, cluster start says what it waits for
        assert re.search(r"Starting the cluster: waiting for TaskManagers to register \(\d of 1\)", start.text), \
            start.text
        job = write_job(tmp_path, "print_many.py", PRINT_MANY)
        n = 3000  # ~42 KB of output: the 2 KB .out rolls over about twenty times
        for _ in range(2):  # and the JobManager logs ~3 KB per job
            run = env.pyflink("run", str(job), str(n))
            assert run.returncode == 0, describe(run)
            assert printed(run.stdout)[-1] == f"line-{n:08d}"
        logs = env.root / "log"
        names = sorted(p.name for p in logs.iterdir())
        for process in ("pyflink-jobmanager-", "pyflink-taskmanager-1-"):
            for kind in ("log", "out") if process.endswith("-1-") else ("log",):
                files = sorted(n for n in names if n.startswith(process) and f".{kind}" in n)
                base = next(n for n in files if n.endswith(f".{kind}"))
                assert files == sorted([base, f"{base}.1", f"{base}.2"]), (kind, names)
        tm_out = sorted(logs.glob("pyflink-taskmanager-1-*.out*"))
        # the newest lines are in the current .out; the oldest rolled away (only 2 old files kept)
        current = next(p for p in tm_out if p.suffix == ".out").read_text()
        assert f"line-{n:08d}" in current
        everything = "".join(p.read_text() for p in tm_out)
        assert everything.count("line-00000001") <= 1 and len(everything) < 3 * (2048 + 25 * 1000)
        for path in logs.glob("*.log*"):
            assert path.stat().st_size <= 2048 + 1024, (path.name, path.stat().st_size)
        # the REST lists show the rolled-over files too
        jm_names = {f["name"] for f in rest_json(env, "/jobmanager/logs")["logs"]}
        assert {n for n in names if n.startswith("pyflink-jobmanager-")} == jm_names
        tm_id = rest_json(env, "/taskmanagers")["taskmanagers"][0]["id"]
        tm_names = {f["name"] for f in rest_json(env, f"/taskmanagers/{tm_id}/logs")["logs"]}
        assert {n for n in names if n.startswith("pyflink-taskmanager-1-")} == tm_names
    finally:
        start.close()
        stop_cluster(env)


# ------------------------------------------------------------------ per-job output: pyflink logs
def test_logs_of_two_concurrent_jobs_show_only_their_own_lines(cluster: ClusterEnv, tmp_path):
    env = cluster
    wait_idle(env)
    job = write_job(tmp_path, "gated.py", GATED_JOB)
    gate = tmp_path / "gate"
    n = 200
    # A takes 3 of the 4 slots (both TaskManagers), B the last one: one TaskManager runs both
    a = run_detached(env, "-p", "3", str(job), "A", str(n), str(gate))
    wait_job_state(env, a, "RUNNING")
    b = run_detached(env, "-p", "1", str(job), "B", str(n), str(gate))
    wait_job_state(env, b, "RUNNING")
    gate.touch()
    wait_job_state(env, a, "FINISHED", 30)
    wait_job_state(env, b, "FINISHED", 30)
    for jid, tag in ((a, "A"), (b, "B")):
        proc = env.pyflink("logs", jid[:8])
        assert proc.returncode == 0 and proc.stderr == "", describe(proc)
        lines = printed(proc.stdout)
        assert sorted(lines) == sorted(f"{tag}-{i}" for i in range(n)), proc.stdout[-2000:]
    # the TaskManager's .out (Flink's) still mixes both jobs' output
    stdouts = [rest(env, f"/taskmanagers/{tm['id']}/stdout")[2]
               for tm in rest_json(env, "/taskmanagers")["taskmanagers"]]
    assert any("A-" in s and "B-" in s for s in stdouts)


def test_logs_outlive_the_jobmaster_and_the_jobmanager(cluster_env: ClusterEnv, tmp_path):
    """A detached job's output, read after the JobManager (so every JobMaster) was restarted:
    the TaskManager (started by hand, so it outlives the JobManager) still holds it."""
    env = cluster_env
    assert env.pyflink("jobmanager", "start").returncode == 0
    try:
        assert env.pyflink("taskmanager", "start").returncode == 0
        wait_until(lambda: status_json(env)["taskmanagers"] == 1, 15, message="the TaskManager to register")
        job = write_job(tmp_path, "gated.py", GATED_JOB)
        gate = tmp_path / "gate"
        gate.touch()
        jid = run_detached(env, str(job), "D", "50", str(gate))
        wait_job_state(env, jid, "FINISHED", 30)
        expected = [f"D-{i}" for i in range(50)]
        assert printed(env.pyflink("logs", jid).stdout) == expected
        assert env.pyflink("jobmanager", "stop").returncode == 0
        assert env.pyflink("jobmanager", "start").returncode == 0
        wait_until(lambda: status_json(env)["taskmanagers"] == 1, 15, message="the TaskManager to re-register")
        proc = env.pyflink("logs", jid)
        assert proc.returncode == 0, describe(proc)
        assert printed(proc.stdout) == expected
    finally:
        stop_cluster(env)


def test_logs_keep_only_the_last_retained_jobs(cluster: ClusterEnv, tmp_path):
    env = cluster
    wait_idle(env)
    job = write_job(tmp_path, "gated.py", GATED_JOB)
    gate = tmp_path / "gate"
    gate.touch()
    ids = []
    for tag in ("R1", "R2", "R3"):  # on both TaskManagers; each keeps 2 jobs
        proc = env.pyflink("run", "-p", "4", str(job), tag, "8", str(gate))
        assert proc.returncode == 0, describe(proc)
        ids.append(submitted_job_id(proc))
    assert_one_line_error(env.pyflink("logs", ids[0]), "no TaskManager holds output", ids[0])
    for jid, tag in zip(ids[1:], ("R2", "R3")):
        assert sorted(printed(env.pyflink("logs", jid).stdout)) == sorted(f"{tag}-{i}" for i in range(8))


def test_a_rolled_over_job_output_says_what_was_dropped(cluster: ClusterEnv, tmp_path):
    env = cluster
    wait_idle(env)
    job = write_job(tmp_path, "print_many.py", PRINT_MANY)
    n = 20000  # ~400 KB on one TaskManager; it keeps the last 64-128 KiB
    proc = env.pyflink("run", str(job), str(n))
    assert proc.returncode == 0, describe(proc)
    jid = submitted_job_id(proc)
    logs = env.pyflink("logs", jid)
    assert logs.returncode == 0, describe(logs)
    notice = re.search(r"\[\.\.\. (\d+) bytes of output on TaskManager \S+ were rolled over \.\.\.\]", logs.stdout)
    assert notice, logs.stdout[:500]
    lines = printed(logs.stdout[notice.end():])
    assert lines[-1] == f"line-{n:08d}"
    first = int(lines[0].split("-")[1])
    assert lines == [f"line-{i:08d}" for i in range(first, n + 1)]  # contiguous up to the end
    dropped = int(notice.group(1))
    assert dropped == sum(len(f"line-{i:08d}\n") for i in range(1, first))  # exactly the lines missing
    assert 64 * 1024 <= len(logs.stdout) - notice.end() <= 128 * 1024 + 64


def test_logs_follow_prints_lines_as_they_come_and_exits_with_the_job(cluster: ClusterEnv, tmp_path):
    env = cluster
    wait_idle(env)
    job = write_job(tmp_path, "follow.py", FOLLOW_JOB)
    gate = tmp_path / "gate"
    jid = run_detached(env, str(job), "5", "5", str(gate))
    follower = Follower(env, jid)
    try:
        follower.wait_for("early-4")
        assert jobs_state(env, jid) == "RUNNING"  # the lines came while the job runs
        gate.touch()
        assert follower.wait_exit(30) == 0, follower.describe()
        assert follower.lines == [f"early-{i}" for i in range(5)] + [f"late-{i}" for i in range(5)]
        assert jobs_state(env, jid) == "FINISHED"
    finally:
        follower.close()

    # a cancelled job ends the follow too
    unbounded = write_job(tmp_path, "unbounded.py", UNBOUNDED_JOB)
    jid = run_detached(env, str(unbounded))
    follower = Follower(env, jid)
    try:
        follower.wait_for(r"\d+")
        assert env.pyflink("cancel", jid).returncode == 0
        assert follower.wait_exit(30) == 0, follower.describe()
    finally:
        follower.close()


def jobs_state(env: ClusterEnv, jid: str) -> str:
    return next(j["state"] for j in jobs_json(env, "-a") if j["jid"] == jid)


class Follower:
    """`pyflink logs -f JOB` in the background, its lines collected as they arrive."""

    def __init__(self, env: ClusterEnv, jid: str) -> None:
        cmd = [sys.executable, "-m", "pyflink_cli", "logs", "-f", jid, "--conf-dir", str(env.conf_dir)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=env.root)
        self.queue: queue.Queue[str] = queue.Queue()
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.queue.put(line.rstrip("\n"))

    def _drain(self) -> None:
        while True:
            try:
                self.lines.append(self.queue.get_nowait())
            except queue.Empty:
                return

    def wait_for(self, pattern: str, timeout: float = 30.0) -> None:
        def seen() -> bool:
            self._drain()
            return any(re.fullmatch(pattern, line) for line in self.lines)
        wait_until(seen, timeout, interval=0.05, message=f"a line {pattern!r} from logs -f")

    def wait_exit(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(10)  # it ends at the end of the output
        self._drain()
        return code

    def describe(self) -> str:
        err = self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""
        return f"exit {self.proc.returncode}; lines {self.lines[-20:]}; stderr {err}"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def test_logs_of_an_unknown_job_is_a_one_line_error(cluster: ClusterEnv):
    assert_one_line_error(cluster.pyflink("logs", "0123456789abcdef"), "no job with id")
    assert_one_line_error(cluster.pyflink("logs", "not-a-job"), "not a job id")


# ------------------------------------------------------------------ REST
def test_rest_log_paths(cluster: ClusterEnv, tmp_path):
    env = cluster
    wait_idle(env)
    job = write_job(tmp_path, "gated.py", GATED_JOB)
    gate = tmp_path / "gate"
    gate.touch()
    run = env.pyflink("run", "-p", "2", str(job), "W", "30", str(gate))
    assert run.returncode == 0, describe(run)
    jid = submitted_job_id(run)
    logs = env.root / "log"

    # the JobManager: its own files only, with Flink's fields
    listed = rest_json(env, "/jobmanager/logs")["logs"]
    on_disk = {p.name: p for p in logs.iterdir() if p.name.startswith("pyflink-jobmanager-")}
    assert {f["name"] for f in listed} == set(on_disk)
    for f in listed:
        assert set(f) == {"name", "size", "mtime"}
        assert 0 <= f["size"] <= on_disk[f["name"]].stat().st_size
        assert abs(f["mtime"] - on_disk[f["name"]].stat().st_mtime * 1000) < 60_000
    status, kind, body = rest(env, "/jobmanager/log")
    assert status == 200 and kind.startswith("text/plain") and f"received job {jid} " in body
    jm_log = next(n for n in on_disk if n.endswith(".log"))
    assert on_disk[jm_log].read_text(errors="replace").startswith(body[:1000])
    assert rest(env, f"/jobmanager/logs/{jm_log}")[2][:1000] == body[:1000]
    assert rest(env, "/jobmanager/stdout")[0] == 200

    # a TaskManager: its files, its log, its stdout with the job's lines
    tms = rest_json(env, "/taskmanagers")["taskmanagers"]
    tm_lines: list[str] = []
    for tm in tms:
        names = {f["name"] for f in rest_json(env, f"/taskmanagers/{tm['id']}/logs")["logs"]}
        assert names and all(n.startswith("pyflink-taskmanager-") for n in names), names
        assert all((logs / n).is_file() for n in names)
        status, kind, text = rest(env, f"/taskmanagers/{tm['id']}/log")
        assert status == 200 and kind.startswith("text/plain") and "registered at the ResourceManager" in text
        name = next(n for n in names if n.endswith(".log"))
        assert rest(env, f"/taskmanagers/{tm['id']}/logs/{name}")[2][:500] == text[:500]
        status, kind, out = rest(env, f"/taskmanagers/{tm['id']}/stdout")
        assert status == 200 and kind.startswith("text/plain")
        tm_lines += [line for line in printed(out) if line.startswith("W-")]
        # no file outside the process's own list, whatever the name
        for bad in (jm_log, "..", "..%2F..%2Fkeys%2Frest.token", "%2Fetc%2Fpasswd", "flink-conf.toml"):
            assert rest(env, f"/taskmanagers/{tm['id']}/logs/{bad}")[0] in (400, 404), bad
    assert sorted(tm_lines) == sorted(f"W-{i}" for i in range(30))
    for bad in (next(iter(names)), "..%2F..%2Fkeys%2Frest.token", "..", "%2Fetc%2Fpasswd"):
        assert rest(env, f"/jobmanager/logs/{bad}")[0] in (400, 404), bad
    for path in ("/taskmanagers/tm-nobody/logs", "/taskmanagers/tm-nobody/log", "/taskmanagers/tm-nobody/stdout",
                 "/taskmanagers/..%2F..%2Fx/logs", f"/taskmanagers/tm-nobody/logs/{jm_log}"):
        assert rest(env, path)[0] == 404, path
    assert rest(env, "/jobmanager/logs", token=False)[0] == 401

    # the job's output for the dashboard, read with the cursor until finished
    offset, text = "0", ""
    for _ in range(100):
        answer = rest_json(env, f"/jobs/{jid}/output?offset={offset}")
        text += answer["output"]
        offset = answer["offset"]
        if answer["finished"]:
            break
    assert answer["finished"] and answer["state"] == "FINISHED"
    assert sorted(printed(text)) == sorted(f"W-{i}" for i in range(30))
    again = rest_json(env, f"/jobs/{jid}/output?offset={offset}")
    assert again["output"] == "" and again["finished"] and again["offset"] == offset
    assert rest(env, f"/jobs/{jid}/output?offset=garbage!")[0] == 400
    assert rest(env, "/jobs/0123456789abcdef0123456789abcdef/output")[0] == 404


# ------------------------------------------------------------------ progress on long waits
def test_an_attached_run_prints_nothing_extra_when_piped(cluster: ClusterEnv):
    env = cluster
    wait_idle(env)
    proc = env.pyflink("run", "-p", "2", str(WORD_COUNT))
    assert proc.returncode == 0, describe(proc)
    assert proc.stderr == "", proc.stderr
    jid = submitted_job_id(proc)
    # besides the records: exactly the lines a piped run always printed
    other = [line for line in proc.stdout.splitlines() if not re.fullmatch(r"(\d+> )?\(.+,\d+\)", line)]
    assert other[:2] == [f"Job has been submitted with JobID {jid}",
                         f"Job with JobID {jid} has finished with state FINISHED."], other
    assert len(other) == 3 and re.fullmatch(r"Job Runtime: \d+ ms", other[2]), other
    assert "Starting the cluster" not in env.extra["start_stderr"] and "\x1b" not in env.extra["start_stderr"]


def test_an_attached_run_on_a_terminal_shows_slots_state_and_time(cluster: ClusterEnv, tmp_path):
    env = cluster
    wait_idle(env)
    blocker = write_job(tmp_path, "unbounded.py", UNBOUNDED_JOB)
    blocking = run_detached(env, "-p", "3", str(blocker))  # 3 of the 4 slots
    wait_job_state(env, blocking, "RUNNING")
    job = write_job(tmp_path, "gated.py", GATED_JOB)
    gate = tmp_path / "gate"
    gate.touch()
    hold = tmp_path / "hold"
    records = 20
    run = PtyCommand(env, "run", "-p", "2", str(job), "T", str(records), str(gate), str(hold))
    try:
        waiting = run.wait_for(r"Job output-T \(([0-9a-f]{8})\) (INITIALIZING|CREATED): waiting for slots "
                               r"\(needs 2; the cluster has 4, [01] free\) · \d+\.\d s")
        # frees the slots: the job runs; the cancel, on a terminal too, says what it waits for
        cancel = PtyCommand(env, "cancel", blocking)
        assert cancel.wait_exit(60) == 0, cancel.text
        assert re.search(rf"Cancelling job {blocking}\b.* · \d+\.\d s", cancel.text), cancel.text
        assert f"Cancelled job {blocking} (state CANCELED)" in cancel.text, cancel.text
        # running, every record printed: the sinks' count (from the metrics) says so
        run.wait_for(rf"Job output-T \({waiting.group(1)}\) RUNNING: {records} records out · \d+\.\d s")
        hold.touch()
        assert run.wait_exit(60) == 0, run.text[-3000:]
    finally:
        hold.touch()  # the job ends whatever failed: the module's cluster is left idle
        run.close()
    text = run.text
    jid = re.search(r"Job has been submitted with JobID ([0-9a-f]{32})", text).group(1)
    assert jid.startswith(waiting.group(1))
    assert re.search(rf"Job output-T \({jid[:8]}\) (RUNNING|FINISHED) · \d+\.\d s", text), text[-3000:]
    # the job's output, each line whole (the status line stepped aside for it)
    assert sorted(line for line in printed("\n".join(re.split(r"[\r\n]+", text))) if line.startswith("T-")) == \
        sorted(f"T-{i}" for i in range(records)), text[-3000:]
    assert f"Job with JobID {jid} has finished with state FINISHED." in text
