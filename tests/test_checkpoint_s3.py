"""Checkpoints and savepoints in S3: a real 2-TaskManager cluster whose
``execution.checkpointing.dir`` is ``s3://…`` on an S3-compatible server that the test starts
on a free localhost port (moto's server mode, ``python -m moto.server``).

The cluster reaches the server through the usual AWS environment (``AWS_ENDPOINT_URL``,
static test credentials), which ``cluster start`` passes to the JobManager and the
JobManager to the TaskManagers it forks. The test process itself looks at the bucket with its
own s3fs client.

Shown here: a checkpointed keyed job writes ``_metadata`` and its state files as objects;
after ``kill -9`` of a TaskManager it restores from the checkpoint in S3 and ends with the
result of a failure-free run (computed here from N and K, not by the engine); its
checkpoints are deleted from the bucket when it ends; ``pyflink savepoint ID s3://…``,
``pyflink stop -p s3://… ID`` and ``pyflink run -s s3://…`` work; a checkpoint directory in a
bucket that does not exist fails the job with the bucket's name and creates no bucket.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ClusterEnv, free_port, started_cluster, wait_until, write_job
from helpers_cli import (
    describe,
    job_state,
    jobs_json,
    pid_file_entries,
    read_logs,
    submitted_job_id,
    wait_idle,
    wait_job_state,
)

s3fs = pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

BUCKET = "pyflink-checkpoints"
#: records and keys of the job: NumberSequenceSource(1, N) at p=2, key x % K
N = 200_000
K = 100

# The job: NumberSequenceSource(1, N) -> Throttle (a map) -> key_by(x % K) -> CountSum, which
# keeps (count, sum) of its key in ValueState and emits "key,count,sum" once, when the key's
# count reaches N/K -> exactly-once FileSink. Until the release file exists, Throttle sleeps
# 5 ms every 25 records (at most ~5,000 records/s per subtask, so the job cannot end on its
# own within ~20 s): checkpoints and a kill happen mid-job. Throttle also writes the first value
# each (attempt, subtask) sees to marks/first-<attempt>-<subtask>, which shows where a
# restored source resumed.
JOB = '''\
import os
import sys
import time

from runtime.common import Encoder, Types
from runtime.datastream import KeyedProcessFunction, MapFunction, StreamExecutionEnvironment
from runtime.datastream.connectors.file_system import BucketAssigner, FileSink, RollingPolicy
from runtime.datastream.connectors.number_seq import NumberSequenceSource
from runtime.datastream.state import ValueStateDescriptor


class Throttle(MapFunction):
    def __init__(self, release, marks):
        self.release = release
        self.marks = marks

    def open(self, runtime_context):
        self.mark = os.path.join(self.marks, "first-%d-%d" % (runtime_context.get_attempt_number(),
                                                              runtime_context.get_index_of_this_subtask()))
        self.marked = False
        self.released = False

    def map(self, x):
        if not self.marked:
            self.marked = True
            with open(self.mark + ".tmp", "w") as f:
                f.write(str(x))
            os.replace(self.mark + ".tmp", self.mark)
        if x % 25 == 0 and not self.released:
            self.released = os.path.exists(self.release)
            if not self.released:
                time.sleep(0.005)
        return x


class CountSum(KeyedProcessFunction):
    def __init__(self, keys, per_key):
        self.keys = keys
        self.per_key = per_key

    def open(self, runtime_context):
        self.state = runtime_context.get_state(ValueStateDescriptor("count-sum", Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, x, ctx):
        count, total = self.state.value() or (0, 0)
        count += 1
        total += x
        self.state.update((count, total))
        if count == self.per_key:
            yield "%d,%d,%d" % (x % self.keys, count, total)


def main():
    n, keys, out, release, marks = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(200)
    env.set_parallelism(2)
    sink = (FileSink.for_row_format(out, Encoder.simple_string_encoder())
            .with_rolling_policy(RollingPolicy.on_checkpoint_rolling_policy())
            .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
            .build())
    (env.from_source(NumberSequenceSource(1, n), None, "seq").uid("seq")
        .map(Throttle(release, marks)).uid("throttle")
        .key_by(lambda x: x % keys)
        .process(CountSum(keys, n // keys), Types.STRING()).uid("count-sum")
        .sink_to(sink).uid("sink"))
    env.execute("s3-count-sum")


if __name__ == "__main__":
    main()
'''


def expected_lines(n: int, keys: int) -> list[str]:
    """What a failure-free run commits: per key k, its count and the sum of 1..n with x % keys == k."""
    out = []
    for k in range(keys):
        xs = range(k or keys, n + 1, keys)
        out.append(f"{k},{len(xs)},{sum(xs)}")
    return sorted(out)


def split_starts(n: int, parallelism: int) -> list[int]:
    """First value of each subtask's range of NumberSequenceSource(1, n) (Flink's even split)."""
    return [1 + n * i // parallelism for i in range(parallelism)]


# ------------------------------------------------------------------------------ the S3 server
@dataclass
class S3Server:
    endpoint: str
    fs: Any  # s3fs.S3FileSystem of the test process

    def keys(self, prefix: str) -> list[str]:
        """Object keys under s3://<prefix>, fresh from the server (no cached listing)."""
        self.fs.invalidate_cache()
        try:
            return sorted(self.fs.find(prefix))
        except FileNotFoundError:
            return []

    def buckets(self) -> list[str]:
        self.fs.invalidate_cache()
        return sorted(b.rstrip("/") for b in self.fs.ls(""))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One S3 server for this module's tests, and the AWS environment pointing at it."""
    root = tmp_path_factory.mktemp("s3")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = root / "moto-server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: proc.poll() is not None or _answers(f"{endpoint}/moto-api/"), 30,
                   interval=0.05, message="the S3 server to answer")
        assert proc.poll() is None, f"the S3 server exited ({proc.returncode}):\n{log_path.read_text()}"
        with pytest.MonkeyPatch.context() as mp:
            # the cluster (and this process) reach the server through the usual AWS
            # environment; nothing of the user's own AWS setup may leak in
            for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                        "AWS_ENDPOINT_URL_S3", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
                mp.delenv(var, raising=False)
            mp.setenv("AWS_CONFIG_FILE", str(root / "no-aws-config"))
            mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "no-aws-credentials"))
            mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
            mp.setenv("AWS_ENDPOINT_URL", endpoint)
            mp.setenv("AWS_ACCESS_KEY_ID", "testing")
            mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
            fs = s3fs.S3FileSystem(endpoint_url=endpoint, key="testing", secret="testing", skip_instance_cache=True)
            fs.mkdir(BUCKET)
            yield S3Server(endpoint, fs)
    finally:
        proc.kill()  # the server we started, by its pid
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def s3_cluster(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterEnv]:
    """A 2-TaskManager cluster checkpointing to s3://BUCKET/chk with fixed-delay 0 restarts,
    shared by this module's tests; stopped (and checked to be gone) before the S3 server."""
    with started_cluster(tmp_path_factory.mktemp("cluster"), **{
            "execution.checkpointing.dir": f"s3://{BUCKET}/chk",
            "restart-strategy.type": "fixed-delay",
            "restart-strategy.fixed-delay.delay": 0,
            "restart-strategy.fixed-delay.attempts": 3}) as env:
        yield env


