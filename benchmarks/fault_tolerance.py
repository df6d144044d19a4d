"""Fault-tolerance benchmark (issue 9): what checkpoints cost and how fast a job comes back.

    python benchmarks/fault_tolerance.py                 # all parts, about 4 min on 2 cores
    python benchmarks/fault_tolerance.py --parts a,c     # some of them
    python benchmarks/fault_tolerance.py --quick         # smoke run, about 40 s

Everything runs on one 2-TaskManager cluster in a temporary directory (own conf, free ports,
checkpoints and savepoints on the local disk under it), started with
``restart-strategy.type = fixed-delay``, ``restart-strategy.fixed-delay.delay = 0``.

(a) **Keyed throughput with checkpoints every 1 s as a ratio to checkpointing off** (goal
    >= 0.9). The keyed job of ``throughput.py`` (``NumberSequenceSource(1, N)`` -> map
    ``x -> (x % K, 1)`` -> key_by -> rolling reduce -> filter -> print; the 1,000 printed
    lines are checked) with K = 1,000 keys at p=1 and p=2, and with K = 1 M keys at p=2 (so
    each checkpoint holds up to 1 M keys), run attached with ``pyflink run -p P`` and, for
    "on", ``-D execution.checkpointing.interval=1000``. Marginal rate (N2 - N1) / (t2 - t1)
    of the median wall times, off and on interleaved in the same session; also the same from
    the fastest run of each (less sensitive to other load on a shared machine) and the ratio
    of the cluster's CPU time per record (JobManager + TaskManagers, user + sys).
(b) **Checkpoint duration p50/p99 and size on disk for 1 M keys of value state.** The "state
    job" (below) at p=2 puts --keys (1 M) keys into ValueState and keeps running (its source
    idles); checkpoints every 1 s. Durations are the JobManager's ``completed checkpoint N of
    job J (B bytes, D ms)`` (trigger to ``_metadata`` written) of checkpoints triggered after
    every key was in the state; the size on disk is the sum of the files of each ``chk-N``
    directory (state files and ``_metadata``). p99 is the nearest-rank percentile, so with
    fewer than 100 samples it is the largest.
(c) **Time from kill -9 of a forked TaskManager to the job RUNNING again** (goal <= 2 s). The
    state job with --kill-keys (10,000) keys; --kills times a TaskManager that has run for at
    least 12 s is killed (the launcher replaces one that ran more than 10 s at once), then
    --young-kills times the TaskManager started last (the launcher waits 0.5 s, doubling, to
    replace one that dies within 10 s of its start). REST ``/jobs/<id>`` is polled every
    10 ms. Reported: kill -> job RUNNING (the JobManager's timestamp of the RUNNING status:
    all tasks deployed, which is what the job status says) and kill -> every subtask RUNNING
    (restored from the checkpoint), median and max, with the JobManager log's breakdown. Each
    restore is checked: the restored job reads every key back and compares it with the value
    put.
(d) **Time to take a savepoint of 1 M keys and to restore from it.** ``pyflink savepoint ID
    DIR`` of the loaded state job from (b) (CLI wall time and the JobManager's duration);
    then ``pyflink run -d -s SAVEPOINT`` of the same job: invocation -> job RUNNING and
    invocation -> every subtask RUNNING (the state is loaded before a task reports RUNNING),
    beside the same job started without a savepoint. Each restore is checked like (c).

The state job: a non-parallel ``SourceFunction`` (a CheckpointedFunction: its position is
operator state) emits ``("p", k)`` for k in 0..K-1, then one ``("e", ...)`` end marker per
keyed subtask, then idles until cancelled; a restored source whose keys were all emitted
emits ``("c", k)`` for every key instead, then the end markers. The keyed function (p=2)
does ``state.update(7 * k + 1)`` for ``p``, compares ``state.value()`` with ``7 * k + 1`` for
``c``, and at an end marker writes its counts to a small JSON file the benchmark reads.

Prints figures only; never asserts. Stops the cluster and kills only processes it started.
"""
from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RestClient, TempCluster, machine_line, median, other_python_load, pyflink_command  # noqa: E402
from throughput import KEYED_LINE, clean_env, cpu_seconds  # noqa: E402

