"""REST monitoring benchmark: what keeping finished jobs costs the JobManager, and how fast
``GET /jobs/:id`` answers.

    python benchmarks/rest_monitoring.py [--jobs 1000] [--requests 200]

On a temporary cluster (2 TaskManagers x 2 slots, free ports):

1. runs examples/word_count.py at parallelism 4 to the end, then starts an unbounded
   three-vertex job at parallelism 4 and times ``GET /jobs/:id`` of the running job and of
   the finished one (sequential requests; median, p95, max);
2. stops the cluster, fills its job store (``<storageDir>/execution-graph-store``) with
   ``--jobs`` finished jobs (copies of the word count's archived graph under new ids), starts
   the cluster again and reports the start time and the JobManager's RSS: idle, after
   ``/jobs/overview``, and after ``/jobs/:id`` of every kept job (the store's in-memory cache
   is bounded by jobstore.cache-size).

Prints figures only; never asserts. Cleans up every process it started.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgpack
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import REPO, RestClient, TempCluster, machine_line, pyflink_command, timed, wait_until  # noqa: E402

from runtime.common.job import JobID  # noqa: E402
from runtime.messages.archived_execution_graph import ExecutionGraphInfo  # noqa: E402
from runtime.messages.codec import from_wire, to_wire  # noqa: E402
from runtime.messages.job_messages import JobResult  # noqa: E402

TICKS = '''\
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
            time.sleep(0.001)

    def cancel(self):
        self.running = False


env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(Ticks()).map(lambda x: (x % 7, 1)).key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])) \\
    .print()
env.execute("rest-benchmark-ticks")
'''


class Rest(RestClient):
    def latency_ms(self, path: str, n: int) -> dict[str, float]:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        return {"median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))], "max": times[-1]}


def jobmanager_rss_mb(cluster: TempCluster) -> float:
    pids = [pid for name, pid in cluster.pid_files().items() if "jobmanager" in name]
    return psutil.Process(pids[0]).memory_info().rss / 2**20 if pids else float("nan")


def seed_store(store: Path, template: str, count: int) -> None:
    """``count`` finished jobs in the store: the template job's archive under fresh ids."""
    info = from_wire(ExecutionGraphInfo, msgpack.unpackb((store / f"{template}.graph").read_bytes(), raw=False,
                                                          strict_map_key=False), "template")
    result = from_wire(JobResult, json.loads((store / f"{template}.json").read_text()), "template")
    now = int(time.time() * 1000)
    for i in range(count):
        jid = JobID.generate()
        info.archived_execution_graph.job_id = result.job_id = jid
        result.end_time = info.archived_execution_graph.end_time = now - (count - i)
        (store / f"{jid}.graph").write_bytes(msgpack.packb(to_wire(info), use_bin_type=True))
        (store / f"{jid}.json").write_text(json.dumps(to_wire(result)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="finished jobs kept in the job store")
    parser.add_argument("--requests", type=int, default=200, help="GET /jobs/:id requests per figure")
    args = parser.parse_args()
    pyflink, note = pyflink_command()
    print(f"# REST monitoring benchmark — {machine_line()}\n# pyflink: {note}")
    with tempfile.TemporaryDirectory(prefix="pyflink-rest-bench-") as tmp:
        root = Path(tmp)
        cluster = TempCluster(root, 2, {"taskmanager.numberOfTaskSlots": 2})
        conf = ["--conf-dir", str(cluster.conf_dir)]
        try:
            empty_start_s, p = timed(pyflink + ["cluster", "start"] + conf, 60)
            assert p.returncode == 0, p.stderr
            rest = Rest(cluster)
            _, p = timed(pyflink + ["run", "-p", "4", str(REPO / "examples" / "word_count.py")] + conf, 120)
            assert p.returncode == 0, p.stderr
            finished = p.stdout.split("JobID ")[1].split()[0]
            (root / "ticks.py").write_text(TICKS)
            _, p = timed(pyflink + ["run", "-d", "-p", "4", str(root / "ticks.py")] + conf, 60)
            running = p.stdout.split("JobID ")[1].split()[0]
            wait_until(lambda: all(v["status"] == "RUNNING" for v in rest.get(f"/jobs/{running}")["vertices"]),  # type: ignore[index]
                 30, "the p=4 job to run")
            lat_running = rest.latency_ms(f"/jobs/{running}", args.requests)
            lat_finished = rest.latency_ms(f"/jobs/{finished}", args.requests)
            lat_vertex = rest.latency_ms(
                f"/jobs/{running}/vertices/{rest.get(f'/jobs/{running}')['vertices'][1]['id']}",  # type: ignore[index]
                args.requests)
            rss_one = jobmanager_rss_mb(cluster)
            timed(pyflink + ["cluster", "stop"] + conf, 60)

            store = cluster.ha_dir / "execution-graph-store"
            graph_bytes = (store / f"{finished}.graph").stat().st_size
            seed_store(store, finished, args.jobs - 1)
            start_s, p = timed(pyflink + ["cluster", "start"] + conf, 60)
            assert p.returncode == 0, p.stderr
            rss_idle = jobmanager_rss_mb(cluster)
            listed = len(rest.get("/jobs/overview")["jobs"])  # type: ignore[index]
            rss_listed = jobmanager_rss_mb(cluster)
            t0 = time.perf_counter()
            for job in rest.get("/jobs/overview")["jobs"]:  # type: ignore[index]
                rest.get(f"/jobs/{job['jid']}")
            read_all_s = time.perf_counter() - t0
            rss_read = jobmanager_rss_mb(cluster)
            lat_cold = rest.latency_ms(f"/jobs/{finished}", args.requests)
        finally:
            timed(pyflink + ["cluster", "stop"] + conf, 60)
            cluster.kill_leftovers()

    def fmt(lat: dict[str, float]) -> str:
        return f"median {lat['median']:.1f} ms, p95 {lat['p95']:.1f} ms, max {lat['max']:.1f} ms"
    print(f"GET /jobs/:id, running p=4 job (3 vertices, 9 subtasks): {fmt(lat_running)}")
    print(f"GET /jobs/:id/vertices/:vid, running p=4 job:            {fmt(lat_vertex)}")
    print(f"GET /jobs/:id, finished p=4 job (job store):            {fmt(lat_finished)}")
    print(f"GET /jobs/:id, finished job after a restart, {args.jobs} kept: {fmt(lat_cold)}")
    print(f"archived graph of the p=4 word count: {graph_bytes / 1024:.1f} KiB on disk")
    print(f"JobManager RSS, 1 job kept (after the runs above): {rss_one:.1f} MiB")
    print(f"cluster start with {args.jobs} jobs in the store: {start_s:.2f} s (with an empty store: {empty_start_s:.2f} s)")
    print(f"JobManager RSS with {args.jobs} jobs kept: idle {rss_idle:.1f} MiB, after /jobs/overview ({listed} jobs) "
          f"{rss_listed:.1f} MiB, after GET /jobs/:id of every one ({read_all_s:.1f} s) {rss_read:.1f} MiB")


if __name__ == "__main__":
    main()
