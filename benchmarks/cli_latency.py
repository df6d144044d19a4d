"""Client command latency (issue 13): how long each ``pyflink`` command takes, beside the
cost of starting Python at all.

    python benchmarks/cli_latency.py [--rounds 7] [--taskmanagers 2]
    python benchmarks/cli_latency.py --repo /path/to/other/checkout   # the same figures for another tree

Each round, on a fresh temporary conf dir with free ports, in this order (interleaved, so a
busy spell of the shared machine hits every command alike):

* ``pyflink cluster start``        until the command returns (it returns once every forked
                                   TaskManager has registered)
* ``pyflink run -d word_count``    submit the word count and return
* ``pyflink list``                 with one running job (a table is printed)
* ``pyflink cancel JOB``           of that running job, until it is CANCELED
* ``pyflink --help``, ``python -c pass``, ``python -c 'import pyflink_cli.cli'``
* ``pyflink cluster stop``         until the command returned and every process of the
                                   cluster (pids from the pid files) has exited

Beside ``cluster start`` the CPU time the JobManager and the TaskManagers had used when it
returned (from /proc): with the CLI's, what the start costs the machine in all.

For each step: median and p90 wall time over the rounds, the median CPU time of the command's
own process (user + sys; wall time on a shared 2-core machine is noisy, CPU time much less),
and the ratio to ``python -c pass``. The 1-minute load average is printed with every round.

Children run with a bytecode cache (``PYTHONPYCACHEPREFIX`` in a temporary directory, and
``PYTHONDONTWRITEBYTECODE`` unset), as an installed package has; a first round warms it and
is not counted. ``--no-bytecode-cache`` keeps the environment as it is. Prints figures only;
never asserts. Cleans up every process it started.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, TempCluster, machine_line, median, other_python_load  # noqa: E402

#: step, goal in seconds (issue 13; None: no goal of its own)
STEPS = [
    ("python -c pass", None),
    ("import pyflink_cli.cli", None),
    ("pyflink --help", 0.15),
    ("pyflink list", 0.15),
    ("pyflink cancel (running job)", 0.15),
    ("pyflink run -d word_count", 0.15),
    ("pyflink cluster start", 0.5),
    ("  JobManager+TMs CPU in start", None),
    ("pyflink cluster stop", 0.5),
]

SLEEPER = '''"""A job that runs until cancelled, idle (the benchmark cancels it)."""
import time

from runtime.datastream import SourceFunction, StreamExecutionEnvironment


class Idle(SourceFunction):
    def run(self, ctx):
        self.running = True
        while self.running:  # notices cancel() within 5 ms: the cancel's time is the engine's, not this nap's
            time.sleep(0.005)

    def cancel(self):
        self.running = False


env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(Idle(), "idle").print()
env.execute("idle")
'''


def p90(xs: list[float]) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


class Runner:
    """Runs commands with the benchmark's environment; wall and CPU time of each."""

    def __init__(self, repo: Path, extra_path: list[str], cache: Path | None) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(extra_path + [str(repo)] + ([env["PYTHONPATH"]] if env.get(
            "PYTHONPATH") else []))
        if cache is not None:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(cache)
        self.env = env
        self.repo = repo
        self.pyflink = [sys.executable, "-m", "pyflink_cli"]

    def run(self, args: list[str], timeout: float = 60.0) -> tuple[float, float, subprocess.CompletedProcess]:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=self.env, cwd=self.repo)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        return wall, cpu, proc

    def typer_version(self) -> str:
        proc = subprocess.run([sys.executable, "-c", "import typer; print(typer.__version__)"], capture_output=True,
                              text=True, env=self.env)
        return proc.stdout.strip() or "?"


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _job_id(output: str) -> str | None:
    for word in output.replace(".", " ").split():
        if len(word) == 32 and all(c in "0123456789abcdef" for c in word):
            return word
    return None