GOAL_RATIO = 0.9        # (a) throughput with checkpoints every 1 s / without
GOAL_RECOVERY_S = 2.0   # (c) kill -9 of a TaskManager -> job RUNNING again
STABLE_TM_S = 12.0      # (c) a TaskManager up this long is replaced at once (the launcher's 10 s + margin)

STATE_JOB = '''\
import json
import os
import sys
import time

from runtime.common import Types
from runtime.datastream import KeyedProcessFunction, SourceFunction, StreamExecutionEnvironment
from runtime.datastream.state import ListStateDescriptor, ValueStateDescriptor
from runtime.state.key_groups import assign_to_key_group, operator_index_for_key_group

MAX_PARALLELISM = 128


def end_marker_keys(parallelism):
    """One key per keyed subtask (negative, so never one of the job's keys)."""
    found = {}
    k = -1
    while len(found) < parallelism:
        sub = operator_index_for_key_group(MAX_PARALLELISM, parallelism, assign_to_key_group(k, MAX_PARALLELISM))
        found.setdefault(sub, k)
        k -= 1
    return [found[i] for i in range(parallelism)]


class Keys(SourceFunction):
    def __init__(self, n, parallelism):
        self.n = n
        self.markers = end_marker_keys(parallelism)
        self.running = True

    def initialize_state(self, context):
        self.pos_state = context.get_operator_state_store().get_list_state(
            ListStateDescriptor("pos", Types.PICKLED_BYTE_ARRAY()))
        restored = list(self.pos_state.get())
        self.pos = restored[0] if restored else 0
        self.restored = context.is_restored()

    def snapshot_state(self, context):
        self.pos_state.update([self.pos])

    def run(self, ctx):
        lock = ctx.get_checkpoint_lock()
        check = self.restored and self.pos >= self.n
        kind = "c" if check else "p"
        start = 0 if check else self.pos
        chunk = 1000
        for a in range(start, self.n, chunk):
            if not self.running:
                return
            b = min(a + chunk, self.n)
            # Not under the checkpoint lock: collect() waits while the source's queue is full,
            # and a checkpoint then waits for the lock, so holding it across a chunk deadlocks
            # (see docs/performance.md). The position is advanced after the chunk, under the
            # lock; a restore may replay part of a chunk, and puts are idempotent.
            for k in range(a, b):
                ctx.collect((kind, k))
            if not check:
                with lock:
                    self.pos = b
        for k in self.markers:
            ctx.collect(("e", k, kind))
        while self.running:
            time.sleep(0.05)

    def cancel(self):
        self.running = False


class Store(KeyedProcessFunction):
    def __init__(self, marks):
        self.marks = marks

    def open(self, runtime_context):
        self.state = runtime_context.get_state(ValueStateDescriptor("v", Types.LONG()))
        self.sub = runtime_context.get_index_of_this_subtask()
        self.attempt = runtime_context.get_attempt_number()
        self.puts = self.ok = self.bad = 0
        self.first = None

    def process_element(self, r, ctx):
        if self.first is None:
            self.first = time.time()
        kind = r[0]
        if kind == "p":
            self.state.update(7 * r[1] + 1)
            self.puts += 1
        elif kind == "c":
            if self.state.value() == 7 * r[1] + 1:
                self.ok += 1
            else:
                self.bad += 1
        else:
            name = os.path.join(self.marks, "%s-%d-%d" % ("loaded" if r[2] == "p" else "checked",
                                                        self.attempt, self.sub))
            with open(name + ".tmp", "w") as f:
                json.dump({"puts": self.puts, "ok": self.ok, "bad": self.bad, "first": self.first,
                           "t": time.time()}, f)
            os.replace(name + ".tmp", name)


def main():
    n, marks = int(sys.argv[1]), sys.argv[2]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    env.set_max_parallelism(MAX_PARALLELISM)
    (env.add_source(Keys(n, 2), "keys").uid("keys")
        .key_by(lambda r: r[1])
        .process(Store(marks)).uid("store")
        .add_sink(lambda x: None))
    env.execute("ft-state-%d" % n)


if __name__ == "__main__":
    main()
'''

