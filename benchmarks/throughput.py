"""Throughput benchmark: records per second through Python functions, against a bare loop.

    python benchmarks/throughput.py [--n1 1000000 --n2 5000000] [--repeats 3]
                                    [--bytewax-python PY] [--flink-python PY] [--no-peers]

Two pipelines over ``NumberSequenceSource(1, N)``:

* keyed:     map x -> (x % 1000, 1) -> key_by(t[0]) -> reduce (sum of t[1])
             -> filter(count == N/1000) -> print         (prints exactly 1000 lines)
* stateless: map x * 2 -> filter x < 0 -> print           (prints nothing)

Each is run at N1 and N2 and reported as the MARGINAL rate (N2 - N1) / (t2 - t1), so the
fixed start-up cost (interpreter, imports, job submission, deployment) cancels out.
Configurations: the embedded mini cluster (``python job.py N``, subprocess wall time), a
2-TaskManager standalone cluster at p=1 and p=2 and a 4-TaskManager cluster at p=4
(``pyflink run -p P job.py N``, attached, invocation to exit; ``--no-p4`` skips it). The
configurations of a setup run interleaved (one run of each in turn), so drifting load on a
shared machine affects them alike. Beside records/s, the marginal CPU time per record (of the
cluster's processes, of the embedded job's process, of the bare loop) is reported: it moves
less with other load. Every run's output is checked (1000 correct lines / no lines) so a
broken run is never reported as fast.

The baseline is a bare Python loop over the same functions, run by this script in its own
process (keyed: a dict of running aggregates; stateless: map then filter), also marginal.

Peers, each in its own interpreter (given by flag, env var, or this one if it has them):
bytewax (``bytewax.testing.run_main``, one worker, TestingSource over a range) and Apache
Flink's PyFlink (local mini cluster, process and thread execution modes, smaller N because
it is much slower). A missing or failing peer is reported and skipped; our figures come
first and never depend on a peer. Prints figures only; never asserts. Cleans up every
process it started.
"""
from __future__ import annotations

import argparse
import atexit
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TempCluster, free_port, machine_line, median, other_python_load, pyflink_command  # noqa: E402

SHAPES = ("keyed", "stateless")
GOAL_VS_BARE = 0.50     # each shape at p=1 >= 50 % of the bare loop
GOAL_SPEEDUP = 1.7      # p=2 on 2 TaskManagers >= 1.7x p=1

# ------------------------------------------------------------------------------ job files
OUR_JOB = '''\
import os
import sys
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.connectors.number_seq import NumberSequenceSource


def main():
    shape, n = sys.argv[1], int(sys.argv[2])
    env = StreamExecutionEnvironment.get_execution_environment()
    if os.environ.get("PYFLINK_BENCH_CHECKPOINT_MS"):  # the embedded run of the "all on" setup
        env.enable_checkpointing(int(os.environ["PYFLINK_BENCH_CHECKPOINT_MS"]))
    src = env.from_source(NumberSequenceSource(1, n), None, "seq")
    if shape == "keyed":
        target = n // 1000
        (src.map(lambda x: (x % 1000, 1))
            .key_by(lambda t: t[0])
            .reduce(lambda a, b: (a[0], a[1] + b[1]))
            .filter(lambda t: t[1] == target)
            .print())
    else:
        src.map(lambda x: x * 2).filter(lambda x: x < 0).print()
    env.execute(f"bench-{shape}-{n}")


if __name__ == "__main__":
    main()
'''