def one_round(r: Runner, root: Path, tms: int) -> tuple[dict[str, tuple[float, float]], list[str]]:
    out: dict[str, tuple[float, float]] = {}
    errors: list[str] = []
    cluster = TempCluster(root, tms)
    conf = ["--conf-dir", str(cluster.conf_dir)]
    sleeper = root / "idle_job.py"
    sleeper.write_text(SLEEPER)

    def step(name: str, args: list[str], ok=lambda p: p.returncode == 0) -> subprocess.CompletedProcess | None:
        try:
            wall, cpu, proc = r.run(args)
        except subprocess.TimeoutExpired:
            errors.append(f"{name}: timed out")
            return None
        if not ok(proc):
            errors.append(f"{name}: exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}")
            return None
        out[name] = (wall, cpu)
        return proc

    try:
        if step("pyflink cluster start", r.pyflink + ["cluster", "start"] + conf) is None:
            return out, errors
        # what the JobManager and TaskManagers used to get there (not children of ours: /proc)
        out["  JobManager+TMs CPU in start"] = (float("nan"), sum(_proc_cpu(p) for p in cluster.pid_files().values()))
        step("pyflink run -d word_count", r.pyflink + ["run", "-d"] + conf + [str(r.repo / "examples" / "word_count.py")],
             ok=lambda p: p.returncode == 0 and _job_id(p.stdout) is not None)
        _, _, submitted = r.run(r.pyflink + ["run", "-d"] + conf + [str(sleeper)])
        job = _job_id(submitted.stdout)
        if job is None:
            errors.append(f"could not submit the idle job: {submitted.stderr.strip()[-300:]}")
        else:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # list and cancel a RUNNING job
                _, _, listed = r.run(r.pyflink + ["list", "--json"] + conf)
                if f'"{job}"' in listed.stdout and "RUNNING" in listed.stdout:
                    break
                time.sleep(0.05)
            step("pyflink list", r.pyflink + ["list"] + conf, ok=lambda p: p.returncode == 0 and job in p.stdout)
            step("pyflink cancel (running job)", r.pyflink + ["cancel", job] + conf,
                 ok=lambda p: p.returncode == 0 and "CANCELED" in p.stdout)
        step("pyflink --help", r.pyflink + ["--help"], ok=lambda p: p.returncode == 0 and "cluster" in p.stdout)
        step("python -c pass", [sys.executable, "-c", "pass"])
        step("import pyflink_cli.cli", [sys.executable, "-c", "import pyflink_cli.cli"])

        watched = list(cluster.pid_files().values())
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.Popen(r.pyflink + ["cluster", "stop"] + conf, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=r.env)
        done_cli = done_all = None
        while (done_cli is None or done_all is None) and time.perf_counter() - t0 < 20:
            now = time.perf_counter()
            if done_cli is None and proc.poll() is not None:
                done_cli = now
            if done_all is None and not any(cluster.alive(p) for p in watched):
                done_all = now
            time.sleep(0.002)
        _, err = proc.communicate(timeout=20)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0 or done_cli is None or done_all is None:
            errors.append(f"cluster stop: exit {proc.returncode}, all gone: {done_all is not None}: {err[-300:]}")
        else:
            out["pyflink cluster stop"] = (max(done_cli, done_all) - t0,
                                           (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        return out, errors
    finally:
        killed = cluster.kill_leftovers()
        if killed:
            errors.append(f"had to kill leftover processes {killed}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7, help="measured rounds (after one warm-up round)")
    ap.add_argument("--taskmanagers", type=int, default=2, help="taskmanager.count (default 2)")
    ap.add_argument("--repo", type=Path, default=REPO, help="the source tree to measure (default: this one)")
    ap.add_argument("--pythonpath", action="append", default=[],
                    help="put this directory first on the children's PYTHONPATH (e.g. another typer)")
    ap.add_argument("--no-bytecode-cache", action="store_true", help="run the children with the environment as is")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="pyflink-bench-cli-"))
    cache = None if args.no_bytecode_cache else base / "pycache"
    r = Runner(args.repo.resolve(), args.pythonpath, cache)
    print("# client command latency (issue 13)")
    print(f"machine: {machine_line()}")
    print(other_python_load())
    print(f"tree: {r.repo}; typer {r.typer_version()}; taskmanager.count = {args.taskmanagers}; "
          f"{args.rounds} rounds after 1 warm-up; bytecode cache: {'off (as the environment has it)' if cache is None else 'on'}")
    print()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in STEPS}
    loads: list[float] = []
    try:
        for i in range(args.rounds + 1):
            load = os.getloadavg()[0]
            got, errors = one_round(r, base / f"round{i}", args.taskmanagers)
            if i == 0:
                print(f"warm-up round: load {load:.2f}" + (f"  ERRORS: {errors}" if errors else ""))
                continue
            loads.append(load)
            for name, v in got.items():
                results[name].append(v)
            brief = "  ".join(f"{name.replace('pyflink ', '').split(' (')[0]} {got[name][0]:.3f}"
                              for name, _ in STEPS if name in got and got[name][0] == got[name][0])
            print(f"round {i}: load {load:.2f}  {brief}" + (f"  ERRORS: {errors}" if errors else ""))
            sys.stdout.flush()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    floor = median([w for w, _ in results["python -c pass"]])
    floor_cpu = median([c for _, c in results["python -c pass"]])
    print()
    hdr = (f"{'step':30} {'median':>8} {'p90':>8} {'CPU med':>8} {'x pass':>7} {'CPU-pass':>9} {'goal':>6} "
           f"{'vs goal':>8}")
    print(hdr)
    print("-" * len(hdr))
    for name, goal in STEPS:
        xs = results[name]
        if not xs:
            print(f"{name:30} {'n/a':>8}")
            continue
        wall = median([w for w, _ in xs])
        cpu = median([c for _, c in xs])
        if wall != wall:  # CPU only (the cluster's processes during start)
            print(f"{name:30} {'-':>8} {'-':>8} {cpu:8.3f}")
            continue
        print(f"{name:30} {wall:8.3f} {p90([w for w, _ in xs]):8.3f} {cpu:8.3f} {wall / floor:6.1f}x "
              f"{cpu - floor_cpu:9.3f} {(f'{goal:.2f}' if goal else '-'):>6} "
              f"{(f'{wall / goal:7.2f}x' if goal else '-'):>8}")
    print()
    print("seconds; x pass: median wall / median wall of `python -c pass`; CPU-pass: the command's CPU time above "
          "that of `python -c pass`; vs goal: median / goal (<= 1.00 meets it). cluster start/stop CPU: the CLI "
          "process only (the JobManager and TaskManagers are not its waited children).")
    if loads:
        print(f"1-minute load average during the rounds: min {min(loads):.2f}, median {median(loads):.2f}, "
              f"max {max(loads):.2f}")
    print(f"finished: {machine_line()}")


if __name__ == "__main__":
    main()
