"""Issue 4, item 2: keyed state through the RuntimeContext.

* ``state_ops``: a random script of operations on ValueState, ListState, MapState,
  ReducingState and AggregatingState per key, with PyFlink's method names; after each
  operation the job emits a snapshot of all five states, which must equal a plain-Python
  model of the same script (per key, in order).
* Two operators using the same state name keep separate state (state is per operator).
* TTL: ValueState/MapState/ListState with a 600 ms TTL read from processing-time timers,
  before and after expiry, for 'update on create and write' and 'on read and write', never
  returning expired values.
* The heap backend groups state by key group and restores only the key groups a subtask owns.

The jobs run at parallelism 1 and 2, embedded and on a real cluster.
"""
from __future__ import annotations

import pickle
import random
from collections import defaultdict
from pathlib import Path

import pytest
from stream_support import PARALLELISMS, Files, jsonable, per_key, run, stream_cluster  # noqa: F401

MODES = ("embedded", "cluster")
CASES = [(m, p) for m in MODES for p in PARALLELISMS]
IDS = [f"{m}-p{p}" for m, p in CASES]


def cluster_or_none(mode, request):
    return request.getfixturevalue("stream_cluster") if mode == "cluster" else None


# ------------------------------------------------------------------ the state script and its model
OPS = ["value.update", "value.clear", "list.add", "list.add_all", "list.update", "list.clear", "map.put",
       "map.put_all", "map.remove", "map.get", "map.clear", "reducing.add", "reducing.clear", "aggregating.add",
       "aggregating.clear"]


def state_script(seed: int, n: int = 400) -> list[list]:
    rng = random.Random(seed)
    out = []
    for seq in range(n):
        key = f"user{rng.randrange(7)}"
        op = rng.choice(OPS)
        words = ["apple", "pear", "fig", "kiwi", "plum"]
        arg = {
            "value.update": lambda: rng.choice([rng.randint(0, 99), f"s{rng.randint(0, 9)}", [1, rng.randint(0, 5)]]),
            "list.add": lambda: rng.randint(0, 50),
            "list.add_all": lambda: [rng.randint(0, 50) for _ in range(rng.randint(0, 3))],
            "list.update": lambda: [rng.randint(0, 50) for _ in range(rng.randint(0, 3))],
            "map.put": lambda: [rng.choice(words), rng.randint(0, 99)],
            "map.put_all": lambda: [[rng.choice(words), rng.randint(0, 99)] for _ in range(rng.randint(1, 3))],
            "map.remove": lambda: rng.choice(words),
            "map.get": lambda: rng.choice(words),
            "reducing.add": lambda: rng.randint(-5, 20),
            "aggregating.add": lambda: rng.randint(0, 20),
        }.get(op, lambda: None)()
        out.append([key, seq, op, arg])
    return out


def model(script: list) -> dict[str, list]:
    """What each operation leaves in the five states, simulated with plain Python values."""
    states: dict = defaultdict(lambda: {"value": None, "list": [], "map": {}, "reducing": None, "agg": None})
    out: dict = defaultdict(list)
    for key, seq, op, arg in script:
        s = states[key]
        probe = None
        if op == "value.update":
            s["value"] = arg
        elif op == "value.clear":
            s["value"] = None
        elif op == "list.add":
            s["list"].append(arg)
        elif op == "list.add_all":
            s["list"].extend(arg)
        elif op == "list.update":
            s["list"] = list(arg)
        elif op == "list.clear":
            s["list"] = []
        elif op == "map.put":
            s["map"][arg[0]] = arg[1]
        elif op == "map.put_all":
            s["map"].update({k: v for k, v in arg})
        elif op == "map.remove":
            s["map"].pop(arg, None)
        elif op == "map.get":
            probe = [s["map"].get(arg), arg in s["map"]]
        elif op == "map.clear":
            s["map"] = {}
        elif op == "reducing.add":
            s["reducing"] = arg if s["reducing"] is None else s["reducing"] + arg
        elif op == "reducing.clear":
            s["reducing"] = None
        elif op == "aggregating.add":
            total, count = s["agg"] or (0, 0)
            s["agg"] = (total + arg, count + 1)
        elif op == "aggregating.clear":
            s["agg"] = None
        snapshot = {
            "value": s["value"],
            "list": list(s["list"]),
            "map_items": sorted([k, v] for k, v in s["map"].items()),
            "map_keys": sorted(s["map"]),
            "map_values": sorted(s["map"].values(), key=repr),
            "map_empty": not s["map"],
            "reducing": s["reducing"],
            "aggregating": list(s["agg"]) if s["agg"] is not None else None,
        }
        out[key].append(jsonable([key, seq, op, probe, snapshot]))
    return dict(out)


SCRIPT = state_script(5)
COUNTER_KEYS = [f"c{i % 5}" for i in range(40)]


