"""Issue 4, item 1: watermarks and event time.

Every job is in ``stream_jobs.py`` and runs at parallelism 1 and 2, embedded (in this process,
``execute_and_collect``) and on a real 2-TaskManager cluster (``pyflink run -p N``). The
expected output is simulated here in plain Python from the same input: tumbling windows
written with MapState and event-time timers must hold every record of the window (none late,
because the data's disorder stays within the bound), whatever the watermark interval.

Jobs that must see something happen *while a source is still open* (idle inputs, periodic
watermarks) use sources that stay open until the job wrote a signal file or a deadline
passed; the source writes which of the two ended it, and the tests assert on that.
"""
from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest
from stream_support import PARALLELISMS, Files, jsonable, per_key, run, stream_cluster  # noqa: F401

MIN_WM = -(2 ** 63)
MAX_WM = 2 ** 63 - 1
MODES = ("embedded", "cluster")
SIZE = 100
BOUND = 40


# ------------------------------------------------------------------ data and reference
def disordered(n: int, keys: int, step: int, bound: int, seed: int) -> list[list]:
    """(key, ts, value) records whose timestamps run late by at most ``bound`` ms: record j's
    ts >= (max ts before it) - bound, so none is ever behind a bounded-out-of-orderness
    watermark (max - bound - 1)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ts = max(0, i * step - rng.randint(0, bound))
        out.append([f"k{rng.randrange(keys)}", ts, rng.randint(1, 9)])
    return out


def expected_windows(records, size: int) -> dict[str, list]:
    """Per key, [start, count, sum] of every tumbling window, in window order."""
    acc: dict = defaultdict(lambda: [0, 0])
    for key, ts, v, *_ in records:
        a = acc[(key, ts - ts % size)]
        a[0] += 1
        a[1] += v
    out: dict = defaultdict(list)
    for (key, start), (count, total) in sorted(acc.items()):
        out[key].append([start, count, total])
    return dict(out)


def check_windows(result: list, expected: dict, size: int) -> None:
    """The window pipeline's records: windows per key in order, context checks true, the
    timestamp after a network hop equal to the timer's, nothing late, no wrong timestamps."""
    windows = [r for r in result if r[0] == "window"]
    others = [r for r in result if r[0] != "window"]
    assert others == [], f"late or mis-stamped records: {others[:5]}"
    for r in windows:
        _, key, start, count, total, ok, subtask, timer_ts, stamp = r
        assert ok == [True, True, True], f"on_timer context wrong (timestamp, watermark >= ts, domain): {r}"
        assert timer_ts == start + size - 1 and stamp == timer_ts, f"timer output not stamped with the timer time: {r}"
    got = per_key(windows, 1, lambda r: [r[2], r[3], r[4]])
    assert got == expected


def cluster_or_none(mode, request):
    return request.getfixturevalue("stream_cluster") if mode == "cluster" else None


# ------------------------------------------------------------------ API names
def test_watermark_strategy_importable_from_runtime_common():
    """PyFlink jobs write ``from pyflink.common import WatermarkStrategy, Duration``."""
    import runtime.common as common
    from runtime.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
    assert common.Duration is not None
    assert getattr(common, "WatermarkStrategy", None) is WatermarkStrategy, \
        "runtime.common does not export WatermarkStrategy (pyflink.common does)"
    assert issubclass(TimestampAssigner, object)


def test_duration_factories_and_strategies():
    from runtime.common import Duration
    from runtime.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
    assert Duration.of_millis(1500).to_milliseconds() == 1500
    assert Duration.of_seconds(3).to_milliseconds() == 3000
    assert Duration.of_minutes(2).to_milliseconds() == 120_000
    assert Duration.of_hours(1).to_milliseconds() == 3_600_000
    assert Duration.of_days(1).to_milliseconds() == 86_400_000

    class Ts(TimestampAssigner):
        def extract_timestamp(self, value, record_timestamp):
            return value

    base = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(2))
    derived = base.with_timestamp_assigner(Ts()).with_idleness(Duration.of_millis(300))
    for s in (WatermarkStrategy.for_monotonous_timestamps(), WatermarkStrategy.no_watermarks(), base, derived):
        assert isinstance(s, WatermarkStrategy)


