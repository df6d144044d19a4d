"""Issue 4, item 5: connected streams and the broadcast state pattern.

``connected``: CoMapFunction, CoFlatMapFunction, a non-keyed CoProcessFunction (timestamps,
a side output) and a KeyedCoProcessFunction computing per-key event-time windows over two
out-of-order inputs with timers. ``broadcast``: a BroadcastProcessFunction applying broadcast
rules (put/remove) to events, and a KeyedBroadcastProcessFunction with keyed state, broadcast
thresholds and event-time timers. The event sources start only after every parallel
instance has received all rules (signal file), so the result does not depend on how the two
inputs interleave. Expected outputs are computed here; parallelism 1 and 2, embedded and on
a real cluster.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from stream_support import PARALLELISMS, Files, jsonable, per_key, run, stream_cluster  # noqa: F401

MODES = ("embedded", "cluster")
CASES = [(m, p) for m in MODES for p in PARALLELISMS]
IDS = [f"{m}-p{p}" for m, p in CASES]
SIZE, BOUND = 100, 30


def cluster_or_none(mode, request):
    return request.getfixturevalue("stream_cluster") if mode == "cluster" else None


def disordered(n, keys, step, bound, seed):
    rng = random.Random(seed)
    return [[f"k{rng.randrange(keys)}", max(0, i * step - rng.randint(0, bound)), rng.randint(1, 9)] for i in range(n)]


INTS = list(range(40))
WORDS = ["the quick brown fox", "jumps over", "the lazy dog", ""]
LEFT = [[f"l{i % 3}", i * 10, i] for i in range(30)]
RIGHT = [[f"r{i % 3}", i * 10 + 5, i - 5] for i in range(30)]          # first five negative: side output
A = disordered(150, 4, 6, BOUND, 1)
B = disordered(120, 4, 8, BOUND, 2)


def connected_params() -> dict:
    return {"pipelines": {"connected": {"ints": INTS, "words": WORDS, "left": LEFT, "right": RIGHT, "a": A, "b": B,
                                        "bound": BOUND, "size": SIZE}}}


_connected: dict = {}


@pytest.fixture(params=CASES, ids=IDS)
def connected_run(request, tmp_path_factory):
    if request.param not in _connected:
        mode, p = request.param
        out = run(mode, connected_params(), p, tmp_path_factory.mktemp("conn"), cluster_or_none(mode, request))
        grouped = defaultdict(list)
        for tag, record in out["connected"]:
            grouped[tag].append(record)
        _connected[request.param] = grouped
    return _connected[request.param]


def test_co_map(connected_run):
    expected = [["int", v * 2] for v in INTS] + [["str", w.upper()] for w in WORDS]
    assert Counter(map(repr, connected_run["comap"])) == Counter(map(repr, expected))


def test_co_flat_map(connected_run):
    expected = [["int", v, i] for v in INTS for i in range(v % 3)] + [["word", w] for s in WORDS for w in s.split()]
    assert Counter(map(repr, connected_run["coflat"])) == Counter(map(repr, expected))


def test_co_process_function_with_timestamps_and_side_output(connected_run):
    expected = [["left", r, r[1]] for r in LEFT] + [["right", r, r[1]] for r in RIGHT if r[2] >= 0]
    side = [["right-rejected", r, r[1]] for r in RIGHT if r[2] < 0]
    assert sorted(connected_run["coprocess"]) == sorted(expected)
    assert sorted(connected_run["coprocess-side"]) == sorted(side)


def test_keyed_co_process_function_event_time_windows(connected_run):
    acc: dict = defaultdict(lambda: [0, 0, 0, 0])
    for side, records in ((0, A), (1, B)):
        for key, ts, v in records:
            a = acc[(key, ts - ts % SIZE)]
            a[side * 2] += 1
            a[side * 2 + 1] += v
    expected: dict = defaultdict(list)
    for (key, start), a in sorted(acc.items()):
        expected[key].append([start, a])
    windows = connected_run["keyed"]
    assert connected_run["late"] == []
    assert all(r[0] == "window" and r[4] == [True, True, True] for r in windows), \
        [r for r in windows if r[0] != "window" or r[4] != [True, True, True]][:3]
    assert per_key(windows, 1, lambda r: [r[2], r[3]]) == dict(expected)


# ------------------------------------------------------------------ broadcast state
RULES = [["put", "apple", 2], ["put", "pear", 3], ["put", "fig", 5], ["remove", "pear"], ["put", "apple", 10],
         ["put", "kiwi", 7]]
EVENTS = [[name, i, 1000 + i * 10] for i, name in enumerate(["apple", "pear", "fig", "kiwi", "plum"] * 8)]
RULES2 = [["put", "card", 100], ["put", "cash", 300], ["put", "wire", 50], ["remove", "wire"], ["put", "card", 120]]
TX = [[f"acct{i % 5}", ["card", "cash", "wire"][i % 3], (i * 37) % 60 + 1, 2000 + i * 15] for i in range(90)]


def expected_broadcast():
    table = {}
    for rule in RULES:
        if rule[0] == "put":
            table[rule[1]] = rule[2]
        else:
            table.pop(rule[1], None)
    applied, rejected = [], []
    for name, x, ts in EVENTS:
        if name in table:
            applied.append(["applied", name, x, x * table[name], sorted(table), ts])
        else:
            rejected.append(["no-rule", [name, x, ts]])
    limits = {}
    for rule in RULES2:
        if rule[0] == "put":
            limits[rule[1]] = rule[2]
        else:
            limits.pop(rule[1], None)
    totals: dict = defaultdict(int)
    alerts, timers = defaultdict(list), defaultdict(set)
    for account, kind, amount, ts in TX:
        totals[account] += amount
        if kind in limits and totals[account] > limits[kind]:
            alerts[account].append(["alert", account, ts, totals[account], limits[kind], ts])
        timers[account].add(ts + 100)
    return applied, rejected, dict(alerts), {k: sorted(v) for k, v in timers.items()}


_broadcast: dict = {}


@pytest.fixture(params=CASES, ids=IDS)
def broadcast_run(request, tmp_path_factory):
    if request.param not in _broadcast:
        mode, p = request.param
        files = Files(tmp_path_factory.mktemp("bc"))
        exits = (files("events-exit"), files("tx-exit"))
        params = {"pipelines": {"broadcast": {
            "rules": RULES, "events": EVENTS, "rules2": RULES2, "transactions": TX, "parallelism": p,
            "signal": files("rules-seen"), "signal2": files("rules2-seen"), "deadline": 6.0,
            "exit_file": exits[0], "exit_file2": exits[1]}}}
        out = run(mode, params, p, files.directory, cluster_or_none(mode, request))["broadcast"]
        grouped = defaultdict(list)
        for tag, record in out:
            grouped[tag].append(record)
        _broadcast[request.param] = (grouped, [Files.lines(e) for e in exits], p)
    return _broadcast[request.param]


def test_broadcast_process_function(broadcast_run):
    grouped, exits, p = broadcast_run
    assert exits[0] == ["signal"], "not every parallel instance received all rules"
    applied, rejected, _, _ = expected_broadcast()
    got = [r for r in grouped["applied"] if r[0] == "applied"]
    assert sorted(got) == sorted(jsonable(applied))
    assert sorted(grouped["rejected"]) == sorted(jsonable(rejected))


def test_broadcast_state_is_read_only_on_the_non_broadcast_side(broadcast_run):
    grouped, _, p = broadcast_run
    tries = [r for r in grouped["applied"] if r[0] == "read-only"]
    assert 1 <= len(tries) <= p
    assert all(r == ["read-only", True, True] for r in tries), \
        f"put() on the non-broadcast side was not refused or changed the state: {tries}"


def test_keyed_broadcast_process_function(broadcast_run):
    grouped, exits, _ = broadcast_run
    assert exits[1] == ["signal"], "not every parallel instance received all rules"
    _, _, alerts, timers = expected_broadcast()
    keyed = grouped["keyed"]
    assert per_key([r for r in keyed if r[0] == "alert"], 1) == jsonable(alerts)
    assert per_key([r for r in keyed if r[0] == "timer"], 1, lambda r: r[2]) == timers