def expected_counts(name: str) -> dict:
    seen: dict = defaultdict(int)
    out: dict = defaultdict(list)
    for k in COUNTER_KEYS:
        seen[k] += 1
        out[k].append([name, k, seen[k]])
    return dict(out)


_results: dict = {}


@pytest.fixture(params=CASES, ids=IDS)
def state_run(request, tmp_path_factory):
    if request.param not in _results:
        mode, p = request.param
        tmp = tmp_path_factory.mktemp("state")
        params = {"pipelines": {"state_ops": {"records": SCRIPT, "counter_keys": COUNTER_KEYS}}}
        _results[request.param] = run(mode, params, p, tmp, cluster_or_none(mode, request))["state_ops"]
    return _results[request.param]


def test_script_covers_every_operation():
    assert {op for _, _, op, _ in SCRIPT} == set(OPS)


def test_all_state_types_match_model(state_run):
    got = per_key([r for r in state_run if isinstance(r, list) and len(r) == 5], 0)
    assert got == model(SCRIPT)


def test_state_is_per_operator(state_run):
    """Two keyed operators in a row both use a ValueState named 'count': each counts alone."""
    counters = [r for r in state_run if isinstance(r, list) and len(r) == 3]
    for name in ("first", "second"):
        got = per_key([r for r in counters if r[0] == name], 1)
        assert got == expected_counts(name), f"operator {name!r}"


# ------------------------------------------------------------------ TTL
TTL_MS, STEP_MS = 600, 300
EXPIRED_FINAL = [None, [], [], True, None, False]


def ttl_expected(key: str) -> list:
    mode = key.split(":")[0]
    if mode == "cw":
        # phase 1 (t0+300): all alive; phase 2 (>= t0+600): written at t0 -> expired although
        # read at phase 1 (reads do not refresh); "b" written at phase 1 is alive
        return [[key, 1, "v0", ["a"], ["x"]], [key, 2, None, ["b"], []], [key, 3] + EXPIRED_FINAL]
    # on read and write: the read at phase 1 refreshed everything, so phase 2 still sees it
    return [[key, 1, "v0", ["a"], ["x"]], [key, 2, "v0", ["a"], ["x"]], [key, 3] + EXPIRED_FINAL]


@pytest.mark.parametrize("mode,parallelism", CASES, ids=IDS)
def test_state_ttl(request, tmp_path: Path, mode: str, parallelism: int):
    files = Files(tmp_path)
    keys = [f"{m}:{TTL_MS}:{STEP_MS}:{i}" for m in ("cw", "rw") for i in range(2)]
    exit_file = files("ttl-exit")
    params = {"pipelines": {"ttl": {"records": [[k, k.split(":")[0], TTL_MS, STEP_MS] for k in keys],
                                    "signal": files("ttl-done"), "deadline": 6.0, "exit_file": exit_file}}}
    out = run(mode, params, parallelism, tmp_path, cluster_or_none(mode, request))["ttl"]
    assert Files.lines(exit_file) == ["signal"], "the TTL probes' processing-time timers did not all fire"
    assert per_key(out, 0) == {k: ttl_expected(k) for k in keys}


# ------------------------------------------------------------------ backend: key groups
def test_heap_backend_snapshot_is_grouped_by_key_group_and_restores_by_range():
    from runtime.datastream.state import ListStateDescriptor, ValueStateDescriptor
    from runtime.state.heap_keyed_state_backend import HeapKeyedStateBackend
    from runtime.state.key_groups import assign_to_key_group, key_group_range

    maxp = 128
    keys = [f"key-{i}" for i in range(60)] + list(range(40))
    source = HeapKeyedStateBackend(maxp)
    value = source.get_state(ValueStateDescriptor("v", None), "op")
    lst = source.get_list_state(ListStateDescriptor("l", None), "op")
    for k in keys:
        source.current_key = k
        value.update(f"value of {k}")
        lst.add_all([k, k])
    snapshot = source.snapshot()
    for name, (kind, groups) in pickle.loads(snapshot).items():
        for kg, entries in groups.items():
            assert all(assign_to_key_group(k, maxp) == kg for k in entries), f"{name}: key in the wrong group"
    for parallelism in (1, 2, 3):
        restored = []
        for index in range(parallelism):
            owned = key_group_range(maxp, parallelism, index)
            target = HeapKeyedStateBackend(maxp, owned)
            target.restore([snapshot])
            v = target.get_state(ValueStateDescriptor("v", None), "op")
            ls = target.get_list_state(ListStateDescriptor("l", None), "op")
            mine = [k for k in keys if assign_to_key_group(k, maxp) in owned]
            for k in mine:
                target.current_key = k
                assert v.value() == f"value of {k}" and ls.get() == [k, k]
            assert sorted(map(str, target.keys("op/v"))) == sorted(map(str, mine))
            restored += mine
        assert sorted(map(str, restored)) == sorted(map(str, keys)), f"p={parallelism}: keys lost or duplicated"