# (a): throughput.py's keyed job with the number of keys as a parameter: prints the 1,000 lines
# (k, N/K) of the keys k < 1000 when their count reaches N/K
KEYED_JOB = '''\
import sys
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.connectors.number_seq import NumberSequenceSource


def main():
    n, keys = int(sys.argv[1]), int(sys.argv[2])
    target = n // keys
    env = StreamExecutionEnvironment.get_execution_environment()
    (env.from_source(NumberSequenceSource(1, n), None, "seq")
        .map(lambda x: (x % keys, 1))
        .key_by(lambda t: t[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
        .filter(lambda t: t[1] == target and t[0] < 1000)
        .print())
    env.execute(f"bench-keyed-{n}-{keys}")


if __name__ == "__main__":
    main()
'''


def verify_keyed(n: int, keys: int, stdout: str) -> str | None:
    """None if the job printed exactly (k, N/K) for k in 0..999, once each."""
    rows = [m.groups() for m in (KEYED_LINE.match(line) for line in stdout.splitlines()) if m]
    got = sorted((int(k), int(c)) for k, c in rows)
    want = [(k, n // keys) for k in range(1000)]
    if got != want:
        return f"expected the 1000 lines (k,{n // keys}), got {len(got)} lines (e.g. {got[:2]})"
    return None


JOB_ID = re.compile(r"\b[0-9a-f]{32}\b")
LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


# ------------------------------------------------------------------------------ helpers
def pct(xs: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def log_time(line: str) -> float | None:
    """Epoch seconds of a log line (the logs use local time, like this process)."""
    m = LOG_TS.match(line)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000


def mib(b: float) -> str:
    return f"{b / 2**20:.1f} MiB"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.base = Path(tempfile.mkdtemp(prefix="pyflink-bench-ft-"))
        if not args.keep:
            atexit.register(shutil.rmtree, self.base, True)
        self.chk_dir = self.base / "checkpoints"
        self.sp_dir = self.base / "savepoints"
        self.cluster = TempCluster(self.base / "cluster", 2, {
            "execution.checkpointing.dir": str(self.chk_dir),
            "restart-strategy.type": "fixed-delay",
            "restart-strategy.fixed-delay.delay": 0,
            "restart-strategy.fixed-delay.attempts": 1000,
            "slot.request.timeout": 60_000,
        })
        atexit.register(self.cluster.kill_leftovers)
        self.pyflink, self.how = pyflink_command()
        self.env = clean_env()
        self.state_job = self.base / "state_job.py"
        self.state_job.write_text(STATE_JOB)
        self.keyed_job = self.base / "keyed_job.py"
        self.keyed_job.write_text(KEYED_JOB)
        self.summary: list[tuple[str, str, str]] = []  # (figure, measured, goal / note)
        self.rest_client: RestClient | None = None

    # -------------------------------------------------------------- cluster and CLI
    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        words = 2 if args[0] in ("cluster", "jobmanager", "taskmanager") else 1  # the (sub)command
        return subprocess.run(self.pyflink + [*args[:words], "--conf-dir", str(self.cluster.conf_dir), *args[words:]],
                              capture_output=True, text=True, timeout=timeout, env=self.env, cwd=self.base)

    def start(self) -> None:
        p = self.cli("cluster", "start", timeout=60)
        self.cluster.pid_files()
        if p.returncode != 0:
            sys.exit(f"cluster start failed ({p.returncode}): {p.stderr.strip()[-600:]}")

    def stop(self) -> None:
        self.cli("cluster", "stop", timeout=60)
        self.cluster.kill_leftovers()

    def rest(self, path: str) -> dict:
        if self.rest_client is None:  # after the start: the token is written by `cluster start`
            self.rest_client = RestClient(self.cluster, timeout=5)
        return self.rest_client.get(path)

    def jm_log(self) -> list[str]:
        out: list[str] = []
        for p in sorted(self.cluster.log_dir.glob("pyflink-jobmanager-*.log")):
            out += p.read_text(errors="replace").splitlines()
        return out

    def taskmanagers(self) -> list[psutil.Process]:
        out = []
        for name, pid in self.cluster.pid_files().items():
            if name.startswith("pyflink-taskmanager-") and self.cluster.alive(pid):
                out.append(psutil.Process(pid))
        return out

    def submit_state_job(self, keys: int, marks: Path, savepoint: str | None = None) -> tuple[str, float]:
        """``pyflink run -d`` of the state job; returns (job id, time of the invocation)."""
        marks.mkdir(parents=True, exist_ok=True)
        extra = ["-s", savepoint] if savepoint else []
        t0 = time.time()
        p = self.cli("run", "-d", "-D", "execution.checkpointing.interval=1000", *extra,
                     str(self.state_job), str(keys), str(marks))
        ids = JOB_ID.findall(p.stdout)
        if p.returncode != 0 or not ids:
            raise RuntimeError(f"submitting the state job failed ({p.returncode}): {p.stdout} {p.stderr}"[-800:])
        return ids[0], t0

    def cancel(self, jid: str) -> None:
        self.cli("cancel", jid, timeout=60)
        self.wait(lambda: self.rest(f"/jobs/{jid}")["state"] in ("CANCELED", "FAILED", "FINISHED"), 60, "cancel")
        self.wait(lambda: self.rest("/overview")["slots-available"] == 2, 60, "the slots to be free")

    @staticmethod
    def wait(pred, timeout: float, what: str, interval: float = 0.02):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            try:
                v = pred()
            except (OSError, ValueError, KeyError):
                v = None
            if v:
                return v
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
            time.sleep(interval)

    @staticmethod
    def marks(marks: Path, kind: str, attempt: int | None = None) -> list[dict]:
        out = []
        for f in marks.glob(f"{kind}-*-*"):
            if f.suffix == ".tmp":
                continue
            _, a, _ = f.name.split("-")
            if attempt is None or int(a) == attempt:
                try:
                    out.append(json.loads(f.read_text()))
                except (OSError, ValueError):
                    continue
        return out

    def wait_loaded(self, marks: Path, keys: int, timeout: float) -> float:
        """Until both keyed subtasks took every key of the load; returns when that was."""
        def done():  # type: ignore[no-untyped-def]
            m = self.marks(marks, "loaded")
            return len(m) == 2 and sum(x["puts"] for x in m) == keys and max(x["t"] for x in m)
        return float(self.wait(done, timeout, f"{keys:,} keys to be loaded", 0.05))

    def wait_checked(self, marks: Path, keys: int, attempt: int, timeout: float) -> tuple[int, int]:
        """Until the restored attempt read every key back; returns (ok, bad)."""
        def done():  # type: ignore[no-untyped-def]
            m = self.marks(marks, "checked", attempt)
            return len(m) == 2 and (sum(x["ok"] for x in m), sum(x["bad"] for x in m))
        return self.wait(done, timeout, f"attempt {attempt} to read back {keys:,} keys", 0.05)  # type: ignore[no-any-return]

    def tasks_running(self, jid: str, min_attempt: int = 0) -> dict | None:
        d = self.rest(f"/jobs/{jid}")
        if d["state"] != "RUNNING":
            return None
        # the subtasks are in each vertex's details (Flink's JobVertexDetailsInfo), not in the job's
        subs = [s for v in d["vertices"] for s in self.rest(f"/jobs/{jid}/vertices/{v['id']}")["subtasks"]]
        if not (subs and all(s["status"] == "RUNNING" and s["attempt"] >= min_attempt for s in subs)):
            return None
        # read the job again now: the first answer was taken before the vertex requests and
        # may predate the restart, its timestamps with it
        d = self.rest(f"/jobs/{jid}")
        return d if d["state"] == "RUNNING" else None

    def completed(self, jid: str) -> list[tuple[int, float, int, int]]:
        """(checkpoint id, completion time, bytes, ms) of the job's completed checkpoints."""
        pat = re.compile(rf"completed checkpoint (\d+) of job {jid} \((\d+) bytes, (\d+) ms\)")
        out = []
        for line in self.jm_log():
            m = pat.search(line)
            if m:
                out.append((int(m.group(1)), log_time(line) or 0.0, int(m.group(2)), int(m.group(3))))
        return out

    def figure(self, name: str, measured: str, goal: str) -> None:
        self.summary.append((name, measured, goal))
        print(f"  {name}: {measured}   [{goal}]")

    # -------------------------------------------------------------- (a)
    def part_a(self) -> None:
        a = self.args
        configs = []
        for item in a.a_configs.split(","):
            p, keys = (int(x) for x in item.split(":"))
            if keys <= 1000:
                configs.append((p, keys, a.n1, a.n2, a.repeats))
            else:  # each run holds up to `keys` keys; N from --big-n1/--big-n2
                configs.append((p, keys, a.big_n1, a.big_n2, max(1, a.repeats - 2)))
        print("## (a) keyed throughput, checkpoints every 1 s vs off (marginal rate of median wall times; "
              "off and on interleaved)")
        pids = sorted(self.cluster.known_pids)
        for p, keys, n1, n2, repeats in configs:
            times: dict[tuple[str, int], list[float]] = {}
            cpu: dict[tuple[str, int], list[float]] = {}
            checkpoints: dict[int, list[int]] = {}
            errors: list[str] = []
            for _ in range(repeats):
                for n in (n1, n2):
                    for mode in ("off", "on"):
                        extra = ["-D", "execution.checkpointing.interval=1000"] if mode == "on" else []
                        c0 = cpu_seconds(pids)
                        t0 = time.perf_counter()
                        proc = self.cli("run", "-p", str(p), *extra, str(self.keyed_job), str(n), str(keys),
                                        timeout=a.timeout)
                        dt = time.perf_counter() - t0
                        used = cpu_seconds(pids) - c0
                        problem = verify_keyed(n, keys, proc.stdout) if proc.returncode == 0 else \
                            f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
                        if problem:
                            errors.append(f"p={p} {mode} N={n}: {problem}")
                            continue
                        times.setdefault((mode, n), []).append(dt)
                        cpu.setdefault((mode, n), []).append(used)
                        if mode == "on":
                            jid = JOB_ID.findall(proc.stdout)[0]
                            checkpoints.setdefault(n, []).append(len(self.completed(jid)))
            label = f"(a) keyed p={p}, {keys:,} keys"
            print(f"  p={p}, {keys:,} keys, N1/N2 = {n1:,}/{n2:,}, {repeats} run(s) each:")
            if errors:
                print("    FAILED runs:\n      " + "\n      ".join(errors))
                self.figure(f"{label}: on / off", "FAILED", f"goal >= {GOAL_RATIO}")
                continue

            def marginal(stat, mode: str) -> float:  # type: ignore[no-untyped-def]
                dt = stat(times[(mode, n2)]) - stat(times[(mode, n1)])
                return (n2 - n1) / dt if dt > 0 else float("nan")
            rate = {m: marginal(median, m) for m in ("off", "on")}
            best = {m: marginal(min, m) for m in ("off", "on")}
            us = {m: (median(cpu[(m, n2)]) - median(cpu[(m, n1)])) / (n2 - n1) * 1e6 for m in ("off", "on")}
            ratio = rate["on"] / rate["off"]
            for m in ("off", "on"):
                print(f"    {m:>3}: {rate[m]:>10,.0f} rec/s (of the fastest runs: {best[m]:,.0f}), cluster CPU "
                      f"{us[m]:.2f} us/rec; wall {['%.2f' % x for x in times[(m, n1)]]} / "
                      f"{['%.2f' % x for x in times[(m, n2)]]} s")
            print(f"    completed checkpoints per 'on' run: N1 {checkpoints.get(n1)}, N2 {checkpoints.get(n2)}")
            ok = "met" if ratio >= GOAL_RATIO else "MISSED"
            self.figure(f"{label}: on / off", f"{ratio:.2f} (fastest runs {best['on'] / best['off']:.2f}, "
                        f"CPU/rec {us['off'] / us['on']:.2f})", f"goal >= {GOAL_RATIO}: {ok}")

    # -------------------------------------------------------------- (b) and (d)
    def part_b(self) -> tuple[str, Path] | None:
        a = self.args
        keys = a.keys
        print(f"## (b) checkpoints of {keys:,} keys of value state (p=2, every 1 s, {a.checkpoints} checkpoints)")
        marks = self.base / "marks-b"
        jid, t0 = self.submit_state_job(keys, marks)
        t_loaded = self.wait_loaded(marks, keys, a.timeout)
        print(f"  {keys:,} keys loaded {t_loaded - t0:.1f} s after the submission")
        sizes: dict[int, int] = {}
        samples: list[tuple[int, int, int]] = []  # (id, bytes, ms)
        deadline = time.monotonic() + a.timeout
        while len(samples) < a.checkpoints and time.monotonic() < deadline:
            job_dir = self.chk_dir / jid
            for d in job_dir.glob("chk-*") if job_dir.is_dir() else []:
                cid = int(d.name[4:])
                if cid not in sizes and (d / "_metadata").exists():
                    try:
                        sizes[cid] = sum(f.stat().st_size for f in d.iterdir())
                    except OSError:
                        pass
            triggered = self.trigger_times(jid)
            samples = [(cid, b, ms) for cid, _, b, ms in self.completed(jid)
                       if triggered.get(cid, 0) >= t_loaded]
            time.sleep(0.05)
        samples = [s for s in samples if s[0] in sizes] or samples
        durations = [float(ms) for _, _, ms in samples]
        on_disk = [float(sizes[cid]) for cid, _, _ in samples if cid in sizes]
        print(f"  {len(durations)} checkpoints: durations ms {[int(x) for x in durations]}")
        print(f"  state bytes (JobManager log): {sorted({b for _, b, _ in samples})}; on disk per chk-N: "
              f"{sorted({int(x) for x in on_disk})[:5]}{' ...' if len(set(on_disk)) > 5 else ''}")
        self.figure("(b) checkpoint duration p50 / p99", f"{pct(durations, 50):.0f} ms / {pct(durations, 99):.0f} ms",
                    f"{keys:,} keys, no goal set")
        self.figure("(b) checkpoint size on disk", mib(median(on_disk)) if on_disk else "n/a",
                    f"median of {len(on_disk)}; {median(on_disk) / keys:.1f} B/key" if on_disk else "")
        return jid, marks

    def trigger_times(self, jid: str) -> dict[int, float]:
        pat = re.compile(rf"triggering checkpoint (\d+) of job {jid}")
        out = {}
        for line in self.jm_log():
            m = pat.search(line)
            if m:
                out[int(m.group(1))] = log_time(line) or 0.0
        return out

    def part_d(self, loaded: tuple[str, Path] | None) -> None:
        a = self.args
        keys = a.keys
        print(f"## (d) savepoint of {keys:,} keys and restore from it ({a.restores} of each)")
        if loaded is None:
            marks = self.base / "marks-d"
            jid, _ = self.submit_state_job(keys, marks)
            self.wait_loaded(marks, keys, a.timeout)
        else:
            jid, marks = loaded
        cli_s: list[float] = []
        jm_ms: list[float] = []
        sp_sizes: list[float] = []
        paths: list[str] = []
        for _ in range(a.restores):
            p = self.cli("savepoint", jid, str(self.sp_dir), "--json", timeout=a.timeout)
            if p.returncode != 0:
                print(f"  savepoint FAILED: {p.stderr.strip()[-400:]}")
                self.figure("(d) savepoint", "FAILED", "")
                return
            out = json.loads(p.stdout)
            paths.append(out["savepoint"])
            cli_s.append(float(out["seconds"]))
            sp_sizes.append(sum(f.stat().st_size for f in Path(out["savepoint"]).iterdir()))
            pat = re.compile(rf"completed savepoint (\d+) of job {jid} \((\d+) bytes, (\d+) ms\)")
            jm_ms.append([float(m.group(3)) for m in map(pat.search, self.jm_log()) if m][-1])
        print(f"  savepoint: client request -> answer {cli_s} s, JobManager trigger -> _metadata "
              f"{[int(x) for x in jm_ms]} ms, "
              f"{mib(median(sp_sizes))} on disk")
        self.figure("(d) take a savepoint (pyflink savepoint)", f"{median(cli_s):.2f} s (JobManager "
                    f"{median(jm_ms):.0f} ms)", f"median of {len(cli_s)}, no goal set")
        self.cancel(jid)

        def start(savepoint: str | None, tag: str) -> tuple[float, float, str, Path]:
            marks = self.base / f"marks-d-{tag}"
            jid, t0 = self.submit_state_job(keys, marks, savepoint)
            d = self.wait(lambda: self.tasks_running(jid), a.timeout, "every subtask RUNNING", 0.01)
            t_tasks = time.time()
            t_job = d["timestamps"]["RUNNING"] / 1000.0
            return t_job - t0, t_tasks - t0, jid, marks

        fresh_job, fresh_tasks = [], []
        for i in range(a.restores):
            tj, tt, jid, _ = start(None, f"fresh{i}")
            fresh_job.append(tj)
            fresh_tasks.append(tt)
            self.cancel(jid)
        rest_job, rest_tasks, checks = [], [], []
        for i, sp in enumerate(paths):
            tj, tt, jid, marks = start(sp, f"restore{i}")
            rest_job.append(tj)
            rest_tasks.append(tt)
            checks.append(self.wait_checked(marks, keys, 0, a.timeout))
            self.cancel(jid)
        bad = [c for c in checks if c != (keys, 0)]
        print(f"  fresh start: invocation -> job RUNNING {['%.2f' % x for x in fresh_job]} s, "
              f"-> every subtask RUNNING {['%.2f' % x for x in fresh_tasks]} s")
        print(f"  from the savepoint: -> job RUNNING {['%.2f' % x for x in rest_job]} s, "
              f"-> every subtask RUNNING (state loaded) {['%.2f' % x for x in rest_tasks]} s")
        print(f"  read back after each restore (ok, wrong): {checks}" + ("  <-- WRONG" if bad else ""))
        self.figure("(d) restore: run -s -> every subtask RUNNING", "FAILED (wrong state)" if bad else
                    f"{median(rest_tasks):.2f} s (fresh start {median(fresh_tasks):.2f} s)",
                    f"median of {len(rest_tasks)}; job RUNNING at {median(rest_job):.2f} s, no goal set")

    # -------------------------------------------------------------- (c)
    def part_c(self) -> None:
        a = self.args
        keys = a.kill_keys
        print(f"## (c) kill -9 of a forked TaskManager -> job RUNNING again ({a.kills} kills of TaskManagers up "
              f"for >= {STABLE_TM_S:g} s, then {a.young_kills} of a just-started one; fixed-delay 0, "
              f"state job with {keys:,} keys)")
        marks = self.base / "marks-c"
        jid, _ = self.submit_state_job(keys, marks)
        self.wait_loaded(marks, keys, a.timeout)
        results: dict[str, tuple[list[float], list[float]]] = {"stable": ([], []), "young": ([], [])}
        attempt = 0
        for i in range(a.kills + a.young_kills):
            kind = "stable" if i < a.kills else "young"
            before = len(self.completed(jid))
            self.wait(lambda: len(self.completed(jid)) > before, 30, "a completed checkpoint", 0.05)
            if kind == "stable":
                # the launcher replaces a TaskManager that ran > 10 s at once, a younger one after
                # a growing pause; its clock starts a little after the process's, hence the margin
                victim = self.wait(lambda: next((p for p in self.taskmanagers()
                                                 if time.time() - p.create_time() >= STABLE_TM_S), None),
                                   30, f"a TaskManager that has run {STABLE_TM_S:g} s", 0.1)
            else:
                victim = max(self.taskmanagers(), key=lambda p: p.create_time())
            age = time.time() - victim.create_time()
            t_kill = time.time()
            os.kill(victim.pid, signal.SIGKILL)
            attempt += 1
            d = self.wait(lambda: self.tasks_running(jid, attempt), 60, "the job to run again", 0.01)
            t_tasks = time.time()
            t_job = d["timestamps"]["RUNNING"] / 1000.0
            results[kind][0].append(t_job - t_kill)
            results[kind][1].append(t_tasks - t_kill)
            ok, bad = self.wait_checked(marks, keys, attempt, 60)
            print(f"  kill {i + 1} ({kind}, up {age:.1f} s): job RUNNING {t_job - t_kill:.3f} s, every subtask "
                  f"RUNNING {t_tasks - t_kill:.3f} s; {self.breakdown(t_kill, t_job)}; read back {ok:,} ok / "
                  f"{bad} wrong")
        self.cancel(jid)
        job_s, tasks_s = results["stable"]
        if job_s:
            self.figure("(c) kill -9 -> job RUNNING", f"median {median(job_s):.2f} s, max {max(job_s):.2f} s",
                        f"goal <= {GOAL_RECOVERY_S} s: {'met' if max(job_s) <= GOAL_RECOVERY_S else 'MISSED'}")
            self.figure("(c) kill -9 -> every subtask RUNNING (restored)",
                        f"median {median(tasks_s):.2f} s, max {max(tasks_s):.2f} s",
                        f"goal <= {GOAL_RECOVERY_S} s: {'met' if max(tasks_s) <= GOAL_RECOVERY_S else 'MISSED'}")
        job_y, tasks_y = results["young"]
        if job_y:
            self.figure("(c) same, TaskManager up < 10 s", f"job RUNNING {max(job_y):.2f} s, subtasks "
                        f"{max(tasks_y):.2f} s (max of {len(job_y)})", "launcher pause 0.5 s, doubling")

    def breakdown(self, t_kill: float, t_job: float) -> str:
        """The JobManager's view of one recovery, in ms after the kill."""
        marks = [("RESTARTING", "switched to RESTARTING"), ("restore read", "restores from checkpoint"),
                 ("TM forked", "started TaskManager"), ("TM registered", "registered TaskManager")]
        found: dict[str, float] = {}
        for line in self.jm_log():
            t = log_time(line)
            if t is None or t < t_kill - 0.002 or t > t_job + 0.002:
                continue
            for label, needle in marks:
                if needle in line and label not in found:
                    found[label] = t
        return ", ".join(f"{label} +{(found[label] - t_kill) * 1000:.0f}" for label, _ in marks if label in found) \
            + f", RUNNING +{(t_job - t_kill) * 1000:.0f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="a,b,d,c", help="which parts, in this order (default a,b,d,c)")
    ap.add_argument("--n1", type=int, default=1_000_000, help="(a) smaller N")
    ap.add_argument("--n2", type=int, default=5_000_000, help="(a) larger N")
    ap.add_argument("--repeats", type=int, default=5, help="(a) runs per (p, mode, N); the median is used")
    ap.add_argument("--a-configs", default="1:1000,2:1000,2:1000000",
                    help="(a) parallelism:keys pairs; more than 1,000 keys run at --big-n1/--big-n2 with "
                         "--repeats - 2 runs each")
    ap.add_argument("--big-n1", type=int, default=2_000_000)
    ap.add_argument("--big-n2", type=int, default=6_000_000)
    ap.add_argument("--keys", type=int, default=1_000_000, help="(b, d) keys of value state")
    ap.add_argument("--checkpoints", type=int, default=20, help="(b) checkpoints measured")
    ap.add_argument("--restores", type=int, default=3, help="(d) savepoints taken and restores")
    ap.add_argument("--kills", type=int, default=5, help="(c) TaskManagers killed (each up >= 12 s)")
    ap.add_argument("--young-kills", type=int, default=1,
                    help="(c) then kills of the TaskManager started last (up < 10 s: the launcher pauses)")
    ap.add_argument("--kill-keys", type=int, default=10_000, help="(c) keys of the job whose TaskManagers are killed")
    ap.add_argument("--timeout", type=float, default=300.0, help="per step, seconds")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, checkpoints)")
    args = ap.parse_args()
    if args.quick:
        args.n1, args.n2, args.repeats = 200_000, 600_000, 1
        args.a_configs, args.big_n1, args.big_n2 = "1:1000,2:1000,2:100000", 200_000, 600_000
        args.keys, args.checkpoints, args.restores, args.kills, args.young_kills = 100_000, 3, 1, 1, 1
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]

    bench = Bench(args)
    print("# fault-tolerance benchmark")
    print(f"machine: {machine_line()}")
    print(other_python_load())
    print(f"cluster: 2 forked TaskManagers x 1 slot, checkpoints on the local disk ({bench.chk_dir}), "
          f"restart-strategy fixed-delay 0; commands via {bench.how}")
    if args.keep:
        print(f"keeping {bench.base}")
    print()
    loaded = None
    try:
        bench.start()
        for part in parts:
            t0 = time.monotonic()
            if part == "a":
                bench.part_a()
            elif part == "b":
                loaded = bench.part_b()
            elif part == "d":
                bench.part_d(loaded)
                loaded = None
            elif part == "c":
                bench.part_c()
            else:
                print(f"unknown part {part!r}")
                continue
            print(f"  ({time.monotonic() - t0:.0f} s; load avg now {os.getloadavg()[0]:.2f})")
            print()
    finally:
        bench.stop()
    print("## figures")
    width = max((len(n) for n, _, _ in bench.summary), default=10)
    for name, measured, goal in bench.summary:
        print(f"  {name:<{width}}  {measured:<36}  {goal}")
    print(f"load avg at the end: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
