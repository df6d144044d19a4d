"""The DataStream API (issue 3, items 1-3) on the embedded mini cluster.

Every job here is built and executed inside the test process (the embedded cluster runs
its TaskManager in-process), except the print-format tests, which run ``python job.py``
in a subprocess and compare its stdout with lines the test renders itself from the input
using PyFlink's documented print rules.

Expected results are always computed by plain Python over the same input.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import REPO, wait_until

from runtime.common import Configuration, JobExecutionResult, JobID, JobStatus, Row, Types
from runtime.datastream import (
    FilterFunction,
    FlatMapFunction,
    KeyedProcessFunction,
    KeySelector,
    MapFunction,
    Partitioner,
    ProcessFunction,
    ReduceFunction,
    RuntimeContext,
    SinkFunction,
    SourceFunction,
    StreamExecutionEnvironment,
)
from runtime.datastream.connectors.number_seq import NumberSequenceSource

TUPLE_SI = Types.TUPLE([Types.STRING(), Types.INT()])


def make_env(parallelism: int = 1) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


def per_key(records, key):
    """Split a record sequence into per-key sequences, keeping the order within each key."""
    out: dict = defaultdict(list)
    for r in records:
        out[key(r)].append(r)
    return dict(out)


# ---------------------------------------------------------------- plain-Python references


def ref_rolling(records, key, step):
    """What a rolling keyed aggregation emits: one output per input, the running value of its key."""
    acc: dict = {}
    out = []
    for r in records:
        k = key(r)
        acc[k] = r if k not in acc else step(acc[k], r)
        out.append(acc[k])
    return out


def with_field(rec, i, value):
    items = list(rec)
    items[i] = value
    return tuple(items)


# ========================================================== environment settings


def test_environment_settings_and_configuration():
    conf = Configuration()
    conf.set_integer("parallelism.default", 3)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    assert env.get_parallelism() == 3
    assert env.set_parallelism(2) is env
    assert env.get_parallelism() == 2
    assert env.set_max_parallelism(64) is env
    assert env.get_max_parallelism() == 64
    assert env.set_buffer_timeout(5) is env
    assert env.get_buffer_timeout() == 5
    assert env.disable_operator_chaining() is env
    assert env.is_chaining_enabled() is False

    other = Configuration()
    other.set_integer("parallelism.default", 4)
    assert env.configure(other) is env
    assert env.get_parallelism() == 4

    default_env = StreamExecutionEnvironment.get_execution_environment()
    assert default_env.get_parallelism() == 1
    assert default_env.get_max_parallelism() == 128


def test_configured_parallelism_is_used_by_operators():
    conf = Configuration()
    conf.set_integer("parallelism.default", 3)
    env = StreamExecutionEnvironment.get_execution_environment(conf)

    class Par(MapFunction):
        def open(self, runtime_context):
            self.p = runtime_context.get_number_of_parallel_subtasks()

        def map(self, value):
            return self.p

    got = list(env.from_collection(list(range(30))).map(Par()).execute_and_collect())
    assert got == [3] * 30


def test_buffer_timeout_job_still_produces_everything():
    env = make_env(2)
    env.set_buffer_timeout(0)
    data = list(range(500))
    got = env.from_collection(data).map(lambda x: x * 3).execute_and_collect()
    assert sorted(got) == sorted(x * 3 for x in data)


# ========================================================== sources and execution


def test_from_collection_map_filter_flat_map_in_order():
    data = [f"line {i} of text" for i in range(200)]
    env = make_env(1)
    got = list(env.from_collection(data, type_info=Types.STRING())
               .map(lambda s: s.upper(), output_type=Types.STRING())
               .filter(lambda s: int(s.split()[1]) % 3 != 0)
               .flat_map(lambda s: s.split(), output_type=Types.STRING())
               .execute_and_collect("collect-job"))
    expected = [w for s in data for w in s.upper().split() if int(s.split()[1]) % 3 != 0]
    assert got == expected


def test_from_collection_untyped_python_objects():
    data = [{"k": i, "v": [i, str(i)]} for i in range(20)] + [None, (1, "x"), 3.5]
    env = make_env(1)
    got = list(env.from_collection(data).map(lambda x: x).execute_and_collect())
    assert got == data


def test_from_collection_rejects_element_not_matching_type_info():
    env = make_env(1)
    with pytest.raises(TypeError):
        env.from_collection([1, "two", 3], type_info=Types.INT())


def test_from_source_number_sequence_parallel():
    env = make_env(3)
    got = list(env.from_source(NumberSequenceSource(5, 1004), None, "numbers")
               .map(lambda x: x * 2, output_type=Types.LONG())
               .execute_and_collect())
    assert sorted(got) == [x * 2 for x in range(5, 1005)]
    assert len(got) == 1000


def test_execute_and_collect_limit_on_unbounded_source():
    class Endless(SourceFunction):
        def __init__(self):
            self.running = True

        def run(self, ctx):
            i = 0
            while self.running:
                ctx.collect(i)
                i += 1

        def cancel(self):
            self.running = False

    env = make_env(1)
    got = env.add_source(Endless()).map(lambda x: x + 100).execute_and_collect(limit=7)
    assert got == [x + 100 for x in range(7)]


def test_add_source_bounded_source_function():
    data = [("s", i) for i in range(123)]

    class ListSource(SourceFunction):
        def __init__(self, items):
            self.items = items

        def run(self, ctx):
            for item in self.items:
                ctx.collect(item)

    env = make_env(1)
    got = list(env.add_source(ListSource(data), "list source", type_info=TUPLE_SI).execute_and_collect())
    assert got == data


def test_add_source_rejects_non_source_function():
    env = make_env(1)
    with pytest.raises(TypeError):
        env.add_source(lambda ctx: None)


def test_execute_returns_job_execution_result(tmp_path):
    out = tmp_path / "out.txt"
    data = list(range(50))

    class FileSink(SinkFunction):
        def __init__(self, path):
            self.path = path

        def open(self, runtime_context):
            self.f = open(self.path, "a")

        def invoke(self, value, context):
            self.f.write(f"{value}\n")

        def close(self):
            self.f.close()

    env = make_env(1)
    env.from_collection(data).map(lambda x: x - 1).add_sink(FileSink(str(out)))
    result = env.execute("result job")
    assert isinstance(result, JobExecutionResult)
    assert isinstance(result.get_job_id(), JobID)
    assert len(result.get_job_id().to_hex_string()) == 32
    assert isinstance(result.get_net_runtime(), int) and result.get_net_runtime() >= 0
    assert [int(x) for x in out.read_text().split()] == [x - 1 for x in data]


def test_execute_without_job_name_and_callable_sink(tmp_path):
    out = tmp_path / "out.txt"
    data = list(range(40))

    def sink(value):
        with open(out, "a") as f:
            f.write(f"{value}\n")

    env = make_env(2)
    env.from_collection(data).map(lambda x: x * x).add_sink(sink)
    result = env.execute()
    assert isinstance(result.get_job_id(), JobID)
    assert sorted(int(x) for x in out.read_text().split()) == sorted(x * x for x in data)


def test_execute_async_job_client_bounded(tmp_path):
    out = tmp_path / "out.txt"

    def sink(value):  # functions are shipped pickled, as in Flink: record results in a file
        with open(out, "a") as f:
            f.write(f"{value}\n")

    env = make_env(1)
    env.from_collection(list(range(10))).add_sink(sink)
    client = env.execute_async("async bounded")
    job_id = client.get_job_id()
    assert isinstance(job_id, JobID)
    result = client.get_job_execution_result()
    assert result.get_job_id() == job_id
    assert client.get_job_status() == JobStatus.FINISHED
    assert sorted(int(x) for x in out.read_text().split()) == list(range(10))


def test_execute_async_cancel_unbounded():
    class Endless(SourceFunction):
        def __init__(self):
            self.running = True

        def run(self, ctx):
            i = 0
            while self.running:
                ctx.collect(i)
                i += 1

        def cancel(self):
            self.running = False

    env = make_env(1)
    env.add_source(Endless()).map(lambda x: x).add_sink(lambda v: None)
    client = env.execute_async("endless")
    wait_until(lambda: client.get_job_status() == JobStatus.RUNNING, 10, message="job RUNNING")
    client.cancel()
    wait_until(lambda: client.get_job_status() == JobStatus.CANCELED, 10, message="job CANCELED")
    with pytest.raises(Exception) as exc_info:
        client.get_job_execution_result()
    assert "CANCELED" in str(exc_info.value)


# ========================================================== stream operations


def test_union_of_three_streams():
    a, b, c = list(range(0, 50)), list(range(100, 130)), list(range(200, 210))
    env = make_env(2)
    s1 = env.from_collection(a)
    s2 = env.from_collection(b)
    s3 = env.from_collection(c)
    got = list(s1.union(s2, s3).map(lambda x: x + 1).execute_and_collect())
    assert Counter(got) == Counter(x + 1 for x in a + b + c)


def test_process_function_yields_zero_or_more():
    class Explode(ProcessFunction):
        def process_element(self, value, ctx):
            assert ctx.timestamp() == -2**63  # no timestamp: Long.MIN_VALUE, as PyFlink 2.3 returns
            for i in range(value % 3):
                yield (value, i)

    data = list(range(60))
    env = make_env(1)
    got = list(env.from_collection(data).process(Explode()).execute_and_collect())
    assert got == [(v, i) for v in data for i in range(v % 3)]


def test_process_requires_process_function():
    env = make_env(1)
    with pytest.raises(TypeError):
        env.from_collection([1]).process(lambda v, ctx: [v])


# ========================================================== keyed streams


WORDS = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5), ("a", 6), ("c", 7), ("a", 8)] * 5


@pytest.mark.parametrize("parallelism", [1, 3])
def test_key_by_reduce_is_rolling_and_ordered_per_key(parallelism):
    env = make_env(parallelism)
    got = list(env.from_collection(WORDS, type_info=TUPLE_SI)
               .key_by(lambda t: t[0], key_type=Types.STRING())
               .reduce(lambda a, b: (a[0], a[1] + b[1]))
               .execute_and_collect())
    expected = ref_rolling(WORDS, lambda t: t[0], lambda a, b: (a[0], a[1] + b[1]))
    if parallelism == 1:
        assert got == expected
    assert per_key(got, lambda t: t[0]) == per_key(expected, lambda t: t[0])


# records: (key, value, tag) -- the tag shows which record's other fields survive
AGG_DATA = [("x", 5, "x-first"), ("y", 2, "y-first"), ("x", 3, "x-second"), ("x", 9, "x-third"),
            ("y", 2, "y-second"), ("y", 1, "y-third"), ("x", 3, "x-fourth"), ("x", 10, "x-fifth")]


def _sum_step(a, b):
    return with_field(a, 1, a[1] + b[1])


def _min_step(a, b):
    return with_field(a, 1, min(a[1], b[1]))


def _max_step(a, b):
    return with_field(a, 1, max(a[1], b[1]))


def _min_by_step(a, b):
    return b if b[1] < a[1] else a  # earliest record wins ties


def _max_by_step(a, b):
    return b if b[1] > a[1] else a


@pytest.mark.parametrize("op,step", [
    ("sum", _sum_step), ("min", _min_step), ("max", _max_step),
    ("min_by", _min_by_step), ("max_by", _max_by_step),
])
@pytest.mark.parametrize("parallelism", [1, 2])
def test_rolling_aggregations_by_position(op, step, parallelism):
    env = make_env(parallelism)
    keyed = env.from_collection(AGG_DATA).key_by(lambda t: t[0])
    got = list(getattr(keyed, op)(1).execute_and_collect())
    expected = ref_rolling(AGG_DATA, lambda t: t[0], step)
    assert per_key(got, lambda t: t[0]) == per_key(expected, lambda t: t[0])
    if parallelism == 1:
        assert got == expected


def test_rolling_sum_default_position_on_plain_numbers():
    data = [3, 1, 4, 1, 5, 9, 2, 6]
    env = make_env(1)
    got = list(env.from_collection(data).key_by(lambda x: x % 2).sum().execute_and_collect())
    assert got == ref_rolling(data, lambda x: x % 2, lambda a, b: a + b)


ROW_TYPE = Types.ROW_NAMED(["name", "score", "tag"], [Types.STRING(), Types.INT(), Types.STRING()])


def _named_rows():
    return [Row(name=k, score=v, tag=t) for k, v, t in AGG_DATA]


def _as_tuple(r):
    return (r[0], r[1], r[2])


@pytest.mark.parametrize("op,step", [
    ("sum", _sum_step), ("min", _min_step), ("max", _max_step),
    ("min_by", _min_by_step), ("max_by", _max_by_step),
])
def test_rolling_aggregations_by_row_field_name(op, step):
    env = make_env(1)
    keyed = env.from_collection(_named_rows(), type_info=ROW_TYPE).key_by(lambda r: r.name)
    got = list(getattr(keyed, op)("score").execute_and_collect())
    assert all(isinstance(r, Row) for r in got)
    assert [_as_tuple(r) for r in got] == ref_rolling(AGG_DATA, lambda t: t[0], step)
    assert all(r.name == r["name"] == r[0] for r in got)


def test_positional_rows_get_field_names_from_row_type():
    """PyFlink's row coder names every Row by its RowTypeInfo, so a Row built positionally
    (``Row("x", 5, "t")``) and declared as ROW_NAMED can be read and aggregated by name
    downstream (``r.name``, ``sum("score")``)."""
    rows = [Row(k, v, t) for k, v, t in AGG_DATA]
    env = make_env(1)
    got = list(env.from_collection(rows, type_info=ROW_TYPE)
               .key_by(lambda r: r["name"])
               .sum("score")
               .map(lambda r: (r.name, r.score, r.tag))
               .execute_and_collect())
    assert got == ref_rolling(AGG_DATA, lambda t: t[0], _sum_step)


@pytest.mark.parametrize("parallelism", [1, 3])
def test_keyed_map_flat_map_filter_keep_order_per_key(parallelism):
    data = [(f"k{i % 7}", i) for i in range(300)]
    env = make_env(parallelism)
    keyed = env.from_collection(data).key_by(lambda t: t[0])
    got = list(keyed.map(lambda t: (t[0], t[1] * 2))
               .key_by(lambda t: t[0]).flat_map(lambda t: [t, (t[0], -t[1])])
               .key_by(lambda t: t[0]).filter(lambda t: t[1] % 3 != 0)
               .execute_and_collect())
    expected = [u for t in data for u in [(t[0], t[1] * 2), (t[0], -t[1] * 2)] if u[1] % 3 != 0]
    assert per_key(got, lambda t: t[0]) == per_key(expected, lambda t: t[0])


def test_keyed_process_with_process_function():
    class Tag(ProcessFunction):
        def process_element(self, value, ctx):
            yield (value[0], value[1], "seen")

    data = [(f"k{i % 4}", i) for i in range(80)]
    env = make_env(2)
    got = list(env.from_collection(data).key_by(lambda t: t[0]).process(Tag()).execute_and_collect())
    expected = [(k, v, "seen") for k, v in data]
    assert per_key(got, lambda t: t[0]) == per_key(expected, lambda t: t[0])


def test_keyed_process_with_keyed_process_function():
    """PyFlink's KeyedStream.process takes a KeyedProcessFunction; ctx.get_current_key()
    is the key of the element being processed."""
    class WithKey(KeyedProcessFunction):
        def process_element(self, value, ctx):
            yield (ctx.get_current_key(), value)

    data = list(range(40))
    env = make_env(2)
    got = list(env.from_collection(data).key_by(lambda x: x % 5).process(WithKey()).execute_and_collect())
    expected = [(x % 5, x) for x in data]
    assert per_key(got, lambda t: t[0]) == per_key(expected, lambda t: t[0])


def test_keyed_stream_cannot_set_parallelism():
    env = make_env(1)
    keyed = env.from_collection([1, 2]).key_by(lambda x: x)
    with pytest.raises(Exception):  # PyFlink: "Set parallelism for KeyedStream is not supported."
        keyed.set_parallelism(2)


def test_key_by_routes_each_key_to_one_subtask_and_spreads_keys():
    class Where(MapFunction):
        def open(self, runtime_context):
            self.idx = runtime_context.get_index_of_this_subtask()

        def map(self, value):
            return (self.idx, value)

    data = [(f"key-{i % 40}", i) for i in range(800)]
    env = make_env(4)
    got = list(env.from_collection(data).key_by(lambda t: t[0]).map(Where()).execute_and_collect())
    assert Counter(v for _, v in got) == Counter(data)
    subtasks_of_key = defaultdict(set)
    for idx, (k, _) in got:
        subtasks_of_key[k].add(idx)
    assert all(len(s) == 1 for s in subtasks_of_key.values()), subtasks_of_key
    assert len({next(iter(s)) for s in subtasks_of_key.values()}) > 1  # 40 keys do not all land on one subtask


def test_key_by_assigns_contiguous_key_group_ranges():
    """Keys go to key groups (max parallelism 128) and key groups to subtasks in contiguous
    ranges (subtask = key_group * p // 128), so a key's subtask at p=2 is its subtask at p=4
    halved -- whatever the key hash is. Plain hash-mod-p routing would not have this."""
    class Where(MapFunction):
        def open(self, runtime_context):
            self.idx = runtime_context.get_index_of_this_subtask()

        def map(self, value):
            return (value, self.idx)

    keys = [f"user-{i}" for i in range(200)] + list(range(200))
    placement = {}
    for p in (2, 4):
        env = make_env(p)
        placement[p] = dict(env.from_collection(keys).key_by(lambda k: k).map(Where()).execute_and_collect())
        assert set(placement[p]) == set(keys)
        assert set(placement[p].values()) == set(range(p))
    assert all(placement[2][k] == placement[4][k] // 2 for k in keys)


def test_slot_sharing_groups_run():
    data = list(range(100))
    env = make_env(2)
    got = list(env.from_collection(data)
               .map(lambda x: x + 1).slot_sharing_group("a")
               .map(lambda x: x * 2).slot_sharing_group("b")
               .execute_and_collect())
    assert sorted(got) == sorted((x + 1) * 2 for x in data)


def test_key_by_with_key_selector_class_and_tuple_keys():
    class Sel(KeySelector):
        def get_key(self, value):
            return (value[0], value[1] % 2)

    data = [(c, i) for i in range(30) for c in "ab"]
    env = make_env(2)
    got = list(env.from_collection(data).key_by(Sel())
               .reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())
    expected = ref_rolling(data, lambda t: (t[0], t[1] % 2), lambda a, b: (a[0], a[1] + b[1]))
    # the output records themselves carry only the first key part: compare as multisets + finals
    assert Counter(got) == Counter(expected)


# ========================================================== function classes, open/close


class _Logged:
    """Mixin: append `open/close <name> <subtask>` lines to a shared log file."""

    def __init__(self, log: str, label: str) -> None:
        self.log = log
        self.label = label
        self.idx = None

    def _write(self, what: str) -> None:
        with open(self.log, "a") as f:
            f.write(f"{what} {self.label} {self.idx}\n")

    def open(self, runtime_context: RuntimeContext) -> None:
        self.idx = runtime_context.get_index_of_this_subtask()
        self._write("open")

    def close(self) -> None:
        self._write("close")


class LMap(_Logged, MapFunction):
    def map(self, value):
        return (value % 5, value * 10)


class LFlatMap(_Logged, FlatMapFunction):
    def flat_map(self, value):
        yield value
        yield (value[0], value[1] + 1)


class LFilter(_Logged, FilterFunction):
    def filter(self, value):
        return value[1] % 4 != 0


class LKey(_Logged, KeySelector):
    def get_key(self, value):
        return value[0]


class LReduce(_Logged, ReduceFunction):
    def reduce(self, value1, value2):
        return (value1[0], value1[1] + value2[1])


class LProcess(_Logged, ProcessFunction):
    def process_element(self, value, ctx):
        yield value


class LSink(_Logged, SinkFunction):
    def __init__(self, log, label, out_dir):
        super().__init__(log, label)
        self.out_dir = out_dir

    def open(self, runtime_context):
        super().open(runtime_context)
        self.f = open(os.path.join(self.out_dir, f"part-{self.idx}"), "a")

    def invoke(self, value, context):
        self.f.write(f"{value}\n")

    def close(self):
        self.f.close()
        super().close()


class LSource(_Logged, SourceFunction):
    def __init__(self, log, label, items):
        super().__init__(log, label)
        self.items = items

    def run(self, ctx):
        for x in self.items:
            ctx.collect(x)


def _events(log: Path) -> Counter:
    return Counter(tuple(line.split()) for line in log.read_text().splitlines())


def test_function_classes_are_opened_and_closed(tmp_path):
    log = str(tmp_path / "events.log")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    data = list(range(100))
    p = 2
    env = make_env(p)
    (env.add_source(LSource(log, "source", data))
        .map(LMap(log, "map"))
        .flat_map(LFlatMap(log, "flat_map"))
        .filter(LFilter(log, "filter"))
        .key_by(LKey(log, "key"))
        .reduce(LReduce(log, "reduce"))
        .process(LProcess(log, "process"))
        .add_sink(LSink(log, "sink", str(out_dir))))
    env.execute("open-close")

    # map/flat_map/filter run at parallelism 2 behind a rebalance, so the order within a key
    # is not defined before the reduce: check per key the number of rolling outputs and the
    # final (largest, all values are positive) running sum
    stage = [t for x in data for t in ((x % 5, x * 10), (x % 5, x * 10 + 1)) if t[1] % 4 != 0]
    inputs_per_key = per_key(stage, lambda t: t[0])
    lines = [line for f in out_dir.iterdir() for line in f.read_text().splitlines()]
    got = per_key([eval(line) for line in lines], lambda t: t[0])
    assert set(got) == set(inputs_per_key)
    for k, records in inputs_per_key.items():
        assert len(got[k]) == len(records)
        assert max(v for _, v in got[k]) == sum(v for _, v in records)

    events = _events(Path(log))
    expected_events = Counter()
    for label, n in [("source", 1), ("map", p), ("flat_map", p), ("filter", p), ("reduce", p),
                     ("process", p), ("sink", p)]:
        for i in range(n):
            expected_events[("open", label, str(i))] += 1
            expected_events[("close", label, str(i))] += 1
    key_events = {e: c for e, c in events.items() if e[1] == "key"}
    others = Counter({e: c for e, c in events.items() if e[1] != "key"})
    assert others == expected_events
    # a KeySelector object that is opened must also be closed
    opened = Counter({e[2]: c for e, c in key_events.items() if e[0] == "open"})
    closed = Counter({e[2]: c for e, c in key_events.items() if e[0] == "close"})
    assert opened == closed


def test_close_is_called_on_every_opened_function_when_a_task_fails(tmp_path):
    log = str(tmp_path / "events.log")
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    class Boom(_Logged, MapFunction):
        def map(self, value):
            if value == 37:
                raise RuntimeError("user map exploded on 37")
            return (value % 5, value)

    env = make_env(2)
    (env.from_collection(list(range(100)))
        .map(Boom(log, "boom"))
        .filter(LFilter(log, "filter"))
        .add_sink(LSink(log, "sink", str(out_dir))))
    with pytest.raises(Exception) as exc_info:
        env.execute("failing job")
    message = str(exc_info.value)
    assert "user map exploded on 37" in message
    assert "Traceback" in message and "in map" in message  # the user's traceback reaches the client

    def balanced():
        ev = _events(Path(log))
        opens = Counter({(e[1], e[2]): c for e, c in ev.items() if e[0] == "open"})
        closes = Counter({(e[1], e[2]): c for e, c in ev.items() if e[0] == "close"})
        return opens and opens == closes

    # tasks of the failed job are cancelled asynchronously: their close() may come just after the result
    wait_until(balanced, 10, message="close() for every opened function")


# ========================================================== runtime context


def test_runtime_context_values():
    class Ctx(MapFunction):
        def open(self, runtime_context):
            rc = runtime_context
            self.info = (rc.get_task_name(), rc.get_index_of_this_subtask(), rc.get_number_of_parallel_subtasks(),
                         rc.get_attempt_number(), rc.get_max_number_of_parallel_subtasks(),
                         rc.get_task_name_with_subtasks())

        def map(self, value):
            return self.info

    env = make_env(1)
    got = set(env.from_collection(list(range(60))).rebalance()
              .map(Ctx()).name("ctx-map").set_parallelism(3).set_max_parallelism(64)
              .execute_and_collect())
    assert {g[1] for g in got} == {0, 1, 2}
    for name, idx, par, attempt, max_par, with_subtasks in got:
        assert "ctx-map" in name
        assert par == 3
        assert attempt == 0
        assert max_par == 64
        assert with_subtasks == f"{name} ({idx + 1}/3)#0"  # PyFlink's form: (index/parallelism)#attempt


def test_task_names_join_fused_python_operators_as_pyflink_does(tmp_path):
    """PyFlink fuses consecutive Python functions into one operator named "a, b"; Flink
    joins chained operators with " -> " and prefixes sinks with "Sink: ". The expected line
    is what PyFlink 2.3 printed for this very job file."""
    job = tmp_path / "task_name.py"
    job.write_text(textwrap.dedent("""
        from pyflink.common import Types
        from pyflink.datastream import StreamExecutionEnvironment
        from pyflink.datastream.functions import MapFunction

        class Info(MapFunction):
            def open(self, rc):
                self.s = "task=%s | with_subtasks=%s" % (rc.get_task_name(), rc.get_task_name_with_subtasks())

            def map(self, value):
                return self.s

        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        s = env.from_collection([1], type_info=Types.INT())
        s.map(Info(), output_type=Types.STRING()).name("my-map").map(lambda x: x, output_type=Types.STRING()).print()
        env.execute("task name")
    """))
    proc = subprocess.run([sys.executable, "-m", "pyflink_cli", "run", "-t", "local", str(job)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    name = "Source: Collection Source -> my-map, Map -> Sink: Print to Std. Out"
    assert f"task={name} | with_subtasks={name} (1/1)#0" in proc.stdout.splitlines()


# ========================================================== partitioners


class Where(MapFunction):
    def open(self, runtime_context):
        self.idx = runtime_context.get_index_of_this_subtask()

    def map(self, value):
        return (self.idx, value)


def test_broadcast_sends_every_record_to_every_subtask():
    data = list(range(50))
    env = make_env(1)
    got = list(env.from_collection(data).broadcast().map(Where()).set_parallelism(3).execute_and_collect())
    by_subtask = defaultdict(list)
    for idx, v in got:
        by_subtask[idx].append(v)
    assert set(by_subtask) == {0, 1, 2}
    for values in by_subtask.values():
        assert values == data  # every record, in order


def test_forward_keeps_subtask_index_across_a_network_edge():
    env = make_env(3)
    got = list(env.from_source(NumberSequenceSource(1, 300), None, "seq")
               .map(Where())
               .forward()
               .map(Where()).disable_chaining()
               .execute_and_collect())
    assert sorted(v for _, (_, v) in got) == list(range(1, 301))
    assert all(down == up for down, (up, _) in got)
    assert {up for _, (up, _) in got} == {0, 1, 2}


def test_forward_between_different_parallelisms_is_rejected():
    env = make_env(2)
    with pytest.raises(ValueError):
        env.from_collection([1, 2, 3]).forward().map(lambda x: x).set_parallelism(2).add_sink(lambda v: None)
        env.execute()


def test_rebalance_round_robin_spreads_evenly():
    data = list(range(3000))
    env = make_env(1)
    got = list(env.from_collection(data).rebalance().map(Where()).set_parallelism(3).execute_and_collect())
    assert sorted(v for _, v in got) == data
    counts = Counter(idx for idx, _ in got)
    assert set(counts) == {0, 1, 2}
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize("up,down", [(2, 4), (4, 2)])
def test_rescale_connects_producers_to_a_local_group(up, down):
    env = make_env(1)
    got = list(env.from_source(NumberSequenceSource(0, 399), None, "seq").set_parallelism(up)
               .map(Where()).set_parallelism(up)
               .rescale()
               .map(Where()).set_parallelism(down)
               .execute_and_collect())
    assert sorted(v for _, (_, v) in got) == list(range(400))
    pairs = {(u, d) for d, (u, _) in got}
    if up < down:  # each producer feeds its own contiguous group of down/up consumers
        expected = {(d * up // down, d) for d in range(down)}
    else:          # each consumer reads its own contiguous group of up/down producers
        expected = {(u, u * down // up) for u in range(up)}
    assert pairs == expected


def test_shuffle_delivers_everything_across_subtasks():
    data = list(range(3000))
    env = make_env(1)
    got = list(env.from_collection(data).shuffle().map(Where()).set_parallelism(3).execute_and_collect())
    assert sorted(v for _, v in got) == data
    counts = Counter(idx for idx, _ in got)
    assert set(counts) == {0, 1, 2}
    assert min(counts.values()) > 500  # random, but not lopsided over 3000 records


def test_partition_custom_with_callable_and_partitioner_class():
    class ByMod(Partitioner):
        def partition(self, key, num_partitions):
            return (key * 7) % num_partitions

    data = [(f"r{i}", i) for i in range(200)]
    env = make_env(1)
    got = list(env.from_collection(data)
               .partition_custom(lambda key, n: key % n, lambda t: t[1])
               .map(Where()).set_parallelism(4)
               .execute_and_collect())
    assert sorted((v for _, v in got), key=lambda t: t[1]) == data
    assert all(idx == t[1] % 4 for idx, t in got)

    env = make_env(1)
    got = list(env.from_collection(data)
               .partition_custom(ByMod(), lambda t: t[1])
               .map(Where()).set_parallelism(3)
               .execute_and_collect())
    assert sorted((v for _, v in got), key=lambda t: t[1]) == data
    assert all(idx == (t[1] * 7) % 3 for idx, t in got)


# ========================================================== execution plan


def _plan(env) -> dict:
    plan = json.loads(env.get_execution_plan())
    return {n["contents"]: n for n in plan["nodes"]}


def _pred(node, index=0):
    return node["predecessors"][index]


def test_execution_plan_shows_chains_and_ship_strategies():
    env = make_env(1)
    (env.from_collection(list(range(10)))
        .map(lambda x: x).name("m1")
        .filter(lambda x: True).name("f1")
        .key_by(lambda x: x % 2)
        .reduce(lambda a, b: a + b).name("r1")
        .rebalance()
        .map(lambda x: x).name("m2").set_parallelism(2)
        .print().set_parallelism(2))
    nodes = _plan(env)
    src = next(n for n in nodes.values() if n["pact"] == "Data Source")
    m1, f1, r1, m2 = nodes["m1"], nodes["f1"], nodes["r1"], nodes["m2"]
    sink = next(n for n in nodes.values() if n["pact"] == "Data Sink")
    assert src["chain"] == m1["chain"] == f1["chain"]
    assert r1["chain"] != f1["chain"]
    assert m2["chain"] != r1["chain"]
    assert sink["chain"] == m2["chain"]
    assert _pred(m1)["ship_strategy"] == "FORWARD" and _pred(m1)["id"] == src["id"]
    assert _pred(r1)["ship_strategy"] == "HASH" and _pred(r1)["id"] == f1["id"]
    assert _pred(m2)["ship_strategy"] == "REBALANCE"
    assert _pred(sink)["ship_strategy"] == "FORWARD"
    assert [n["parallelism"] for n in (src, m1, f1, r1, m2, sink)] == [1, 1, 1, 1, 2, 2]
    assert _pred(m1)["chained"] is True and _pred(r1)["chained"] is False


def test_execution_plan_without_chaining():
    env = make_env(1)
    env.disable_operator_chaining()
    env.from_collection([1, 2]).map(lambda x: x).name("a").filter(lambda x: x).name("b").print()
    nodes = _plan(env)
    chains = [n["chain"] for n in nodes.values()]
    assert len(set(chains)) == len(chains) == 4
    assert all(p["ship_strategy"] == "FORWARD" and p["chained"] is False
               for n in nodes.values() for p in n.get("predecessors", []))


def test_execution_plan_disable_chaining_start_new_chain_slot_sharing():
    env = make_env(1)
    (env.from_collection([1, 2])
        .map(lambda x: x).name("a")
        .map(lambda x: x).name("b").disable_chaining()
        .map(lambda x: x).name("c")
        .map(lambda x: x).name("d").start_new_chain()
        .map(lambda x: x).name("e")
        .map(lambda x: x).name("f").slot_sharing_group("other")
        .map(lambda x: x).name("g").slot_sharing_group("other")
        .map(lambda x: x).name("h").uid("h-uid")
        .add_sink(lambda v: None))
    n = _plan(env)
    chain = {k: n[k]["chain"] for k in "abcdefgh"}
    src = next(x for x in n.values() if x["pact"] == "Data Source")
    assert src["chain"] == chain["a"]
    assert chain["b"] != chain["a"] and chain["b"] != chain["c"]  # NEVER: alone
    assert chain["c"] != chain["d"] and chain["d"] == chain["e"]  # HEAD: starts a chain others join
    assert chain["f"] != chain["e"] and chain["f"] == chain["g"]  # slot sharing group boundary
    assert chain["h"] != chain["g"]


@pytest.mark.parametrize("method,strategy", [
    ("rebalance", "REBALANCE"), ("rescale", "RESCALE"), ("shuffle", "SHUFFLE"),
    ("broadcast", "BROADCAST"), ("forward", "FORWARD"),
])
def test_execution_plan_ship_strategy_of_partitioners(method, strategy):
    env = make_env(2)
    src = env.from_source(NumberSequenceSource(1, 10), None, "seq")
    getattr(src, method)().map(lambda x: x).name("target").print()
    target = _plan(env)["target"]
    assert _pred(target)["ship_strategy"] == strategy
    if method != "forward":
        assert _pred(target)["chained"] is False


def test_execution_plan_custom_partitioner_and_union():
    env = make_env(2)
    a = env.from_source(NumberSequenceSource(1, 10), None, "a")
    b = env.from_source(NumberSequenceSource(11, 20), None, "b")
    a.union(b).partition_custom(lambda k, n: k % n, lambda x: x).map(lambda x: x).name("target").print()
    target = _plan(env)["target"]
    assert [p["ship_strategy"] for p in target["predecessors"]] == ["CUSTOM", "CUSTOM"]


def test_uid_must_be_unique():
    env = make_env(1)
    s = env.from_collection([1])
    s.map(lambda x: x).name("first").uid("same").map(lambda x: x).name("second").uid("same").print()
    with pytest.raises(ValueError) as exc_info:
        env.get_execution_plan()
    assert "same" in str(exc_info.value)


def test_info_cli_prints_plan_json(tmp_path):
    job = tmp_path / "plan_job.py"
    job.write_text(textwrap.dedent("""
        from runtime.datastream import StreamExecutionEnvironment

        def main():
            env = StreamExecutionEnvironment.get_execution_environment()
            env.set_parallelism(2)
            (env.from_collection(list(range(10)))
                .map(lambda x: x).name("double")
                .key_by(lambda x: x % 3)
                .reduce(lambda a, b: a + b).name("sum it")
                .print())
            env.execute("plan job")

        if __name__ == "__main__":
            main()
    """))
    proc = subprocess.run([sys.executable, "-m", "pyflink_cli", "info", str(job)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    nodes = {n["contents"]: n for n in plan["nodes"]}
    assert nodes["double"]["parallelism"] == 2
    assert _pred(nodes["double"])["ship_strategy"] == "REBALANCE"  # parallelism 1 source -> 2
    assert _pred(nodes["sum it"])["ship_strategy"] == "HASH"
    sink = next(n for n in plan["nodes"] if n["pact"] == "Data Sink")
    assert sink["chain"] == nodes["sum it"]["chain"]
    assert nodes["double"]["chain"] != nodes["sum it"]["chain"]


# ========================================================== print() formatting (subprocess)


def _java(v) -> str:
    """Java toString of the simple values used below (documented print rules)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        assert 1e-3 <= abs(v) < 1e7
        return repr(v)
    return str(v)


PRINT_JOB = """
import json
from runtime.common import Row, Types
from runtime.datastream import MapFunction, StreamExecutionEnvironment

DATA = json.load(open({data!r}))


class Tag(MapFunction):
    def open(self, runtime_context):
        self.idx = runtime_context.get_index_of_this_subtask()

    def map(self, value):
        return (self.idx, value)


def case(name):
    print("== " + name, flush=True)


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    case("untyped")
    env.from_collection([tuple(x) for x in DATA["pairs"]] + DATA["misc"]).print()
    env.execute()
    case("tuple")
    env.from_collection([tuple(x) for x in DATA["pairs"]],
                        type_info=Types.TUPLE([Types.STRING(), Types.INT()])).print()
    env.execute()
    case("row")
    env.from_collection([Row(*x) for x in DATA["rows"]],
                        type_info=Types.ROW([Types.STRING(), Types.INT(), Types.DOUBLE(), Types.BOOLEAN()])).print()
    env.execute()
    case("named")
    env.from_collection([tuple(x) for x in DATA["pairs"]],
                        type_info=Types.TUPLE([Types.STRING(), Types.INT()])).print("sink-a")
    env.execute()
    case("parallel")
    env.set_parallelism(2)
    env.from_collection(DATA["numbers"]).rebalance().map(Tag()).print()
    env.execute()
    case("parallel-named")
    (env.from_collection(DATA["numbers"]).rebalance()
        .map(Tag(), output_type=Types.TUPLE([Types.INT(), Types.LONG()])).print("ids"))
    env.execute()
    case("end")


if __name__ == "__main__":
    main()
"""


def test_print_formats_records_like_pyflink(tmp_path):
    data = {
        "pairs": [["apple", 1], ["banana", 22], ["cherry", -3], ["a b", 0]],
        "misc": [{"k": 1}, [1, 2], "plain text", 4.5, None],
        "rows": [["x", 1, 1.5, True], ["y", -2, 0.25, False], ["z", 30, 123456.5, True]],
        "numbers": list(range(40)),
    }
    (tmp_path / "data.json").write_text(json.dumps(data))
    job = tmp_path / "print_job.py"
    job.write_text(PRINT_JOB.format(data=str(tmp_path / "data.json")))
    proc = subprocess.run([sys.executable, str(job)], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr

    sections: dict[str, list[str]] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("== "):
            current = line[3:]
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    assert sections.get("end") == []

    pairs = [tuple(x) for x in data["pairs"]]
    # no declared type: PyFlink prints str(record)
    assert sections["untyped"] == [str(x) for x in pairs + data["misc"]]
    # Types.TUPLE: Java Tuple toString, no spaces
    assert sections["tuple"] == ["(" + ",".join(_java(f) for f in p) + ")" for p in pairs]
    # Types.ROW: PyFlink 2.3 prints rows on the Python side: row kind, then str() of each
    # field, comma-separated without spaces (Python's True, not Java's true)
    assert sections["row"] == ["+I[" + ",".join(str(f) for f in r) + "]" for r in data["rows"]]
    # sink identifier at parallelism 1: "id> "
    assert sections["named"] == ["sink-a> (" + ",".join(_java(f) for f in p) + ")" for p in pairs]
    # parallelism 2, unnamed: "N> " with N the 1-based index of the printing subtask, which is the
    # index the chained Tag map put into the record
    got = sections["parallel"]
    assert len(got) == len(data["numbers"])
    values = []
    for line in got:
        m = re.fullmatch(r"(\d+)> \((\d+), (\d+)\)", line)
        assert m, line
        idx, value = int(m.group(2)), int(m.group(3))
        assert line == f"{idx + 1}> {str((idx, value))}"
        values.append(value)
    assert sorted(values) == data["numbers"]
    assert {line.split(">")[0] for line in got} == {"1", "2"}
    # parallelism 2 with identifier, typed tuple: "id:N> (i,v)"
    got = sections["parallel-named"]
    assert len(got) == len(data["numbers"])
    values = []
    for line in got:
        prefix, record = line.split("> ", 1)
        idx_text, value_text = record.strip("()").split(",")
        assert prefix == f"ids:{int(idx_text) + 1}"
        assert record == f"({int(idx_text)},{int(value_text)})"
        values.append(int(value_text))
    assert sorted(values) == data["numbers"]
    assert {line.split(">")[0] for line in got} == {"ids:1", "ids:2"}
