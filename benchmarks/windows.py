"""Keyed event-time tumbling-window benchmark (issue 5): records/s and memory per open window.

    python benchmarks/windows.py [--n1 200000 --n2 1200000] [--repeats 3] [--open-windows 100000]
    python benchmarks/windows.py --quick          # smoke run, a few seconds

Part 1, throughput (embedded mini cluster, in this process, p=1)::

    env.from_source(NumberSequenceSource(1, N),
                    WatermarkStrategy.for_monotonous_timestamps()
                                     .with_timestamp_assigner(lambda x, ts: x // 10), "seq")
       .map(lambda x: (x % 1000, 1))                   # 1,000 keys, value 1
       .key_by(lambda t: t[0])
       .window(TumblingEventTimeWindows.of(Time.seconds(1)))
       .reduce(lambda a, b: (a[0], a[1] + b[1]))
       .add_sink(SinkFunction counting windows and summing their values)

Event time x // 10 ms, so a 1 s window spans 10,000 records: 10 per key per window. Reported
as the MARGINAL rate (N2 - N1) / (t2 - t1) of ``env.execute()`` wall time (median of
--repeats), so start-up cancels. Every run is checked: the window sums add up to N and
exactly the expected number of (key, window) results fired (computed from N). A wrong run
is reported as FAILED, never as a rate.

Baseline: a bare Python loop in this process calling the same four lambdas (timestamp, map,
key, reduce) and bucketing into one dict ``{(key, window_start): aggregate}``; as time
advances (monotonous watermark = ts - 1), windows whose end <= ts are emitted (counted and
summed, as the sink does) and deleted; the rest are emitted at the end of input.

Part 2, memory per open window (each measurement in a fresh child process of this script).
The job keeps windows open: a SourceFunction emits (k, 1) for distinct keys k, all at event
time 0, so every record opens its own window [0, 1000) and no watermark can close it before
the end of input. It emits --open-windows-warmup (1,000) records, pauses, then
--open-windows (100,000) more, and pauses again. The child watches the window operator (found
with gc; nothing in the job is changed for the benchmark) until it holds each phase's
windows; then it waits 0.2 s for the task to go idle, runs gc.collect(), and measures.
Two jobs: the default EventTimeTrigger (what a job without .trigger() runs: the aligned
path, timers per window) and a custom trigger (an EventTimeTrigger subclass: the general
path, a timer per key and window). Bytes per open window =
(memory after phase 2 - after phase 1) / --open-windows, i.e. marginal, so the cluster, the
job's deployment and first-use allocations cancel. Then the source ends, the final
watermark fires every window, and the child checks that all of them fired with value 1.

Two memory measures, each in its own child: tracemalloc (Python heap bytes allocated and
still live: exact, in-process, covers the task threads) and RSS (what the OS sees, with
allocator slack; measured without tracemalloc, whose own bookkeeping would inflate it).
The bare counterpart is a dict of dicts ``{key: {window_start: (key, 1)}}`` holding the same
records, measured the same two ways.

Prints figures only; never asserts. The children and the temporary directory are removed;
the in-process mini cluster stops when the process exits.
"""
from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine_line, median, other_python_load  # noqa: E402

if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

from runtime.common import Time, WatermarkStrategy  # noqa: E402
from runtime.datastream import SinkFunction, SourceFunction, StreamExecutionEnvironment  # noqa: E402
from runtime.datastream.connectors.number_seq import NumberSequenceSource  # noqa: E402
from runtime.datastream.window import EventTimeTrigger, TumblingEventTimeWindows  # noqa: E402

KEYS = 1000
WINDOW_MS = 1000
TS_DIV = 10          # event time = x // 10 ms
GOAL_VS_BARE = 0.50
BATCH = 1000
#: process CPU seconds per (kind, N): on a shared machine wall time moves with the load, CPU
#: time much less (the mini cluster runs in this process, so its task threads count)
CPU: dict = collections.defaultdict(list)


# ------------------------------------------------------------------------------ functions
class CountingSink(SinkFunction):
    """Counts the window results and sums their values; writes both at close()."""

    def __init__(self, result_path: str) -> None:
        self.result_path = result_path

    def open(self, runtime_context):
        self.windows = 0
        self.total = 0
        self.max_value = 0

    def invoke_batch(self, values):
        self.windows += len(values)
        s = 0
        m = self.max_value
        for v in values:
            s += v[1]
            if v[1] > m:
                m = v[1]
        self.total += s
        self.max_value = m

    def invoke(self, value, context):
        self.invoke_batch([value])

    def close(self):
        Path(self.result_path).write_text(json.dumps(
            {"windows": self.windows, "total": self.total, "max": self.max_value}))