def test_assigner_runs_at_its_input_parallelism():
    """Flink (and so PyFlink) runs assign_timestamps_and_watermarks at its input's parallelism,
    chained to it: no rebalance is inserted, so records keep their order per key into a
    later key_by, and a source's assigner sits in the source's task."""
    import json

    from runtime.common import Duration
    from runtime.common.watermark_strategy import WatermarkStrategy
    from runtime.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(5))
    env.from_collection([1, 2, 3]).assign_timestamps_and_watermarks(strategy).key_by(lambda v: v % 2) \
        .map(lambda v: v).print()
    plan = json.loads(env.get_execution_plan())
    node = next(n for n in plan["nodes"] if n["type"] == "Timestamps/Watermarks")
    assert node["parallelism"] == 1, f"assigner at parallelism {node['parallelism']}, its input at 1"
    assert node["predecessors"][0]["ship_strategy"] == "FORWARD"


# ------------------------------------------------------------------ out-of-order windows
WINDOW_DATA = disordered(240, keys=5, step=7, bound=BOUND, seed=4)


def windows_params() -> dict:
    return {"pipelines": {"windows": {"records": WINDOW_DATA, "bound": BOUND, "size": SIZE, "batch": 12,
                                      "pause": 0.004}}}


def test_window_data_is_really_out_of_order():
    ts = [r[1] for r in WINDOW_DATA]
    assert sum(1 for a, b in zip(ts, ts[1:]) if b < a) > 50
    assert max(m - t for m, t in zip(_running_max(ts), ts)) <= BOUND


def _running_max(values):
    m = MIN_WM
    for v in values:
        m = max(m, v)
        yield m


@pytest.mark.parametrize("parallelism", PARALLELISMS)
@pytest.mark.parametrize("interval_ms", (1, 37, 10_000))
def test_out_of_order_windows_embedded_any_watermark_interval(tmp_path: Path, parallelism: int, interval_ms: int):
    """The same result whether watermarks come every millisecond, every 37 ms, or only at the end."""
    out = run("embedded", windows_params(), parallelism, tmp_path, interval_ms=interval_ms)
    check_windows(out["windows"], expected_windows(WINDOW_DATA, SIZE), SIZE)


@pytest.mark.parametrize("parallelism", PARALLELISMS)
@pytest.mark.parametrize("interval_ms", (1, 10_000))
def test_out_of_order_windows_cluster_any_watermark_interval(stream_cluster, tmp_path: Path, parallelism: int,
                                                             interval_ms: int):
    out = run("cluster", windows_params(), parallelism, tmp_path, stream_cluster, interval_ms=interval_ms)
    check_windows(out["windows"], expected_windows(WINDOW_DATA, SIZE), SIZE)


# ------------------------------------------------------------------ deterministic pipelines
def inband_script(seed: int) -> list:
    """Records with source timestamps and explicit source watermarks; some records arrive
    behind a watermark already emitted (late)."""
    rng = random.Random(seed)
    script, wm = [], MIN_WM
    for i in range(150):
        ts = i * 10
        if i % 25 == 24:
            wm = ts - 30
            script.append(["w", wm])
        if i % 17 == 16 and wm > 0:
            late_ts = max(0, wm - rng.randint(0, 200))
            script.append(["r", [f"k{rng.randrange(4)}", late_ts, 100], late_ts])
        script.append(["r", [f"k{rng.randrange(4)}", ts, rng.randint(1, 9)], ts])
    return script


def expected_inband(script: list, size: int) -> tuple[dict, list]:
    """Simulate: a record at or below the last watermark is late; a window's timer fires when
    the watermark reaches its end (the end of input sends the maximum watermark)."""
    wm = MIN_WM
    kept, late = [], []
    for step in script:
        if step[0] == "w":
            wm = max(wm, step[1])
        else:
            rec = step[1]
            (late if rec[1] <= wm else kept).append(rec)
    return expected_windows(kept, size), sorted(late)


INBAND = inband_script(7)
MONO_N, MONO_FACTOR, MONO_KEYS = 600, 3, 4
NO_WM = disordered(60, keys=3, step=5, bound=20, seed=11)
RECORD_TS_SCRIPT = [["r", ["a", i], 100 + i * 3] if i % 3 else ["n", ["b", i]] for i in range(30)]
FAST = [[f"k{i % 3}", i * 25, 1, "fast"] for i in range(120)]          # ts 0..2975
SLOW = [[f"k{i % 3}", i * 12, 2, "slow"] for i in range(100)]          # ts 0..1188