@pytest.fixture
def cluster(s3_cluster: ClusterEnv) -> Iterator[ClusterEnv]:
    """The shared cluster; whatever a test left running is cancelled after it."""
    yield s3_cluster
    for job in jobs_json(s3_cluster):
        s3_cluster.pyflink("cancel", job["jid"])
    wait_idle(s3_cluster, timeout=20)


# ------------------------------------------------------------------------------ helpers
class JobFiles:
    def __init__(self, root: Path, name: str) -> None:
        self.job = write_job(root, "count_sum.py", JOB)
        self.out = root / f"{name}-out"
        self.release = root / f"{name}-release"
        self.marks = root / f"{name}-marks"
        self.marks.mkdir()

    def args(self) -> list[str]:
        return [str(self.job), str(N), str(K), str(self.out), str(self.release), str(self.marks)]

    def committed(self) -> list[str]:
        """Lines of the sink's finished part files (hidden in-progress/pending files excluded)."""
        if not self.out.is_dir():
            return []
        return sorted(line for f in self.out.iterdir() if not f.name.startswith(".")
                      for line in f.read_text().splitlines())

    def first_values(self) -> dict[tuple[int, int], int]:
        """(attempt, subtask) -> first value that attempt of that Throttle subtask saw."""
        out = {}
        for f in self.marks.glob("first-*-*"):
            if f.suffix == ".tmp":
                continue
            _, attempt, subtask = f.name.split("-")
            out[(int(attempt), int(subtask))] = int(f.read_text())
        return out


