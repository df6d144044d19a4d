"""Issue 3, item 4: backpressure. A fast unbounded source feeding a slow function (~1 ms per
record, in another task on the other TaskManager) must not make any process's memory grow:
full queues/credits block the producer.

The job reports progress through files (the source every 5000 records it emitted, the slow
sink every 100 records it consumed) so the test can check the pipeline is really moving and
that the source is held back to roughly the slow side's pace.
"""
from __future__ import annotations

import json
import time

import psutil
from conftest import ClusterEnv, wait_until

JOB = """
import os
import time

from runtime.datastream import SourceFunction, StreamExecutionEnvironment

PROGRESS = {progress!r}


def report(name, count):
    tmp = os.path.join(PROGRESS, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(str(count))
    os.replace(tmp, os.path.join(PROGRESS, name))


class FastSource(SourceFunction):
    def __init__(self):
        self.running = True

    def run(self, ctx):
        payload = "x" * 500  # ~0.5 KB per record: unbounded buffering would show at once
        i = 0
        while self.running:
            ctx.collect((i, payload))
            i += 1
            if i % 5000 == 0:
                report("emitted", i)

    def cancel(self):
        self.running = False


def slow(record):
    time.sleep(0.001)
    return record[0]


class Progress:
    def __init__(self):
        self.n = 0

    def __call__(self, value):
        self.n += 1
        if self.n % 100 == 0:
            report("consumed", self.n)


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    (env.add_source(FastSource(), "fast source")
        .rebalance()
        .map(slow).name("slow map").slot_sharing_group("slow")
        .add_sink(Progress()).slot_sharing_group("slow"))
    env.execute("backpressure")


if __name__ == "__main__":
    main()
"""

GROWTH_LIMIT = 30 * 1024 * 1024  # bytes of RSS growth allowed per process while under backpressure


def read_count(path) -> int:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return 0


def test_fast_source_slow_map_keeps_memory_flat(running_cluster: ClusterEnv, tmp_path):
    progress = tmp_path / "progress"
    progress.mkdir()
    job = tmp_path / "bp_job.py"
    job.write_text(JOB.format(progress=str(progress)))

    procs = [psutil.Process(pid) for pid in running_cluster.pids()]
    assert len(procs) == 3, "expected a JobManager and two TaskManagers"

    proc = running_cluster.pyflink("run", "-d", str(job), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listing = running_cluster.pyflink("list", "--json", check=True)
    job_id = json.loads(listing.stdout)["jobs"][0]["jid"]
    try:
        consumed, emitted = progress / "consumed", progress / "emitted"
        # the pipeline runs and the queues between source and slow map have had time to fill
        wait_until(lambda: read_count(consumed) >= 300, 20, message="the slow map to make progress")

        baseline = {p.pid: p.memory_info().rss for p in procs}
        start_consumed = read_count(consumed)
        samples: list[dict[int, int]] = []
        next_at = [time.monotonic()]

        def sample() -> bool:
            if time.monotonic() >= next_at[0]:
                samples.append({p.pid: p.memory_info().rss for p in procs})
                next_at[0] += 0.5
            return len(samples) >= 8  # 8 samples over ~3.5 s

        wait_until(sample, 15, interval=0.05, message="memory samples")

        for pid, base in baseline.items():
            peak = max(s[pid] for s in samples)
            assert peak - base < GROWTH_LIMIT, (
                f"process {pid} grew by {(peak - base) / 2**20:.1f} MB under backpressure "
                f"(samples MB: {[round(s[pid] / 2**20, 1) for s in samples]})")

        end_consumed = read_count(consumed)
        assert end_consumed > start_consumed, "the slow map stopped making progress"
        # the source is throttled to the slow side's pace: what it emitted beyond what was
        # consumed is bounded by the in-flight buffers, not by how fast it could run
        in_flight = read_count(emitted) - end_consumed
        assert in_flight < 100_000, f"source ran {in_flight} records ahead of the slow map"
    finally:
        running_cluster.pyflink("cancel", job_id, timeout=30)
    wait_until(lambda: json.loads(running_cluster.pyflink("list", "-a", "--json").stdout)["jobs"][0]["state"]
               == "CANCELED", 15, interval=0.2, message="the job to be CANCELED")