BYTEWAX_JOB = '''\
import sys
import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink, TestingSource, run_main


def main():
    shape, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    out = []
    flow = Dataflow("bench_" + shape)
    s = op.input("seq", flow, TestingSource(range(1, n + 1), batch_size=batch))
    if shape == "keyed":
        target = n // 1000
        red = lambda a, b: (a[0], a[1] + b[1])

        def mapper(acc, v):  # rolling reduce, emitting every update like Flink's reduce
            acc = v if acc is None else red(acc, v)
            return acc, acc
        m = op.map("map", s, lambda x: (x % 1000, 1))
        k = op.key_on("key_by", m, lambda t: str(t[0]))  # bytewax keys must be str
        r = op.stateful_map("reduce", k, mapper)
        f = op.filter_value("filter", r, lambda t: t[1] == target)
        op.output("print", op.map("unkey", f, lambda kv: kv[1]), TestingSink(out))
    else:
        m = op.map("map", s, lambda x: x * 2)
        f = op.filter("filter", m, lambda x: x < 0)
        op.output("print", f, TestingSink(out))
    run_main(flow)
    for v in out:
        print(v)


if __name__ == "__main__":
    main()
'''

FLINK_JOB = '''\
import sys
from pyflink.common import Configuration, Types, WatermarkStrategy
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.number_seq import NumberSequenceSource


def main():
    shape, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    config = Configuration()
    config.set_string("python.execution-mode", mode)
    config.set_string("python.executable", sys.executable)
    config.set_string("python.client.executable", sys.executable)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    src = env.from_source(NumberSequenceSource(1, n), WatermarkStrategy.no_watermarks(), "seq")
    if shape == "keyed":
        target = n // 1000
        (src.map(lambda x: (x % 1000, 1), output_type=Types.TUPLE([Types.LONG(), Types.LONG()]))
            .key_by(lambda t: t[0], key_type=Types.LONG())
            .reduce(lambda a, b: (a[0], a[1] + b[1]))
            .filter(lambda t: t[1] == target)
            .print())
    else:
        src.map(lambda x: x * 2, output_type=Types.LONG()).filter(lambda x: x < 0).print()
    env.execute("bench-" + shape + "-" + str(n))


if __name__ == "__main__":
    main()
'''

# ------------------------------------------------------------------------------ checking
KEYED_LINE = re.compile(r"^(?:\d+> )?\((-?\d+),\s*(-?\d+)\)\s*$")
NUMBER_LINE = re.compile(r"^(?:\d+> )?-?\d+\s*$")