def wait_for(env: ClusterEnv, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """wait_until, with the cluster's logs (as they are at the timeout) in the failure."""
    try:
        return wait_until(predicate, timeout, interval=0.05, message=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{read_logs(env)}") from None


def jobmanager_log(env: ClusterEnv) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted((env.root / "log").glob("pyflink-jobmanager-*.log")))


def completed_checkpoints(env: ClusterEnv, jid: str) -> list[int]:
    return [int(m.group(1)) for m in
            re.finditer(rf"completed checkpoint (\d+) of job {jid} \(\d+ bytes, \d+ ms\)", jobmanager_log(env))]


def checkpoint_objects(s3: S3Server, jid: str) -> dict[str, list[str]]:
    """chk-<n> -> object names in it, for every checkpoint of the job that has a _metadata."""
    by_dir: dict[str, list[str]] = {}
    for key in s3.keys(f"{BUCKET}/chk/{jid}"):
        parts = key.split("/")
        by_dir.setdefault(parts[-2], []).append(parts[-1])
    return {d: names for d, names in by_dir.items() if "_metadata" in names}


def has_state_files(names: list[str]) -> bool:
    """_metadata, the keyed state of both CountSum subtasks and the source positions."""
    keyed = [n for n in names if n.startswith("count-sum-") and n.endswith("-keyed")]
    source = [n for n in names if n.startswith("seq-") and n.endswith("-op")]
    return "_metadata" in names and len(keyed) == 2 and len(source) == 2


# ------------------------------------------------------------------------------ tests
def test_job_restores_from_s3_checkpoint_after_taskmanager_kill(cluster: ClusterEnv, s3_server: S3Server,
                                                                tmp_path: Path) -> None:
    env = cluster
    files = JobFiles(tmp_path, "kill")
    proc = env.pyflink("run", "-d", *files.args(), timeout=30)
    assert proc.returncode == 0, describe(proc) + read_logs(env)
    jid = submitted_job_id(proc)

    # checkpoints complete, and each is a set of objects in the bucket: _metadata + state files
    wait_for(env, lambda: len(completed_checkpoints(env, jid)) >= 2, 20, "two completed checkpoints")
    in_bucket = wait_for(env, lambda: {d: n for d, n in checkpoint_objects(s3_server, jid).items()
                                       if has_state_files(n)}, 10, "a complete checkpoint in the bucket")
    assert all(re.fullmatch(r"chk-\d+", d) for d in in_bucket), in_bucket
    for key in s3_server.keys(f"{BUCKET}/chk/{jid}"):
        assert s3_server.fs.size(key) > 0, key
    assert job_state(env, jid) == "RUNNING"

    tms = pid_file_entries(env, "pyflink-taskmanager-*.pid")
    assert len(tms) == 2, tms
    os.kill(tms[0][1], signal.SIGKILL)  # the job has a task on each of the two TaskManagers

    restore = re.compile(rf"job {jid} restores from checkpoint (\d+) \((\S+)\)")
    m = wait_for(env, lambda: restore.search(jobmanager_log(env)), 20, "the job to restore from a checkpoint")
    restored_id, location = int(m.group(1)), m.group(2)
    assert location == f"s3://{BUCKET}/chk/{jid}/chk-{restored_id}", location
    assert restored_id in completed_checkpoints(env, jid)
    wait_job_state(env, jid, "RUNNING", timeout=20)

    files.release.touch()
    wait_job_state(env, jid, "FINISHED", timeout=60)
    assert files.committed() == expected_lines(N, K), read_logs(env)

    # the restored attempt resumed each source split after its start, i.e. from the restored position
    firsts = files.first_values()
    restored_attempts = {sub: v for (attempt, sub), v in firsts.items() if attempt >= 1}
    assert sorted(restored_attempts) == [0, 1], firsts
    for sub, start in enumerate(split_starts(N, 2)):
        assert firsts[(0, sub)] == start, firsts
        assert restored_attempts[sub] > start, firsts

    # a job that ended deletes its checkpoints (no externalized retention): no _metadata left
    wait_for(env, lambda: not checkpoint_objects(s3_server, jid), 10,
             "the finished job's checkpoints to be deleted from the bucket")


def test_savepoint_to_s3_and_run_from_it(cluster: ClusterEnv, s3_server: S3Server, tmp_path: Path) -> None:
    env = cluster
    files = JobFiles(tmp_path, "first")
    proc = env.pyflink("run", "-d", *files.args(), timeout=30)
    assert proc.returncode == 0, describe(proc) + read_logs(env)
    jid = submitted_job_id(proc)
    wait_for(env, lambda: completed_checkpoints(env, jid), 20, "a completed checkpoint")

    saved = env.pyflink("savepoint", jid, f"s3://{BUCKET}/sp", timeout=60)
    assert saved.returncode == 0, describe(saved) + read_logs(env)
    m = re.search(r"Savepoint completed\. Path: (s3://\S+)", saved.stdout)
    assert m, describe(saved)
    assert m.group(1).startswith(f"s3://{BUCKET}/sp/savepoint-{jid[:6]}-"), m.group(1)
    names = [k.rsplit("/", 1)[1] for k in s3_server.keys(m.group(1)[len("s3://"):])]
    assert has_state_files(names), names
    assert job_state(env, jid) == "RUNNING"  # a savepoint does not stop the job

    stopped = env.pyflink("stop", "-p", f"s3://{BUCKET}/sp", jid, timeout=60)
    assert stopped.returncode == 0, describe(stopped) + read_logs(env)
    m = re.search(r"Savepoint completed\. Path: (s3://\S+)", stopped.stdout)
    assert m, describe(stopped)
    savepoint = m.group(1)
    names = [k.rsplit("/", 1)[1] for k in s3_server.keys(savepoint[len("s3://"):])]
    assert has_state_files(names), names
    wait_job_state(env, jid, "FINISHED", timeout=20)
    assert files.committed() == [], "no key can be complete before the savepoint"
    stopped_at = files.first_values()

    # a new job from the savepoint, released at once: it picks up where the first one stopped
    resumed = JobFiles(tmp_path, "resumed")
    resumed.release.touch()
    run = env.pyflink("run", "-s", savepoint, *resumed.args(), timeout=60)
    assert run.returncode == 0, describe(run) + read_logs(env)
    assert "FINISHED" in run.stdout, describe(run)
    assert f"restores from savepoint {savepoint}" in jobmanager_log(env)
    assert resumed.committed() == expected_lines(N, K), read_logs(env)
    firsts = resumed.first_values()
    for sub, start in enumerate(split_starts(N, 2)):
        assert stopped_at[(0, sub)] == start, stopped_at
        assert firsts[(0, sub)] > start, firsts

    # savepoints belong to the user: still in the bucket after both jobs ended
    assert has_state_files([k.rsplit("/", 1)[1] for k in s3_server.keys(savepoint[len("s3://"):])])


def test_missing_bucket_fails_the_job_and_creates_no_bucket(cluster: ClusterEnv, s3_server: S3Server,
                                                            tmp_path: Path) -> None:
    env = cluster
    files = JobFiles(tmp_path, "missing")
    before = s3_server.buckets()
    run = env.pyflink("run", "-D", "execution.checkpointing.dir=s3://no-such-bucket-9b/chk",
                      "-D", "restart-strategy.type=none", *files.args(), timeout=60)
    assert run.returncode != 0, describe(run)
    text = run.stdout + run.stderr
    assert "FAILED" in text and "s3://no-such-bucket-9b/chk/" in text and "bucket does not exist" in text, \
        describe(run) + read_logs(env)
    assert s3_server.buckets() == before == [BUCKET]
