"""What security costs: CURVE on (the default) against CURVE off, on the same machine.

    python benchmarks/security.py [--runs 3] [--n1 1000000 --n2 5000000] [--aiohttp-path DIR]

Runs alternate between the two settings (on, off, on, off, ...) so that a change in the
machine's load hits both alike. Each run, on a fresh temporary conf dir with free ports and
its own keys directory (``security.internal.enabled = true|false``, 2 TaskManagers):

* ``pyflink cluster start``  wall time until it returns (all TaskManagers registered)
* ``pyflink list``           invocation to exit, median of 5
* RSS of the JobManager and of one TaskManager right after start
* the throughput benchmark's keyed job (map -> key_by -> reduce -> filter -> print) at p=2
  across the two TaskManagers, so half the records cross a (CURVE-encrypted) data port:
  marginal records/s (N2 - N1) / (t2 - t1), attached ``pyflink run`` invocation to exit, and
  the marginal CPU time of the cluster's processes per record

and reports the medians and the ratio on/off (goal for throughput: >= 0.95, since CURVE
encrypts per buffer, not per record). With ``--aiohttp-path`` (a directory holding an
installed aiohttp, e.g. ``pip install --target DIR aiohttp``) it also reports what
importing aiohttp would add to the JobManager (time and RSS), the cost of moving REST to
it. Prints figures only; never asserts. Cleans up every process it started.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TempCluster, machine_line, median, other_python_load, pyflink_command, timed  # noqa: E402
from throughput import OUR_JOB, verify  # noqa: E402


def rss_mib(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def one_run(pyflink: list[str], base: Path, curve: bool, job: Path, n1: int, n2: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"curve-{'on' if curve else 'off'}-", dir=base))
    cluster = TempCluster(root, 2, {"security.internal.enabled": curve})
    conf = ["--conf-dir", str(cluster.conf_dir)]
    out: dict = {}
    try:
        dt, p = timed(pyflink + ["cluster", "start", *conf], 60)
        cluster.pid_files()
        if p.returncode != 0:
            raise RuntimeError(f"cluster start failed: {p.stderr.strip()[-400:]}")
        out["start"] = dt
        pids = cluster.pid_files()
        jm = pids.get("pyflink-jobmanager.pid")
        tms = [pid for name, pid in pids.items() if name.startswith("pyflink-taskmanager-")]
        out["jm_rss"], out["tm_rss"] = rss_mib(jm) if jm else float("nan"), rss_mib(tms[0]) if tms else float("nan")
        lists = []
        for _ in range(5):
            dt, p = timed(pyflink + ["list", *conf], 30)
            if p.returncode != 0:
                raise RuntimeError(f"list failed: {p.stderr.strip()[-400:]}")
            lists.append(dt)
        out["list"] = median(lists)
        times, cpu = {}, {}
        procs = [psutil.Process(pid) for pid in pids.values()]
        for n in (n1, n2):
            cpu0 = cpu_seconds(procs)
            dt, p = timed(pyflink + ["run", "-p", "2", *conf, str(job), "keyed", str(n)], 600)
            problem = verify("keyed", n, p.stdout) if p.returncode == 0 else p.stderr.strip()[-400:]
            if problem:
                raise RuntimeError(f"keyed job N={n}: {problem}")
            times[n], cpu[n] = dt, cpu_seconds(procs) - cpu0
        out["rate"] = (n2 - n1) / (times[n2] - times[n1]) if times[n2] > times[n1] else float("nan")
        # CPU time of the cluster's processes (all threads, libzmq's I/O threads included) per
        # record: what encryption costs, much less disturbed by other load than wall time
        out["cpu_ns"] = 1e9 * (cpu[n2] - cpu[n1]) / (n2 - n1)
    finally:
        subprocess.run(pyflink + ["cluster", "stop", *conf], capture_output=True, text=True, timeout=60)
        cluster.kill_leftovers()
    return out


def aiohttp_cost(path: str) -> str:
    """Import time and RSS of aiohttp in a fresh interpreter, against the REST module we have."""
    code = ("import time, resource, sys; t = time.perf_counter(); import {m}; "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([path, os.environ.get("PYTHONPATH", "")]))
    rows = []
    for module in ("runtime.rest.web_monitor_endpoint", "aiohttp.web"):
        samples = []
        for _ in range(5):
            p = subprocess.run([sys.executable, "-c", code.format(m=module)], capture_output=True, text=True,
                               env=env, timeout=60)
            if p.returncode != 0:
                return f"aiohttp not importable from {path}: {p.stderr.strip()[-200:]}"
            secs, maxrss_kib = p.stdout.split()
            samples.append((float(secs), int(maxrss_kib) / 1024))
        rows.append((module, median([s for s, _ in samples]), median([r for _, r in samples])))
    (m0, t0, r0), (m1, t1, r1) = rows
    return (f"import {m0}: {t0 * 1000:.0f} ms, max RSS {r0:.1f} MiB; import {m1}: {t1 * 1000:.0f} ms, "
            f"max RSS {r1:.1f} MiB -> aiohttp would add about {(t1 - t0) * 1000:.0f} ms and {r1 - r0:.1f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per setting (alternating); medians are reported")
    ap.add_argument("--n1", type=int, default=1_000_000)
    ap.add_argument("--n2", type=int, default=5_000_000)
    ap.add_argument("--aiohttp-path", help="directory with an installed aiohttp (pip install --target DIR aiohttp)")
    args = ap.parse_args()
    pyflink, how = pyflink_command()
    print("# security benchmark: CURVE on vs off")
    print(f"machine: {machine_line()}")
    print(other_python_load())
    print(f"{args.runs} run(s) per setting, alternating; keyed job at p=2, N1/N2 = {args.n1:,}/{args.n2:,}; via {how}")
    base = Path(tempfile.mkdtemp(prefix="pyflink-bench-security-"))
    job = base / "job.py"
    job.write_text(OUR_JOB)
    results: dict[bool, list[dict]] = {True: [], False: []}
    try:
        for i in range(args.runs):
            for curve in (True, False) if i % 2 == 0 else (False, True):
                started = time.perf_counter()
                r = one_run(pyflink, base, curve, job, args.n1, args.n2)
                results[curve].append(r)
                print(f"  run {i + 1} CURVE {'on ' if curve else 'off'}: start {r['start']:.3f} s, list "
                      f"{r['list']:.3f} s, JM {r['jm_rss']:.1f} MiB, TM {r['tm_rss']:.1f} MiB, keyed p=2 "
                      f"{r['rate']:,.0f} rec/s, {r['cpu_ns']:.0f} ns CPU/rec ({time.perf_counter() - started:.0f} s)")
                sys.stdout.flush()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print()
    print(f"{'':26} {'CURVE on':>12} {'CURVE off':>12} {'on / off':>9}")
    for key, label, unit in (("start", "cluster start", "s"), ("list", "list", "s"),
                             ("jm_rss", "JobManager RSS", "MiB"), ("tm_rss", "TaskManager RSS", "MiB"),
                             ("rate", "keyed p=2 throughput", "rec/s"), ("cpu_ns", "keyed p=2 CPU per record", "ns")):
        on = median([r[key] for r in results[True]])
        off = median([r[key] for r in results[False]])
        fmt = "{:,.0f}" if key in ("rate", "cpu_ns") else "{:.3f}" if unit == "s" else "{:.1f}"
        print(f"{label + ' (' + unit + ')':26} {fmt.format(on):>12} {fmt.format(off):>12} {on / off:>9.3f}")
    if args.aiohttp_path:
        print()
        print(aiohttp_cost(args.aiohttp_path))
    print(f"finished: {machine_line()}")


if __name__ == "__main__":
    main()