def deterministic_params(files: Files) -> tuple[dict, dict]:
    slow = {"fast": FAST, "slow": SLOW, "bound": 20, "size": SIZE, "signal": files("fast-seen"),
            "deadline": 8.0, "exit_file": files("slow-exit")}
    params = {"pipelines": {
        "inband": {"script": INBAND, "size": SIZE},
        "monotonous": {"n": MONO_N, "factor": MONO_FACTOR, "keys": MONO_KEYS, "size": 50},
        "no_watermarks": {"records": NO_WM},
        "record_timestamps": {"script": RECORD_TS_SCRIPT},
        "slow_input": slow,
    }}
    return params, slow


_results: dict = {}


@pytest.fixture(params=[(m, p) for m in MODES for p in PARALLELISMS], ids=lambda mp: f"{mp[0]}-p{mp[1]}")
def deterministic(request, tmp_path_factory):
    """All deterministic pipelines in one job, run once per (mode, parallelism)."""
    mode, p = request.param
    if request.param not in _results:
        files = Files(tmp_path_factory.mktemp("det"))
        params, slow = deterministic_params(files)
        out = run(mode, params, p, files.directory, cluster_or_none(mode, request))
        _results[request.param] = (out, Files.lines(slow["exit_file"]))
    return _results[request.param]


def test_source_watermarks_in_band_and_late_records_to_side_output(deterministic):
    out, _ = deterministic
    records = out["inband"]
    expected, late = expected_inband(INBAND, SIZE)
    assert late, "the script must contain late records"
    got_late = sorted(r[1:] for r in records if r[0] == "late")
    assert got_late == late
    check_windows([r for r in records if r[0] != "late"], expected, SIZE)


def test_monotonous_timestamps_from_source_strategy(deterministic):
    """from_source(NumberSequenceSource, for_monotonous_timestamps) split over subtasks."""
    out, _ = deterministic
    data = [[f"k{v % MONO_KEYS}", v * MONO_FACTOR, v] for v in range(MONO_N)]
    check_windows(out["monotonous"], expected_windows(data, 50), 50)


def test_no_watermarks_timers_fire_only_at_end_of_input(deterministic):
    """no_watermarks(): timestamps are assigned, the watermark stays at its minimum while data
    flows, and the end of the bounded input sends the maximum watermark, which fires every
    timer, even one 10^12 ms in the future, in timestamp order per key."""
    out, _ = deterministic
    records = out["no_watermarks"]
    elements = [r for r in records if r[0] == "el"]
    timers = [r for r in records if r[0] == "timer"]
    assert sorted(r[1:4] for r in elements) == sorted([k, ts, ts] for k, ts, _ in NO_WM)
    assert {r[4] for r in elements} == {MIN_WM}
    expected: dict = defaultdict(set)
    for k, ts, _ in NO_WM:
        expected[k] |= {ts, ts + 10 ** 12}
    assert per_key(timers, 1, lambda r: r[2]) == {k: sorted(v) for k, v in expected.items()}
    assert all(r[3] == r[2] and r[4] == MAX_WM for r in timers), timers[:3]


def test_timestamp_assigner_receives_record_timestamp(deterministic):
    """extract_timestamp(value, record_timestamp): the source's timestamp, or Long.MIN_VALUE
    for a record the source emitted without one."""
    out, _ = deterministic
    expected = sorted([step[1], step[2] + 1000] if step[0] == "r" else [step[1], 5] for step in RECORD_TS_SCRIPT)
    assert sorted(out["record_timestamps"]) == expected


def test_task_watermark_is_minimum_over_inputs(deterministic):
    """A fast input that finished early must not drag the keyed operator's watermark past a
    slow input that starts only afterwards: no slow record is late, every window complete."""
    out, exit_reason = deterministic
    assert exit_reason == ["signal"], "the slow source never saw the fast records processed"
    check_windows(out["slow_input"], expected_windows(FAST + SLOW, SIZE), SIZE)


# ------------------------------------------------------------------ idle inputs
IDLE_DATA = disordered(120, keys=3, step=6, bound=BOUND, seed=21)


def idle_params(files: Files, active: str, idleness: int | None, deadline: float) -> tuple[dict, str]:
    exit_file = files("idle-exit")
    expected = sum(len(v) for v in expected_windows(IDLE_DATA, SIZE).values())
    return {"pipelines": {"idle_input": {
        "records": IDLE_DATA, "active": active, "bound": BOUND, "size": SIZE, "idleness": idleness,
        "signal": files("fired"), "expected": expected, "deadline": deadline, "exit_file": exit_file,
    }}}, exit_file


def idle_run(request, tmp_path, mode, p, active, idleness, deadline):
    files = Files(tmp_path)
    params, exit_file = idle_params(files, active, idleness, deadline)
    out = run(mode, params, p, tmp_path, cluster_or_none(mode, request))
    check_windows(out["idle_input"], expected_windows(IDLE_DATA, SIZE), SIZE)
    return Files.lines(exit_file)


