"""Issue 4, items 3 and 4: side outputs (``yield tag, value``) and ProcessFunction contexts.

``side_outputs`` splits numbers with a non-keyed ProcessFunction into the main output and two
tagged side outputs (one consumed by a chained operator, one across the network), asks for a
tag nobody emits (empty), and uses a KeyedProcessFunction that sends rejected records and
its timer firings to side outputs. Expected outputs are computed here from the inputs.
Side outputs of two-input functions are in test_connected_streams.py.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from stream_support import PARALLELISMS, per_key, run, stream_cluster  # noqa: F401

MODES = ("embedded", "cluster")
CASES = [(m, p) for m in MODES for p in PARALLELISMS]
IDS = [f"{m}-p{p}" for m, p in CASES]
N = 200
KEYED = [[f"k{i % 4}", i * 7 - (i % 3) * 5, (i % 9) - 2] for i in range(120)]  # some negative values


def cluster_or_none(mode, request):
    return request.getfixturevalue("stream_cluster") if mode == "cluster" else None


def test_output_tag_api():
    from runtime.common import Types
    from runtime.datastream import OutputTag
    from runtime.datastream.output_tag import OutputTag as Direct
    assert OutputTag is Direct
    tag = OutputTag("late-data", Types.STRING())
    assert tag.tag_id == "late-data" and tag.type_info == Types.STRING()
    assert OutputTag("x") == OutputTag("x") and OutputTag("x") != OutputTag("y")
    with pytest.raises(ValueError):
        OutputTag("")


def test_process_function_names_importable_from_runtime_datastream():
    """PyFlink jobs import these from pyflink.datastream."""
    import runtime.datastream as ds
    from runtime.datastream import functions
    for name in ("ProcessFunction", "KeyedProcessFunction", "CoMapFunction", "CoFlatMapFunction",
                 "CoProcessFunction", "KeyedCoProcessFunction", "BroadcastProcessFunction",
                 "KeyedBroadcastProcessFunction"):
        assert getattr(ds, name, None) is getattr(functions, name), f"runtime.datastream.{name} missing"
    from runtime.datastream.time_domain import TimeDomain
    assert getattr(ds, "TimeDomain", None) is TimeDomain


_results: dict = {}


@pytest.fixture(params=CASES, ids=IDS)
def side_run(request, tmp_path_factory):
    if request.param not in _results:
        mode, p = request.param
        params = {"pipelines": {"side_outputs": {"n": N, "records": KEYED, "bound": 50}}}
        _results[request.param] = run(mode, params, p, tmp_path_factory.mktemp("side"),
                                      cluster_or_none(mode, request))["side_outputs"]
    return _results[request.param]


def test_non_keyed_side_outputs(side_run):
    by_kind = defaultdict(list)
    for r in side_run:
        by_kind[r[0]].append(r[1:])
    # no timestamps in this pipeline: ctx.timestamp() is Long.MIN_VALUE, as PyFlink 2.3 returns
    assert sorted(by_kind["main"]) == sorted([v, -2**63] for v in range(N) if v % 3 == 0)
    assert sorted(by_kind["even"]) == sorted([v] for v in range(N) if v % 2 == 0)
    assert sorted(by_kind["odd-square"]) == sorted([v * v] for v in range(N) if v % 2)
    assert by_kind["never"] == []


def test_keyed_side_outputs_from_elements_and_timers(side_run):
    accepted = [r for r in side_run if r[0] == "accepted"]
    rejected = [r[1] for r in side_run if r[0] == "rejected"]
    timers = [r[1] for r in side_run if r[0] == "timer-side"]
    assert per_key(accepted, 1, lambda r: r[1:]) == per_key([[k, ts, v] for k, ts, v in KEYED if v >= 0], 0)
    assert per_key(rejected, 0) == per_key([[k, ts, v] for k, ts, v in KEYED if v < 0], 0)
    expected_timers: dict = defaultdict(set)
    for k, ts, v in KEYED:
        if v >= 0:
            expected_timers[k].add(ts + 1)
    assert per_key(timers, 1, lambda r: r[2]) == {k: sorted(v) for k, v in expected_timers.items()}


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_non_keyed_process_function_reads_watermark_and_processing_time(tmp_path: Path, parallelism: int):
    """ctx.timer_service() in a non-keyed ProcessFunction: current_watermark() and
    current_processing_time() work (only registering timers needs a keyed stream)."""
    records = [[f"k{i % 3}", i * 10] for i in range(50)]
    params = {"pipelines": {"non_keyed_timer_service": {"records": records, "bound": 5}}}
    out = run("embedded", params, parallelism, tmp_path)["non_keyed_timer_service"]
    assert sorted(out) == sorted([r, r[1], True, True] for r in records)
