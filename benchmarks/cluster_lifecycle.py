"""Cluster lifecycle benchmark: how "instant" the operating model feels.

    python benchmarks/cluster_lifecycle.py [--runs 5] [--taskmanagers 2]

Each run, on a fresh temporary conf dir with free ports (taskmanager.count = 2 by default):

* ``pyflink cluster start``          wall time until the command returns (it returns once
                                     every forked TaskManager has registered)
* ``pyflink run examples/word_count.py``  invocation to exit, attached, on that cluster
* ``pyflink list``                   invocation to exit
* ``pyflink cluster stop``           invocation until no process of the cluster remains
                                     (pids from the pid files checked with psutil)
* RSS of the JobManager and of one idle TaskManager, right after start

Prints the median over the runs (and min/max), the ratio to our goals and to Apache Flink
2.3 standalone reference figures, and a bare-Python floor (interpreter start, and
interpreter start + importing the CLI) so the share that is just "starting Python" is
visible. Prints figures only; never asserts. Cleans up every process it started.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, TempCluster, machine_line, median, other_python_load, pyflink_command, timed  # noqa: E402

# (label, goal, Apache Flink 2.3 standalone reference, unit)
METRICS = [
    ("cluster start", 0.5, 5.9, "s"),
    ("run word_count (attached)", 0.5, 6.1, "s"),
    ("list", 0.2, 1.6, "s"),
    ("cluster stop (all gone)", 0.5, 5.7, "s"),
    ("RSS JM + 1 idle TM", 80.0, 590.0, "MB"),
]


def rss_mb(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def one_run(pyflink: list[str], root: Path, tms: int, timeout: float) -> dict:
    cluster = TempCluster(root, tms)
    conf = ["--conf-dir", str(cluster.conf_dir)]
    r: dict = {"errors": []}
    try:
        t, p = timed(pyflink + ["cluster", "start"] + conf, timeout)
        r["cluster start"] = t
        if p.returncode != 0:
            r["errors"].append(f"cluster start exited {p.returncode}: {p.stderr.strip()[-300:]}")
            return r
        pids = cluster.pid_files()
        jm = pids.get("pyflink-jobmanager.pid")
        tm_pids = [pid for name, pid in sorted(pids.items()) if name.startswith("pyflink-taskmanager-")]
        if len(tm_pids) < tms:
            r["errors"].append(f"expected {tms} TaskManager pid files after start, found {len(tm_pids)}")
        r["rss_jm"] = rss_mb(jm) if jm else float("nan")
        r["rss_tm"] = rss_mb(tm_pids[0]) if tm_pids else float("nan")
        r["RSS JM + 1 idle TM"] = r["rss_jm"] + r["rss_tm"]
        r["rss_all"] = sum(rss_mb(p) for p in pids.values())

        t, p = timed(pyflink + ["run"] + conf + [str(REPO / "examples" / "word_count.py")], timeout, cwd=REPO)
        r["run word_count (attached)"] = t
        if p.returncode != 0 or "(to,6)" not in p.stdout or "FINISHED" not in p.stdout:
            r["errors"].append(f"run exited {p.returncode}, output not as expected: "
                               f"{(p.stdout + p.stderr).strip()[-300:]}")
        r["rss_tm_after_job"] = max((rss_mb(p_) for p_ in tm_pids), default=float("nan"))

        t, p = timed(pyflink + ["list"] + conf, timeout)
        r["list"] = t
        if p.returncode != 0:
            r["errors"].append(f"list exited {p.returncode}: {p.stderr.strip()[-300:]}")

        # stop: poll the CLI and every pid from the pid files together; a process counts as
        # gone once it has exited (a zombie waiting for its parent / init to reap it has exited)
        watched = list(cluster.known_pids)
        t0 = time.perf_counter()
        p = subprocess.Popen(pyflink + ["cluster", "stop"] + conf, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        t_cli = t_procs = None
        deadline = t0 + 15
        while (t_cli is None or t_procs is None) and time.perf_counter() < deadline:
            now = time.perf_counter()
            if t_cli is None and p.poll() is not None:
                t_cli = now - t0
            if t_procs is None and not any(cluster.alive(x) for x in watched):
                t_procs = now - t0
            time.sleep(0.002)
        if t_cli is None:
            p.kill()
            r["errors"].append("cluster stop did not return within 15 s")
        out, err = p.communicate()
        r["stop returned"] = t_cli if t_cli is not None else float("nan")
        r["stop processes exited"] = t_procs if t_procs is not None else float("nan")
        if t_cli is not None and t_procs is not None:
            r["cluster stop (all gone)"] = max(t_cli, t_procs)
        left = [x for x in watched if cluster.alive(x)]
        if p.returncode != 0:
            r["errors"].append(f"cluster stop exited {p.returncode}: {err.strip()[-300:]}")
        if left:
            r["errors"].append(f"processes still alive 15 s after cluster stop: {left}")
        return r
    finally:
        killed = cluster.kill_leftovers()
        if killed:
            r["errors"].append(f"benchmark had to kill leftover processes {killed}")


def floor(timeout: float) -> dict:
    """Bare-Python floor: interpreter start, and interpreter start + importing the CLI."""
    out = {}
    for label, cmd in (("python -c pass", [sys.executable, "-c", "pass"]),
                       ("python -c 'import pyflink_cli.cli'", [sys.executable, "-c", "import pyflink_cli.cli"])):
        ts = []
        for _ in range(5):
            t, _p = timed(cmd, timeout)
            ts.append(t)
        out[label] = median(ts)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--taskmanagers", type=int, default=2, help="taskmanager.count (default 2)")
    ap.add_argument("--timeout", type=float, default=60.0, help="per command, seconds")
    args = ap.parse_args()

    pyflink, how = pyflink_command()
    print("# cluster lifecycle benchmark")
    print(f"machine: {machine_line()}")
    print(f"{other_python_load()}")
    print(f"command: {how}; taskmanager.count = {args.taskmanagers}; runs = {args.runs}")
    print()

    runs = []
    base = Path(tempfile.mkdtemp(prefix="pyflink-bench-lifecycle-"))
    try:
        for i in range(args.runs):
            r = one_run(pyflink, base / f"run{i}", args.taskmanagers, args.timeout)
            runs.append(r)
            brief = "  ".join(f"{m[0].split(' (')[0]} {r[m[0]]:.3f}" for m in METRICS[:4] if m[0] in r)
            print(f"run {i + 1}: {brief}  RSS JM {r.get('rss_jm', float('nan')):.1f} MB, "
                  f"TM {r.get('rss_tm', float('nan')):.1f} MB" + (f"  ERRORS: {r['errors']}" if r["errors"] else ""))
            sys.stdout.flush()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    ok = [r for r in runs if not r["errors"]]
    print()
    if len(ok) < len(runs):
        print(f"NOTE: {len(runs) - len(ok)} of {len(runs)} runs had errors (listed above); medians use all runs "
              "that measured the step.")
    fl = floor(args.timeout)
    py_floor = fl["python -c pass"]

    hdr = f"{'step':28} {'median':>9} {'min':>8} {'max':>8} {'goal':>7} {'vs goal':>8} {'Flink 2.3':>10} {'vs Flink':>9} {'x python -c pass':>17}"
    print(hdr)
    print("-" * len(hdr))
    for label, goal, flink, unit in METRICS:
        xs = [r[label] for r in runs if label in r]
        if not xs:
            print(f"{label:28} {'n/a':>9}")
            continue
        med = median(xs)
        fmt = (lambda v: f"{v:.3f}{unit}") if unit == "s" else (lambda v: f"{v:.1f}{unit}")
        vs_python = f"{med / py_floor:.1f}x" if unit == "s" else ""
        print(f"{label:28} {fmt(med):>9} {fmt(min(xs)):>8} {fmt(max(xs)):>8} {fmt(goal):>7} {med / goal:>7.2f}x "
              f"{fmt(flink):>10} {med / flink:>8.3f}x {vs_python:>17}")
    print()
    print("vs goal: median / goal (<= 1.00 meets the goal). vs Flink: median / Apache Flink 2.3 standalone reference.")
    extra = [("stop: command returned", "stop returned", "s"),
             ("stop: cluster processes exited", "stop processes exited", "s"), ("RSS JobManager", "rss_jm", "MB"),
             ("RSS idle TaskManager", "rss_tm", "MB"), ("RSS whole cluster (JM + all TMs)", "rss_all", "MB"),
             ("RSS largest TM after word_count", "rss_tm_after_job", "MB")]
    for label, key, unit in extra:
        xs = [r[key] for r in runs if key in r]
        if xs:
            print(f"  {label:34} median {median(xs):.3f} s" if unit == "s" else
                  f"  {label:34} median {median(xs):.1f} MB")
    sr = median([r["stop returned"] for r in runs if "stop returned" in r])
    se = median([r["stop processes exited"] for r in runs if "stop processes exited" in r])
    if sr - se > 0.3:
        print(f"NOTE: the cluster's processes had exited {se:.3f} s after `cluster stop` began, but the command "
              f"returned only after {sr:.3f} s: it waits for the exited JobManager to be reaped (it stays a zombie "
              "until init reaps it; slow on some VMs/containers).")
    print("bare-Python floor (median of 5):")
    for label, v in fl.items():
        print(f"  {label:34} {v:.3f} s")


if __name__ == "__main__":
    main()