def verify(shape: str, n: int, stdout: str) -> str | None:
    """None if the output is exactly what the pipeline must print, else what is wrong."""
    lines = stdout.splitlines()
    if shape == "keyed":
        rows = [m.groups() for m in (KEYED_LINE.match(l) for l in lines) if m]
        keys = {int(k) for k, _ in rows}
        bad = [(k, c) for k, c in rows if int(c) != n // 1000]
        if len(rows) != 1000 or keys != set(range(1000)) or bad:
            return (f"keyed N={n}: expected 1000 lines (k,{n // 1000}) for k in 0..999, got {len(rows)} lines, "
                    f"{len(keys)} distinct keys, {len(bad)} wrong counts (e.g. {bad[:2]})")
        return None
    rows = [l for l in lines if NUMBER_LINE.match(l)]
    if rows:
        return f"stateless N={n}: expected no output, got {len(rows)} lines (e.g. {rows[:2]})"
    return None


# ------------------------------------------------------------------------------ bare loop
def bare_loop(shape: str, n: int) -> tuple[float, str]:
    """The same functions in a plain Python loop; returns (seconds, printed text)."""
    sink = io.StringIO()
    if shape == "keyed":
        target = n // 1000
        m = lambda x: (x % 1000, 1)  # noqa: E731
        key = lambda t: t[0]  # noqa: E731
        red = lambda a, b: (a[0], a[1] + b[1])  # noqa: E731
        flt = lambda t: t[1] == target  # noqa: E731
        t0 = time.perf_counter()
        state: dict = {}
        get = state.get
        for x in range(1, n + 1):
            v = m(x)
            k = key(v)
            acc = get(k)
            if acc is not None:
                v = red(acc, v)
            state[k] = v
            if flt(v):
                print(f"({v[0]},{v[1]})", file=sink)
        return time.perf_counter() - t0, sink.getvalue()
    m = lambda x: x * 2  # noqa: E731
    flt = lambda x: x < 0  # noqa: E731
    t0 = time.perf_counter()
    for x in range(1, n + 1):
        y = m(x)
        if flt(y):
            print(y, file=sink)
    return time.perf_counter() - t0, sink.getvalue()


# ------------------------------------------------------------------------------ running
class Result:
    def __init__(self, label: str) -> None:
        self.label = label
        self.times: dict[int, list[float]] = {}
        self.job_ms: dict[int, list[float]] = {}
        self.cpu: dict[int, list[float]] = {}
        self.errors: list[str] = []

    def add(self, n: int, seconds: float, job_ms: float | None = None, cpu: float | None = None) -> None:
        self.times.setdefault(n, []).append(seconds)
        if job_ms is not None:
            self.job_ms.setdefault(n, []).append(job_ms)
        if cpu is not None:
            self.cpu.setdefault(n, []).append(cpu)

    def t(self, n: int) -> float:
        return median(self.times.get(n, []))

    def marginal(self, n1: int, n2: int) -> float | None:
        if self.errors or n1 not in self.times or n2 not in self.times:
            return None
        dt = self.t(n2) - self.t(n1)
        return (n2 - n1) / dt if dt > 0 else None

    def marginal_cpu_us(self, n1: int, n2: int) -> float | None:
        """Cluster CPU (all TaskManagers and the JobManager, user + sys) per extra record, in us."""
        if self.errors or n1 not in self.cpu or n2 not in self.cpu:
            return None
        return (median(self.cpu[n2]) - median(self.cpu[n1])) / (n2 - n1) * 1e6

    def marginal_job(self, n1: int, n2: int) -> float | None:
        if self.errors or n1 not in self.job_ms or n2 not in self.job_ms:
            return None
        dt = (median(self.job_ms[n2]) - median(self.job_ms[n1])) / 1000.0
        return (n2 - n1) / dt if dt > 0 else None


JOB_RUNTIME = re.compile(r"Job Runtime: (\d+) ms")


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def children_cpu() -> float:
    """CPU (user + sys) of this process's children that have been waited for: an embedded
    run's whole process (its job, mini cluster and start-up)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_cmd(res: Result, cmd: list[str], shape: str, n: int, timeout: float, cwd: Path,
            env: dict | None = None, cpu_pids: list[int] | None = None) -> None:
    cpu0 = cpu_seconds(cpu_pids) if cpu_pids else children_cpu()
    t0 = time.perf_counter()
    # own session, so that on timeout the whole tree we started (e.g. Flink's JVM) goes with it
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException as exc:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        if not isinstance(exc, subprocess.TimeoutExpired):
            raise
        res.errors.append(f"{shape} N={n}: timed out after {timeout:.0f} s: {' '.join(cmd)}")
        return
    p = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        res.errors.append(f"{shape} N={n}: exit code {p.returncode}: {' '.join(cmd)}\n      "
                          + (p.stderr.strip() or p.stdout.strip())[-600:].replace("\n", "\n      "))
        return
    problem = verify(shape, n, p.stdout)
    if problem:
        res.errors.append(problem + f" ({' '.join(cmd)})")
        return
    m = JOB_RUNTIME.search(p.stdout)
    cpu = cpu_seconds(cpu_pids) - cpu0 if cpu_pids else children_cpu() - cpu0
    res.add(n, dt, float(m.group(1)) if m else None, cpu)


def fmt_rate(r: float | None, res: Result | None = None) -> str:
    if r is not None:
        return f"{r:,.0f}"
    if res is not None and not res.errors:
        return "noise"  # t(N2) <= t(N1): the extra records cost less than start-up jitter; raise N
    return "FAILED"


def fmt_ratio(r: float | None, base: float | None) -> str:
    return "-" if r is None or not base else f"{100 * r / base:.0f} %"


def clean_env() -> dict:
    env = dict(os.environ)
    for k in ("PYFLINK_CONF_DIR", "FLINK_CONF_DIR"):
        env.pop(k, None)
    return env


def run_interleaved(results: dict, todo: list[tuple[str, str, int | None, Any]], pyflink: list[str], job: Path,
                    ns: dict, args, base: Path, env: dict) -> None:
    """Every configuration of a setup, interleaved: for each shape, repeat and N, one run of
    each configuration in turn, so that a machine whose load drifts during the benchmark
    moves all of them alike instead of favouring whichever ran first."""
    for shape in SHAPES:
        for key, label, _par, _cluster in todo:
            results[(key, shape)] = Result(label)
        for _ in range(args.repeats):
            for n in ns[shape]:
                for key, _label, par, cluster in todo:
                    res = results[(key, shape)]
                    if res.errors:
                        continue
                    if par is None:
                        cmd = [sys.executable, str(job), shape, str(n)]
                        run_cmd(res, cmd, shape, n, args.timeout, base, env, None)
                    else:
                        cmd = pyflink + ["run", "-p", str(par), "--conf-dir", str(cluster.conf_dir), str(job),
                                         shape, str(n)]
                        run_cmd(res, cmd, shape, n, args.timeout, base, env, list(cluster.known_pids))
        for key, label, _par, _cluster in todo:
            res = results[(key, shape)]
            print(f"  measured {label:36} {shape:9} "
                  + ("FAILED" if res.errors else
                     f"t(N1) {res.t(ns[shape][0]):.2f} s  t(N2) {res.t(ns[shape][1]):.2f} s  -> "
                     f"{fmt_rate(res.marginal(*ns[shape]), res)} rec/s"))
        sys.stdout.flush()


def find_peer_python(flag: str | None, env_var: str, module: str) -> tuple[str | None, str]:
    candidates = [c for c in (flag, os.environ.get(env_var), sys.executable) if c]
    for c in candidates:
        try:
            ok = subprocess.run([c, "-c", f"import {module}"], capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return c, c
    return None, f"`{module}` not importable by {', '.join(dict.fromkeys(candidates))}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n1", type=int, default=1_000_000)
    ap.add_argument("--n2", type=int, default=5_000_000)
    ap.add_argument("--stateless-factor", type=int, default=5,
                    help="the stateless job is ~5x cheaper per record: run it at factor*N1, factor*N2 so the "
                         "marginal time is well above start-up noise (default 5)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per (config, shape, N); the median is used")
    ap.add_argument("--timeout", type=float, default=300.0, help="per run, seconds")
    ap.add_argument("--no-cluster", action="store_true", help="embedded mini cluster only")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-p4", action="store_true", help="skip the p=4 run on a 4-TaskManager cluster")
    ap.add_argument("--bare-only", action="store_true",
                    help="skip the 'all on' setup (checkpoints every 1 s, Prometheus, CURVE)")
    ap.add_argument("-D", dest="conf", action="append", default=[], metavar="KEY=VALUE",
                    help="configuration of the standalone cluster, e.g. -D security.internal.enabled=false")
    ap.add_argument("--print-job", action="store_true",
                    help="print our job file (args: keyed|stateless N) and exit, e.g. to reproduce a run by hand")
    ap.add_argument("--bytewax-python", help="interpreter that has bytewax (env PYFLINK_BENCH_BYTEWAX_PYTHON)")
    ap.add_argument("--bytewax-batch", type=int, default=1000, help="TestingSource batch_size (ours: 1000)")
    ap.add_argument("--flink-python", help="interpreter that has apache-flink (env PYFLINK_BENCH_FLINK_PYTHON)")
    ap.add_argument("--flink-repeats", type=int, default=1, help="runs per (mode, shape, N) for Apache Flink")
    ap.add_argument("--flink-n", default="100000,300000",
                    help="N1,N2 for Apache Flink (the stateless job uses --stateless-factor times these)")
    ap.add_argument("--flink-keyed-process-n", default="20000,60000",
                    help="N1,N2 for Apache Flink's keyed job in process mode (its reduce is very slow there)")
    args = ap.parse_args()
    if args.print_job:
        print(OUR_JOB, end="")
        return
    n1, n2 = args.n1, args.n2
    sf = args.stateless_factor
    ns = {"keyed": (n1, n2), "stateless": (n1 * sf, n2 * sf)}
    for n in (n1, n2):
        if n % 1000:
            sys.exit("N must be a multiple of 1000 (the keyed job counts to N/1000 per key)")

    pyflink, how = pyflink_command()
    print("# throughput benchmark (marginal records/s)")
    print(f"machine: {machine_line()}")
    print(other_python_load())
    print(f"keyed N1/N2 = {n1:,}/{n2:,}; stateless N1/N2 = {n1 * sf:,}/{n2 * sf:,}; {args.repeats} run(s) each "
          f"(median); cluster runs via {how}")
    print()

    base = Path(tempfile.mkdtemp(prefix="pyflink-bench-throughput-"))
    atexit.register(shutil.rmtree, base, True)
    job = base / "job.py"
    job.write_text(OUR_JOB)
    env = clean_env()
    results: dict[tuple[str, str], Result] = {}

    # ---------------------------------------------------------------- bare loop
    for shape in SHAPES:
        res = results[("bare", shape)] = Result("bare Python loop")
        for n in ns[shape]:
            for _ in range(args.repeats):
                c0 = time.process_time()
                dt, out = bare_loop(shape, n)
                cpu = time.process_time() - c0
                problem = verify(shape, n, out)
                if problem:
                    res.errors.append("bare loop: " + problem)
                res.add(n, dt, None, cpu)
    bare = {s: results[("bare", s)].marginal(*ns[s]) for s in SHAPES}

    # ---------------------------------------------------------------- ours
    # two setups side by side: "bare" (no checkpoints, no reporter, CURVE off) and "all on"
    # (what a production user runs: checkpoints every second, metrics with the Prometheus
    # reporter, CURVE on every connection). Metrics are always counted; "bare" only serves them.
    extra = dict(kv.split("=", 1) for kv in args.conf)
    setups = [("bare", "", {"security.internal.enabled": "false", **extra}, {})]
    if not args.bare_only:
        prom = free_port()
        setups.append(("all", " [all on]", {
            "execution.checkpointing.interval": "1 s",
            "metrics.reporter.prom.factory.class": "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
            "metrics.reporter.prom.port": f"{prom}-{prom + 10}", **extra}, {"PYFLINK_BENCH_CHECKPOINT_MS": "1000"}))
    configs: list[tuple[str, str, int | None]] = []
    for setup, suffix, conf, job_env in setups:
        clusters: dict[int, TempCluster] = {}
        todo: list[tuple[str, str, int | None, Any]] = [(f"embedded-{setup}", "embedded, p=1" + suffix, None, None)]
        try:
            if not args.no_cluster:
                print(f"cluster configuration{suffix or ' [bare]'}: {conf}")
                wanted = [(2, [1, 2])] + ([(4, [4])] if not args.no_p4 else [])
                for tms, pars in wanted:
                    cluster = clusters[tms] = TempCluster(base / f"cluster-{setup}-{tms}", tms, conf)
                    p = subprocess.run(pyflink + ["cluster", "start", "--conf-dir", str(cluster.conf_dir)],
                                       capture_output=True, text=True, timeout=60)
                    cluster.pid_files()
                    if p.returncode != 0:
                        print(f"NOTE: cluster start ({tms} TaskManagers) failed (exit {p.returncode}): "
                              f"{p.stderr.strip()[-400:]}")
                        continue
                    todo += [(f"p{par}-{setup}", f"{tms}-TM cluster, p={par}{suffix}", par, cluster) for par in pars]
            configs += [(key, label, par) for key, label, par, _ in todo]
            run_interleaved(results, todo, pyflink, job, ns, args, base, dict(env, **job_env))
        finally:
            for cluster in clusters.values():
                try:
                    subprocess.run(pyflink + ["cluster", "stop", "--conf-dir", str(cluster.conf_dir)],
                                   capture_output=True, text=True, timeout=60)
                except subprocess.TimeoutExpired:
                    pass
                killed = cluster.kill_leftovers()
                if killed:
                    print(f"NOTE: had to kill leftover cluster processes {killed}")

    # ---------------------------------------------------------------- our table
    print()
    hdr = (f"{'configuration':38} {'shape':10} {'records/s':>12} {'vs bare loop':>13} {'goal':>8} "
           f"{'job-runtime rec/s':>18} {'CPU us/rec':>11}")
    print(hdr)
    print("-" * len(hdr))
    for shape in SHAPES:
        bcpu = results[("bare", shape)].marginal_cpu_us(*ns[shape])
        us = f"{bcpu:.3f}" if bcpu is not None else "-"
        print(f"{'bare Python loop (same fns)':38} {shape:10} {fmt_rate(bare[shape]):>12} {'100 %':>13} {'':>8} "
              f"{'':>18} {us:>11}")
    for key, label, par in configs:
        for shape in SHAPES:
            res = results.get((key, shape))
            if res is None:
                continue
            r = res.marginal(*ns[shape])
            goal = ""
            if key.split("-")[0] in ("embedded", "p1") and r is not None and bare[shape]:
                goal = "meets" if r / bare[shape] >= GOAL_VS_BARE else "BELOW"
            jr = res.marginal_job(*ns[shape])
            cu = res.marginal_cpu_us(*ns[shape])
            print(f"{label:38} {shape:10} {fmt_rate(r, res):>12} {fmt_ratio(r, bare[shape]):>13} {goal:>8} "
                  f"{(fmt_rate(jr) if jr else '-'):>18} {(f'{cu:.3f}' if cu is not None else '-'):>11}")
    print(f"goal: each shape at p=1 >= {GOAL_VS_BARE:.0%} of the bare loop. job-runtime rec/s: marginal over the "
          "'Job Runtime' the client reports (cluster runs only).")
    print("CPU us/rec: marginal CPU time per record of all cluster processes (cluster runs), of the job's process "
          "(embedded), of the loop (bare) -- at p=2 more than p=1 means the exchange between processes costs CPU. "
          "It moves less with other load on the machine than records/s.")
    for setup, suffix, _conf, _env in setups:
        for shape in SHAPES:
            rates = {k: (results[(f"{k}-{setup}", shape)].marginal(*ns[shape])
                         if (f"{k}-{setup}", shape) in results else None) for k in ("embedded", "p1", "p2", "p4")}
            if rates["p1"] and rates["p2"]:
                x = rates["p2"] / rates["p1"]
                print(f"speed-up p=2 / p=1 ({shape}{suffix}): {x:.2f}x   (goal >= {GOAL_SPEEDUP}x: "
                      f"{'meets' if x >= GOAL_SPEEDUP else 'BELOW'})")
            if rates["p1"] and rates["p4"]:
                print(f"speed-up p=4 on 4 TaskManagers / p=1 ({shape}{suffix}): {rates['p4'] / rates['p1']:.2f}x   "
                      f"(no goal: {psutil.cpu_count()} cores, so below 2x is expected)")
            if rates["p1"] and rates["embedded"] and bare[shape]:
                gap = 100 * (rates["embedded"] - rates["p1"]) / bare[shape]
                where = f"{gap:.0f} points below" if gap >= 0 else f"{-gap:.0f} points above"
                print(f"cluster p=1 vs embedded ({shape}{suffix}): {where} embedded, in % of the bare loop "
                      f"(goal: at most 5 below)")
    errors = [(res.label, e) for res in results.values() for e in res.errors]
    for label, e in errors:
        print(f"ERROR [{label}] {e}")
    sys.stdout.flush()

    # ---------------------------------------------------------------- peers
    if not args.no_peers:
        print()
        print("## peers (their own interpreters; marginal records/s; ratio to the same bare loop above)")
        try:
            run_bytewax(args, base, ns, bare)
        except Exception as exc:  # a peer must never stop our figures
            print(f"bytewax: skipped after an error: {exc!r}")
        try:
            run_flink(args, base, bare)
        except Exception as exc:
            print(f"Apache Flink: skipped after an error: {exc!r}")
    shutil.rmtree(base, ignore_errors=True)
    print()
    print(f"finished: {machine_line()}")


def run_bytewax(args, base: Path, ns: dict, bare: dict) -> None:
    py, note = find_peer_python(args.bytewax_python, "PYFLINK_BENCH_BYTEWAX_PYTHON", "bytewax")
    if py is None:
        print(f"bytewax: skipped ({note}; `pip install bytewax` into a venv and pass --bytewax-python)")
        return
    version = subprocess.run([py, "-c", "import importlib.metadata as m; print(m.version('bytewax'))"],
                             capture_output=True, text=True).stdout.strip()
    job = base / "bytewax_job.py"
    job.write_text(BYTEWAX_JOB)
    env = clean_env()
    env.pop("PYTHONPATH", None)
    print(f"bytewax {version} ({py}), 1 worker, TestingSource batch_size={args.bytewax_batch}, same N as ours")
    for shape in SHAPES:
        n1, n2 = ns[shape]
        res = Result("bytewax")
        for n in (n1, n2):
            for _ in range(args.repeats):
                run_cmd(res, [py, str(job), shape, str(n), str(args.bytewax_batch)], shape, n, args.timeout, base, env)
        r = res.marginal(n1, n2)
        print(f"  {'bytewax':28} {shape:10} {fmt_rate(r, res):>12} rec/s  {fmt_ratio(r, bare[shape]):>6} of bare loop"
              + (f"   t(N1) {res.t(n1):.2f} s t(N2) {res.t(n2):.2f} s" if r else ""))
        for e in res.errors:
            print(f"    ERROR {e}")
        sys.stdout.flush()


def run_flink(args, base: Path, bare: dict) -> None:
    py, note = find_peer_python(args.flink_python, "PYFLINK_BENCH_FLINK_PYTHON", "pyflink.datastream")
    if py is None:
        print(f"Apache Flink: skipped ({note}; `pip install apache-flink` into a venv (needs Java 11/17) "
              "and pass --flink-python)")
        return
    version = subprocess.run([py, "-c", "import importlib.metadata as m; print(m.version('apache-flink'))"],
                             capture_output=True, text=True).stdout.strip()
    site = subprocess.run([py, "-c", "import site; print(site.getsitepackages()[0])"],
                          capture_output=True, text=True).stdout.strip()
    job = base / "flink_job.py"
    job.write_text(FLINK_JOB)
    env = clean_env()
    # thread mode embeds CPython in the JVM (pemja); it only sees a venv's packages via PYTHONPATH
    env["PYTHONPATH"] = site
    fn = [int(x) for x in args.flink_n.split(",")]
    fkp = [int(x) for x in args.flink_keyed_process_n.split(",")]
    fs = [x * args.stateless_factor for x in fn]
    print(f"Apache Flink (PyFlink) {version} ({py}), local mini cluster, p=1, {args.flink_repeats} run(s) per N "
          f"(keyed N {fn[0]:,}/{fn[1]:,}, in process mode {fkp[0]:,}/{fkp[1]:,}; stateless N {fs[0]:,}/{fs[1]:,})")
    for mode in ("process", "thread"):
        for shape in SHAPES:
            a, b = fkp if (mode, shape) == ("process", "keyed") else (fn if shape == "keyed" else fs)
            res = Result(f"Flink {mode}")
            for n in (a, b):
                for _ in range(args.flink_repeats):
                    run_cmd(res, [py, str(job), shape, str(n), mode], shape, n, max(args.timeout, 600), base, env)
            r = res.marginal(a, b)
            print(f"  {'Flink ' + mode + ' mode':28} {shape:10} {fmt_rate(r, res):>12} rec/s  "
                  f"{fmt_ratio(r, bare[shape]):>6} of bare loop"
                  + (f"   t({a:,}) {res.t(a):.1f} s t({b:,}) {res.t(b):.1f} s" if r else ""))
            for e in res.errors:
                print(f"    ERROR {e}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
