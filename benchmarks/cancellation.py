"""Cancellation benchmark (issue 8): seconds from ``pyflink cancel`` to CANCELED.

    python benchmarks/cancellation.py [--repeats 3]

On a temporary cluster (2 TaskManagers, 1 slot each, ``task.cancellation.timeout`` 2 s):
for each job below, ``run -d``, wait until it is RUNNING and busy in its user function, then
time ``pyflink cancel --json`` (which waits until the job reached a terminal state):

* a map sleeping 1 s per record (``time.sleep`` is interrupted in the task thread);
* a map spinning in pure Python (``while True: pass``, swallowing exceptions once);
* a SourceFunction that ignores ``cancel()`` and keeps collecting;
* a map stuck in one C call (``sum(range(10**15))``): no Python code runs in its TaskManager,
  so the JobManager ends that TaskManager after ``task.cancellation.timeout`` and the
  launcher forks a new one; also timed: until both slots are free again.

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TempCluster, machine_line, pyflink_command, timed, wait_until  # noqa: E402
from cancellation_jobs import C_CALL_MAP, SLEEPING_MAP, SPINNING_MAP, STUBBORN_SOURCE  # noqa: E402 - in tests/

JOBS = {"sleeping map": SLEEPING_MAP, "spinning map": SPINNING_MAP, "source ignoring cancel": STUBBORN_SOURCE,
        "map in one C call": C_CALL_MAP}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pyflink, note = pyflink_command()
    print(f"# cancellation benchmark — {machine_line()}")
    print(f"# pyflink: {note}")
    with tempfile.TemporaryDirectory(prefix="pyflink-cancel-bench-") as tmp:
        root = Path(tmp)
        cluster = TempCluster(root, 2, {"task.cancellation.timeout": 2000})
        conf = ["--conf-dir", str(cluster.conf_dir)]

        def status() -> dict:
            _, p = timed(pyflink + ["cluster", "status", "--json"] + conf, 30)
            return json.loads(p.stdout) if p.returncode == 0 else {}

        def state(jid: str) -> str:
            _, p = timed(pyflink + ["list", "-a", "--json"] + conf, 30)
            if p.returncode != 0:
                return ""
            for job in json.loads(p.stdout)["jobs"]:
                if job.get("jid") == jid:
                    return str(job.get("state"))
            return ""

        try:
            _, p = timed(pyflink + ["cluster", "start"] + conf, 60)
            if p.returncode != 0:
                sys.exit(f"cluster start failed: {p.stderr.strip()}")
            for name, source in JOBS.items():
                job = root / (name.replace(" ", "_") + ".py")
                job.write_text(source)
                reported, wall, free = [], [], []
                for _ in range(args.repeats):
                    _, p = timed(pyflink + ["run", "-d", str(job)] + conf, 60)
                    if p.returncode != 0:
                        sys.exit(f"{name}: run failed: {p.stderr.strip()}")
                    jid = p.stdout.split("JobID ")[1].split()[0]
                    wait_until(lambda: state(jid) == "RUNNING", 30, f"{name} to run")
                    time.sleep(0.5)  # benchmark pacing, not synchronisation: let the user code get going
                    t0 = time.perf_counter()
                    _, p = timed(pyflink + ["cancel", "--json", jid] + conf, 120)
                    wall.append(time.perf_counter() - t0)
                    outcome = json.loads(p.stdout) if p.returncode == 0 else {"state": "?", "seconds": float("nan")}
                    reported.append(float(outcome["seconds"]))
                    wait_until(lambda: status().get("slots-available") == 2 and status().get("taskmanagers") == 2, 60,
                               "both slots to be free again")
                    free.append(time.perf_counter() - t0)
                    if outcome["state"] != "CANCELED":
                        print(f"  {name}: reached {outcome['state']}")
                print(f"{name:24s}: cancel → CANCELED median {statistics.median(reported):.2f} s "
                      f"(max {max(reported):.2f}; `pyflink cancel` wall {statistics.median(wall):.2f} s); "
                      f"both slots free again {statistics.median(free):.2f} s")
        finally:
            timed(pyflink + ["cluster", "stop"] + conf, 60)
            left = cluster.kill_leftovers()
            if left:
                print(f"# killed leftover processes: {left}")


if __name__ == "__main__":
    main()