@pytest.mark.parametrize("parallelism", PARALLELISMS)
@pytest.mark.parametrize("mode", MODES)
def test_idle_input_does_not_hold_back_watermark(request, tmp_path: Path, mode: str, parallelism: int):
    """union(active paced source, silent source with with_idleness(200 ms)): every window's
    timer fires while the silent source is still open (it closes on the signal)."""
    reason = idle_run(request, tmp_path, mode, parallelism, "paced", 200, 2.5)
    assert reason == ["signal"], "the windows fired only when the silent source closed at its deadline: " \
                                 "the idle input held the watermark back"


def test_without_idleness_a_silent_input_holds_back_watermark(request, tmp_path: Path):
    """The control for the test above: without with_idleness the timers cannot fire while the
    silent source is open; they fire at the end of input."""
    reason = idle_run(request, tmp_path, "embedded", 2, "paced", None, 1.5)
    assert reason == ["deadline"]


@pytest.mark.parametrize("mode,parallelism", [("embedded", 1), ("embedded", 2), ("cluster", 2)])
def test_idle_input_after_other_input_finished(request, tmp_path: Path, mode: str, parallelism: int):
    """The active input is a bounded collection: it ends (maximum watermark, end of partition)
    before the silent input is declared idle. Once it is, the finished input's maximum
    watermark must count: every timer fires while the silent source is still open."""
    reason = idle_run(request, tmp_path, mode, parallelism, "collection", 200, 2.5)
    assert reason == ["signal"], "timers fired only at the silent source's deadline"


# ------------------------------------------------------------------ periodic watermarks while running
RUNNING_DATA = [[f"k{i % 4}", i * 5, 1] for i in range(200)]             # ts 0..995, in order


def running_params(files: Files, heartbeat: bool) -> tuple[dict, str]:
    top = max(r[1] for r in RUNNING_DATA)
    reachable = top - 10 - 1                                             # bound 10
    expected = sum(1 for wins in expected_windows(RUNNING_DATA, SIZE).values()
                   for start, _, _ in wins if start + SIZE - 1 <= reachable)
    exit_file = files("running-exit")
    return {"pipelines": {"running_source": {
        "records": RUNNING_DATA, "bound": 10, "size": SIZE, "signal": files("fired"), "expected": expected,
        "deadline": 2.5, "exit_file": exit_file, "heartbeat": ["heartbeat", top, 0] if heartbeat else None,
    }}}, exit_file


@pytest.mark.parametrize("parallelism", PARALLELISMS)
@pytest.mark.parametrize("mode", MODES)
def test_periodic_watermarks_fire_timers_while_source_runs(request, tmp_path: Path, mode: str, parallelism: int):
    """The source emits its data, then keeps running (re-emitting its last timestamp): the
    periodic watermark (200 ms) must fire every window it has passed before the source ends."""
    files = Files(tmp_path)
    params, exit_file = running_params(files, heartbeat=True)
    out = run(mode, params, parallelism, tmp_path, cluster_or_none(mode, request))
    check_windows(out["running_source"], expected_windows(RUNNING_DATA, SIZE), SIZE)
    assert Files.lines(exit_file) == ["signal"]


@pytest.mark.parametrize("mode,parallelism", [("embedded", 1), ("embedded", 2), ("cluster", 2)])
def test_source_that_pauses_still_delivers_records_and_watermarks(request, tmp_path: Path, mode: str,
                                                                   parallelism: int):
    """The source emits its data, then stays open without emitting. Its records (and the
    watermarks after them) must still reach the keyed operator within the buffer timeout and
    watermark interval, not only when the source emits again or ends."""
    files = Files(tmp_path)
    params, exit_file = running_params(files, heartbeat=False)
    out = run(mode, params, parallelism, tmp_path, cluster_or_none(mode, request))
    check_windows(out["running_source"], expected_windows(RUNNING_DATA, SIZE), SIZE)
    assert Files.lines(exit_file) == ["signal"], \
        "no window fired while the source was paused: its records/watermarks were held back"


def test_expected_inband_reference_is_sane():
    """The reference itself: late records exist and every kept record is in some window."""
    expected, late = expected_inband(INBAND, SIZE)
    kept = sum(c for wins in expected.values() for _, c, _ in wins)
    assert kept + len(late) == sum(1 for s in INBAND if s[0] == "r")
    assert jsonable(late) == late
