"""Issue 4, item 3: process functions and timers.

* Event-time timers (``timer_ops``): registered per key from out-of-order-tolerant data with
  periodic watermarks, deduplicated, deleted, registered again from ``on_timer``; each fires
  once, per key in timestamp order, and within a subtask never out of timestamp order. The
  expected firings are simulated here from the commands.
* Processing-time timers (``processing_timers``): fire on the wall clock while the job runs
  (a source stays open until every expected timer has fired, or gives up at a deadline).

Both at parallelism 1 and 2, embedded and on a real cluster.
"""
from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest
from stream_support import PARALLELISMS, Files, per_key, run, stream_cluster  # noqa: F401

MODES = ("embedded", "cluster")
CASES = [(m, p) for m in MODES for p in PARALLELISMS]
IDS = [f"{m}-p{p}" for m, p in CASES]


def cluster_or_none(mode, request):
    return request.getfixturevalue("stream_cluster") if mode == "cluster" else None


# ------------------------------------------------------------------ event-time timers
def timer_commands(seed: int) -> list[list]:
    """(key, ts, cmd, target), ts increasing by 10. Targets are > the record's ts (so never
    already due), end in 3 (chained timers at target + 5 end in 8: no collisions); deletes
    and duplicate registrations only name targets still in the future."""
    rng = random.Random(seed)
    live: dict = defaultdict(set)
    out = []
    for i in range(300):
        ts = i * 10
        key = f"k{rng.randrange(6)}"
        future = sorted(t for t in live[key] if t > ts)
        roll = rng.random()
        if roll < 0.15 and future:
            target = rng.choice(future)
            out.append([key, ts, "del", target])
            live[key].discard(target)
            continue
        if roll < 0.3 and future:
            out.append([key, ts, "reg", rng.choice(future)])          # duplicate registration
            continue
        target = 5003 if roll > 0.95 else ts + 10 * rng.randint(1, 30) + 3   # 5003: shared by keys
        if target <= ts:
            target = ts + 13
        cmd = "chain" if rng.random() < 0.2 else "reg"
        live[key].add(target)
        out.append([key, ts, cmd, target])
    return out


def expected_firings(commands) -> dict[str, list]:
    """Per key, [timestamp, kind] of every firing in timestamp order: one per live target
    (registrations deduplicated, deletions applied, the first registration's kind kept), plus
    target + 5 for every 'chain' timer."""
    kinds: dict = defaultdict(dict)
    for key, ts, cmd, target in commands:
        if cmd == "del":
            kinds[key].pop(target, None)
        elif target not in kinds[key]:
            kinds[key][target] = cmd
    out = {}
    for key, timers in kinds.items():
        fired = dict(timers)
        for t, kind in timers.items():
            if kind == "chain":
                fired[t + 5] = "chained"
        out[key] = [[t, fired[t]] for t in sorted(fired)]
    return out


COMMANDS = timer_commands(3)


def test_timer_commands_exercise_dedup_delete_and_shared_targets():
    cmds = [c[2] for c in COMMANDS]
    assert cmds.count("del") > 10 and cmds.count("chain") > 10
    regs = defaultdict(int)
    for key, _, cmd, target in COMMANDS:
        if cmd != "del":
            regs[(key, target)] += 1
    assert any(n > 1 for n in regs.values()), "no duplicate registration"
    assert len({k for (k, t) in regs if t == 5003}) > 1, "no timestamp shared by two keys"


@pytest.mark.parametrize("mode,parallelism", CASES, ids=IDS)
def test_event_time_timers(request, tmp_path: Path, mode: str, parallelism: int):
    params = {"pipelines": {"timer_ops": {"records": COMMANDS, "bound": 20}}}
    out = run(mode, params, parallelism, tmp_path, cluster_or_none(mode, request))["timer_ops"]
    for r in out:
        assert r[4] == [True, True, True], f"ctx.timestamp() / current_watermark() / time_domain() wrong: {r}"
    assert per_key(out, 1, lambda r: [r[2], r[3]]) == expected_firings(COMMANDS)
    by_subtask = defaultdict(list)
    for r in out:
        by_subtask[r[5]].append(r[2])
    for subtask, stamps in by_subtask.items():
        assert stamps == sorted(stamps), f"subtask {subtask} fired timers out of timestamp order"


# ------------------------------------------------------------------ processing-time timers
def processing_commands() -> tuple[list, dict]:
    """(key, cmd, delay) records and how often each key's timers must fire."""
    records, fires = [], {}
    for i in range(4):
        records += [[f"reg{i}", "reg", 150 + 40 * i]] * 3            # same timestamp 3 times: once
        fires[f"reg{i}"] = 1
        records += [[f"del{i}", "reg", 500], [f"del{i}", "del", 0]]
        fires[f"del{i}"] = 0
        records.append([f"past{i}", "past", 0])
        fires[f"past{i}"] = 1
        records.append([f"chain{i}", "chain", 100])
        fires[f"chain{i}"] = 2
        records.append([f"multi{i}", "multi", 400])
        fires[f"multi{i}"] = 3
    return records, fires


_pt_results: dict = {}


@pytest.fixture(params=CASES, ids=IDS)
def processing(request, tmp_path_factory):
    if request.param not in _pt_results:
        mode, p = request.param
        files = Files(tmp_path_factory.mktemp("pt"))
        records, fires = processing_commands()
        exit_file = files("pt-exit")
        params = {"pipelines": {"processing_timers": {
            "records": records, "signal": files("pt-fired"), "expected": sum(fires.values()),
            "deadline": 5.0, "exit_file": exit_file}}}
        out = run(mode, params, p, files.directory, cluster_or_none(mode, request))["processing_timers"]
        _pt_results[request.param] = (out, Files.lines(exit_file), fires)
    return _pt_results[request.param]


def test_processing_time_timers_fire_on_wall_clock(processing):
    """Every timer fires while the job runs (the holding source ends on the signal, not at its
    deadline): deduplicated, deleted ones never, a past one at once, one registered from
    on_timer too, several of one key in timestamp order."""
    out, exit_reason, fires = processing
    fired = [r for r in out if r[0] == "fired"]
    assert exit_reason == ["signal"], "processing-time timers did not fire before the deadline"
    counts = defaultdict(int)
    for r in fired:
        counts[r[1]] += 1
    assert {k: counts.get(k, 0) for k in fires} == fires
    for r in fired:
        _, key, registered, domain_ok, after, _ = r
        assert registered and domain_ok and after, f"timer {r}: registered / PROCESSING_TIME / fired after its time"
    for key, stamps in per_key(fired, 1, lambda r: r[5]).items():
        assert stamps == sorted(stamps), f"{key}: timers fired out of timestamp order"


def test_on_timer_context_timestamp_is_the_timer_time(processing):
    """PyFlink sets the OnTimerContext's timestamp() to the firing timer's timestamp for both
    time domains (processing time too)."""
    out, _, _ = processing
    side = [r for r in out if r[0] == "ts"]
    assert side, "no timer fired"
    wrong = [r for r in side if r[2] != r[3]]
    assert not wrong, f"ctx.timestamp() in on_timer of a processing-time timer: {wrong[:3]} ([_, key, got, timer])"