def expected_windows(n: int) -> tuple[int, int]:
    """(number of (key, window) results, largest window sum) for x in 1..n."""
    count = 0
    biggest = 0
    last_ts = n // TS_DIV
    for ws in range(0, last_ts + 1, WINDOW_MS):
        lo = max(1, ws * TS_DIV)
        hi = min(n, (ws + WINDOW_MS) * TS_DIV - 1)
        c = hi - lo + 1
        if c > 0:
            count += min(c, KEYS)
            biggest = max(biggest, -(-c // KEYS))
    return count, biggest


def run_job(n: int, workdir: Path) -> tuple[float, dict]:
    out = workdir / f"windows-{n}.json"
    out.unlink(missing_ok=True)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    ws = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(lambda x, ts: x // 10)
    (env.from_source(NumberSequenceSource(1, n), ws, "seq")
        .map(lambda x: (x % 1000, 1))
        .key_by(lambda t: t[0])
        .window(TumblingEventTimeWindows.of(Time.seconds(1)))
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
        .add_sink(CountingSink(str(out))))
    t0, c0 = time.perf_counter(), time.process_time()
    env.execute(f"bench-windows-{n}")
    dt = time.perf_counter() - t0
    CPU[("job", n)].append(time.process_time() - c0)  # all threads of this process: the mini cluster's
    return dt, json.loads(out.read_text())


def check(n: int, r: dict) -> str | None:
    want, biggest = expected_windows(n)
    if r.get("total") != n or r.get("windows") != want or r.get("max") != biggest:
        return (f"N={n}: expected {want:,} window results summing to {n:,} (largest {biggest}), got "
                f"{r.get('windows')} summing to {r.get('total')} (largest {r.get('max')})")
    return None


def bare_loop(n: int) -> tuple[float, dict]:
    """Same lambdas, one dict {(key, window_start): aggregate}, fire-and-delete as time advances."""
    assign = lambda x, ts: x // 10  # noqa: E731
    m = lambda x: (x % 1000, 1)  # noqa: E731
    key = lambda t: t[0]  # noqa: E731
    red = lambda a, b: (a[0], a[1] + b[1])  # noqa: E731
    size = WINDOW_MS
    inf = float("inf")
    t0, c0 = time.perf_counter(), time.process_time()
    acc: dict = {}
    get = acc.get
    windows = total = biggest = 0
    next_end = inf  # smallest end of an open window
    for x in range(1, n + 1):
        ts = assign(x, None)
        if ts >= next_end:  # watermark ts - 1 >= end - 1: fire and delete
            for kw in [kw for kw in acc if kw[1] + size <= ts]:
                v = acc.pop(kw)
                windows += 1
                total += v[1]
                if v[1] > biggest:
                    biggest = v[1]
            next_end = min((kw[1] for kw in acc), default=inf - size) + size
        v = m(x)
        kw = (key(v), ts - ts % size)
        a = get(kw)
        if a is None:
            acc[kw] = v
            if kw[1] + size < next_end:
                next_end = kw[1] + size
        else:
            acc[kw] = red(a, v)
    for v in acc.values():  # end of input
        windows += 1
        total += v[1]
        if v[1] > biggest:
            biggest = v[1]
    acc.clear()
    CPU[("bare", n)].append(time.process_time() - c0)
    return time.perf_counter() - t0, {"windows": windows, "total": total, "max": biggest}


# ------------------------------------------------------------------------------ memory (child)
class PausingSource(SourceFunction):
    """Emits (k, 1) at event time 0 for distinct keys k, phase by phase; after phase i it
    waits for ``go-<i+1>`` in ``signal_dir`` (so after the last phase the input stays open
    until the measurement is done)."""

    def __init__(self, signal_dir: str, phases: list) -> None:
        self.signal_dir = signal_dir
        self.phases = phases
        self.running = True

    def run(self, ctx):
        k = 0
        for phase, count in enumerate(self.phases):
            for _ in range(count):
                ctx.collect_with_timestamp((k, 1), 0)
                k += 1
            ctx.emit_watermark(-1)  # hands over the last partial batch; closes nothing
            # hold the input open (no end of input, so no final watermark) until released
            go = Path(self.signal_dir) / f"go-{phase + 1}"
            while self.running and not go.exists():
                time.sleep(0.005)
            if not self.running:
                return

    def cancel(self):
        self.running = False


class CustomTrigger(EventTimeTrigger):
    """EventTimeTrigger's behaviour as a user-defined trigger: the window operator's general path."""


def _open_windows(op) -> int:
    contents = getattr(op, "contents", None)
    return len(contents) if contents is not None else -1


def _wait_for_windows(found: list, want: int, timeout: float) -> None:
    """Wait until the job's WindowOperator holds ``want`` keys' windows (found once with gc)."""
    from runtime.streaming.window_operator import WindowOperator
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not found:
            found.extend(o for o in gc.get_objects() if isinstance(o, WindowOperator))
        if found and _open_windows(found[0]) >= want:
            return
        time.sleep(0.02)
    raise TimeoutError(f"the window operator did not hold {want} windows within {timeout:.0f} s")


def _measure(mode: str) -> tuple[int, dict]:
    """(bytes, {allocating file: bytes}) -- the breakdown only with tracemalloc. The total is
    read before the snapshot, and the snapshot is reduced to a small dict and dropped, so
    neither measurement contains the other's bookkeeping."""
    gc.collect()
    if mode == "tracemalloc":
        import tracemalloc
        total = tracemalloc.get_traced_memory()[0]
        snap = tracemalloc.take_snapshot()
        by_file: dict = {}
        for st in snap.statistics("filename"):
            name = st.traceback[0].filename
            name = name[len(str(REPO)) + 1:] if name.startswith(str(REPO) + os.sep) else Path(name).name
            by_file[name] = by_file.get(name, 0) + st.size
        del snap
        gc.collect()
        return total, by_file
    import psutil
    return psutil.Process().memory_info().rss, {}


def _file_delta(f0: dict, f1: dict) -> dict:
    return {f: f1.get(f, 0) - f0.get(f, 0) for f in set(f0) | set(f1) if f1.get(f, 0) != f0.get(f, 0)}


def memory_child(kind: str, mode: str, warmup: int, count: int) -> dict:
    if mode == "tracemalloc":
        import tracemalloc
        tracemalloc.start()
    if kind == "bare":
        d: dict = {}
        for k in range(warmup):
            d[k] = {0: (k, 1)}
        m0, f0 = _measure(mode)
        for k in range(warmup, warmup + count):
            d[k] = {0: (k, 1)}
        m1, f1 = _measure(mode)
        ok = len(d) == warmup + count and all(w == {0: (k, 1)} for k, w in d.items())
        return {"m0": m0, "m1": m1, "files": _file_delta(f0, f1),
                "error": None if ok else "bare dict does not hold what it should"}

    sig = Path(tempfile.mkdtemp(prefix="pyflink-bench-windows-mem-"))
    try:
        out = sig / "sink.json"
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        windowed = (env.add_source(PausingSource(str(sig), [warmup, count]), "pausing")
                    .key_by(lambda t: t[0])
                    .window(TumblingEventTimeWindows.of(Time.seconds(1))))
        if kind == "job-trigger":
            windowed = windowed.trigger(CustomTrigger())
        windowed.reduce(lambda a, b: (a[0], a[1] + b[1])).add_sink(CountingSink(str(out)))
        client = env.execute_async("bench-windows-memory")
        found: list = []
        try:
            _wait_for_windows(found, warmup, 60)
            time.sleep(0.2)
            m0, f0 = _measure(mode)
            (sig / "go-1").write_text("")
            _wait_for_windows(found, warmup + count, 120)
            time.sleep(0.2)
            m1, f1 = _measure(mode)
            (sig / "go-2").write_text("")
        except BaseException:
            client.cancel()
            raise
        client.get_job_execution_result()
        r = json.loads(out.read_text())
        total = warmup + count
        error = None
        if r != {"windows": total, "total": total, "max": 1}:
            error = f"expected {total:,} windows fired at the end, each with value 1; the sink saw {r}"
        return {"m0": m0, "m1": m1, "files": _file_delta(f0, f1), "error": error}
    finally:
        shutil.rmtree(sig, ignore_errors=True)


def run_memory_child(kind: str, mode: str, warmup: int, count: int, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", kind, mode,
           "--open-windows-warmup", str(warmup), "--open-windows", str(count)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException as exc:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        if isinstance(exc, subprocess.TimeoutExpired):
            return {"error": f"{kind}/{mode}: timed out after {timeout:.0f} s"}
        raise
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"{kind}/{mode}: exit {proc.returncode}: {(err.strip() or out.strip())[-500:]}"}
    return json.loads(lines[-1])


FILE_NOTES = {
    "runtime/streaming/window_operator.py": "window contents {key: {window: aggregate}}, (key, window) timer keys",
    "runtime/streaming/timer_service.py": "timer heap entries (ts, seq, (key, window)) and the dedup set",
    "runtime/streaming/window_timers.py": "the key in its window's timer bucket (default trigger)",
    "runtime/datastream/window/assigners.py": "TimeWindow per record (assign_windows), its start/end ints",
    "runtime/datastream/window/windows.py": "max_timestamp() ints kept in timers",
    "runtime/state/key_groups.py": "key -> channel routing cache of the producer (bounded, cleared at 65,536 keys)",
    "benchmarks/windows.py": "the records themselves: (k, 1) tuples and keys (the bare dict holds these too)",
}


# ------------------------------------------------------------------------------ main
def marginal(times: dict, n1: int, n2: int) -> float | None:
    dt = median(times[n2]) - median(times[n1])
    return (n2 - n1) / dt if dt > 0 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n1", type=int, default=200_000)
    ap.add_argument("--n2", type=int, default=1_200_000)
    ap.add_argument("--repeats", type=int, default=3, help="runs per N; the median is used")
    ap.add_argument("--open-windows", type=int, default=100_000, help="windows measured for memory")
    ap.add_argument("--open-windows-warmup", type=int, default=1_000,
                    help="windows opened before the first memory measurement")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--quick", action="store_true", help="smoke run: N 20k/100k, 10k open windows, 1 repeat")
    ap.add_argument("--memory-child", nargs=2, metavar=("KIND", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        kind, mode = args.memory_child
        print(json.dumps(memory_child(kind, mode, args.open_windows_warmup, args.open_windows)))
        return
    if args.quick:
        args.n1, args.n2, args.repeats, args.open_windows = 20_000, 100_000, 1, 10_000
    n1, n2, reps = args.n1, args.n2, args.repeats
    warm, count = args.open_windows_warmup, args.open_windows
    started = time.perf_counter()
    print("# keyed event-time tumbling window benchmark (issue 5)")
    print(f"machine: {machine_line()}")
    print(other_python_load())
    print(f"embedded mini cluster in this process, p=1; {KEYS} keys, 1 s windows, event time x // {TS_DIV} ms "
          f"({WINDOW_MS * TS_DIV // KEYS} records per key per window); N1/N2 = {n1:,}/{n2:,}; {reps} run(s) each "
          "(median)")
    print()
    work = Path(tempfile.mkdtemp(prefix="pyflink-bench-windows-"))
    errors: list[str] = []
    try:
        run_job(20_000, work)  # warm-up: starts the mini cluster, imports everything
        ours: dict = {n1: [], n2: []}
        bare: dict = {n1: [], n2: []}
        for _ in range(reps):
            for n in (n1, n2):
                dt, r = bare_loop(n)
                problem = check(n, r)
                if problem:
                    errors.append("bare loop " + problem)
                bare[n].append(dt)
                dt, r = run_job(n, work)
                problem = check(n, r)
                if problem:
                    errors.append("embedded job " + problem)
                ours[n].append(dt)
                print(f"  N={n:>10,}  job {dt:6.2f} s   bare loop {bare[n][-1]:5.2f} s")
                sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = any(e.startswith("embedded") for e in errors)
    r_ours = None if failed else marginal(ours, n1, n2)
    r_bare = None if any(e.startswith("bare") for e in errors) else marginal(bare, n1, n2)
    print()
    hdr = f"{'configuration':36} {'records/s':>12} {'us/rec':>8} {'vs bare loop':>13} {'goal >= 50 %':>13}"
    print(hdr)
    print("-" * len(hdr))
    print(f"{'bare Python loop (same lambdas)':36} {(f'{r_bare:,.0f}' if r_bare else 'FAILED/noise'):>12} "
          f"{(f'{1e6 / r_bare:.2f}' if r_bare else '-'):>8} {'100 %':>13}")
    ratio = f"{100 * r_ours / r_bare:.0f} %" if r_ours and r_bare else "-"
    goal = ("meets" if r_ours / r_bare >= GOAL_VS_BARE else "BELOW") if r_ours and r_bare else "-"
    print(f"{'embedded mini cluster, p=1':36} {('FAILED' if failed else f'{r_ours:,.0f}' if r_ours else 'noise'):>12} "
          f"{(f'{1e6 / r_ours:.2f}' if r_ours else '-'):>8} {ratio:>13} {goal:>13}")
    c_ours = None if failed else marginal({n: CPU[("job", n)] for n in (n1, n2)}, n1, n2)
    c_bare = marginal({n: CPU[("bare", n)] for n in (n1, n2)}, n1, n2)
    if c_ours and c_bare:
        print(f"by CPU time (process_time, marginal): bare loop {1e6 / c_bare:.2f} us/rec, job {1e6 / c_ours:.2f} "
              f"us/rec: {100 * c_ours / c_bare:.0f} % of the bare loop ({'meets' if c_ours / c_bare >= GOAL_VS_BARE else 'BELOW'} "
              f"the goal); load avg {os.getloadavg()[0]:.2f}")
    want1, _ = expected_windows(n1)
    want2, _ = expected_windows(n2)
    print(f"t(N1) / t(N2) medians: job {median(ours[n1]):.2f} / {median(ours[n2]):.2f} s, bare loop "
          f"{median(bare[n1]):.2f} / {median(bare[n2]):.2f} s; windows fired (checked): {want1:,} / {want2:,}")
    print()
    sys.stdout.flush()

    if not args.no_memory:
        if count % BATCH or warm % BATCH:
            errors.append(f"memory: --open-windows and --open-windows-warmup must be multiples of {BATCH}")
        else:
            print(f"memory per open window: {count:,} windows opened after {warm:,} (one record each, all in "
                  "event-time window [0, 1000) of its own key, held open until the end of input); "
                  "fresh child process per figure; (after - before) / windows")
            hdr = f"{'':36} {'tracemalloc B/window':>21} {'RSS B/window':>13} {'MB per 100k (traced)':>21}"
            print(hdr)
            print("-" * len(hdr))
            per: dict = {}
            files: dict = {}
            for kind, label in (("bare", "bare dict of dicts"), ("job", "job, default trigger"),
                                ("job-trigger", "job, custom trigger (general path)")):
                cells = []
                for mode in ("tracemalloc", "rss"):
                    r = run_memory_child(kind, mode, warm, count, 180)
                    if r.get("error"):
                        errors.append(f"memory {kind}/{mode}: {r['error']}")
                        cells.append(None)
                    else:
                        cells.append((r["m1"] - r["m0"]) / count)
                        if mode == "tracemalloc":
                            files[kind] = r.get("files") or {}
                per[kind] = cells
                t, rss = cells
                print(f"{label:36} {(f'{t:,.0f}' if t is not None else 'FAILED'):>21} "
                      f"{(f'{rss:,.0f}' if rss is not None else 'FAILED'):>13} "
                      f"{(f'{t * 100_000 / 1e6:.1f}' if t is not None else '-'):>21}")
            if files.get("job"):
                print("where the job's bytes per open window go (tracemalloc, by allocating file):")
                for f, size in sorted(files["job"].items(), key=lambda kv: -abs(kv[1])):
                    if abs(size) / count >= 1:
                        print(f"  {size / count:8,.0f} B  {f}  {FILE_NOTES.get(f, '')}")
            b = per.get("bare", [None])[0]
            for kind, what in (("job", "default trigger"), ("job-trigger", "custom trigger")):
                j = per.get(kind, [None])[0]
                if b and j:
                    print(f"job / bare (tracemalloc), {what}: {j / b:.2f}x (goal <= 1.5x)")
            print("Per open window the job holds the window's aggregate in a per-key dict (as the bare dict does) "
                  "and its timer: with the default trigger the key in its window's timer bucket (8 bytes); with a "
                  "custom trigger a heap entry, a dedup-set entry and a (key, window) tuple, and a TimeWindow.")
    for e in errors:
        print(f"ERROR {e}")
    print()
    print(f"finished in {time.perf_counter() - started:.0f} s: {machine_line()}")


if __name__ == "__main__":
    main()
