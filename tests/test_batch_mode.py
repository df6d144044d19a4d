"""BATCH execution (issue 5, item 3): ``set_runtime_mode(RuntimeExecutionMode.BATCH)`` (or
``execution.runtime-mode``) on bounded input: a keyed reduce / sum emits only the final value
per key, windows fire at the end of input, the job finishes. STREAMING is the default;
AUTOMATIC picks BATCH when every source is bounded.

The same jobs run in both modes, on the embedded cluster in this process at parallelism 1
and 2, and as a job file on a real cluster (``pyflink run -p 2``, the mode given by the job
or by ``-D execution.runtime-mode=...``). Expected results are plain-Python over the input.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import REPO, ClusterEnv
from window_jobs import ids_of, run_script

from runtime.common import Configuration, Duration, RuntimeExecutionMode, Time, Types, WatermarkStrategy
from runtime.datastream import SourceFunction, StreamExecutionEnvironment
from runtime.datastream.window import (
    ProcessWindowFunction,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
    WindowFunction,
)

PARALLELISMS = (1, 2)
MAX_WATERMARK = 2**63 - 1

# (key, amount, event time ms): out of order, some far beyond a 1 s bound
RECORDS = [("alice", 3, 1_000), ("bob", 5, 2_500), ("alice", 4, 12_000), ("carol", 1, 4_000),
           ("bob", 2, 11_000), ("alice", 7, 3_000), ("carol", 6, 25_000), ("bob", 9, 1_500),
           ("alice", 1, 21_000), ("dave", 8, 9_999), ("carol", 2, 10_000), ("alice", 5, 500),
           ("dave", 3, 30_000), ("bob", 4, 19_999)]


def rolling(records):
    acc: dict = {}
    out = []
    for k, v, _ in records:
        acc[k] = acc.get(k, 0) + v
        out.append((k, acc[k]))
    return out


def finals(records):
    acc: dict = {}
    for k, v, _ in records:
        acc[k] = acc.get(k, 0) + v
    return acc


def per_key(pairs):
    out = defaultdict(list)
    for k, v in pairs:
        out[k].append(v)
    return dict(out)


def tumbling_sums(records, size):
    out: dict = defaultdict(int)
    for k, v, ts in records:
        out[(k, (ts // size) * size)] += v
    return {(k, start, start + size, total) for (k, start), total in out.items()}


def env_for(parallelism, mode=None, conf=None):
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(parallelism)
    if mode is not None:
        env.set_runtime_mode(mode)
    return env


def reduce_job(env):
    # the map stays at parallelism 1 (chained to the source) so each key's records keep their order
    return env.from_collection(RECORDS).map(lambda r: (r[0], r[1])).set_parallelism(1).key_by(lambda r: r[0]) \
        .reduce(lambda a, b: (a[0], a[1] + b[1]))


# ============================================================ keyed reduce / sum


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_streaming_is_the_default_and_reduce_is_rolling(parallelism):
    got = list(reduce_job(env_for(parallelism)).execute_and_collect())
    assert per_key(got) == per_key(rolling(RECORDS))


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_batch_reduce_and_sum_emit_only_the_final_value_per_key(parallelism):
    want = finals(RECORDS)
    got = list(reduce_job(env_for(parallelism, RuntimeExecutionMode.BATCH)).execute_and_collect())
    assert sorted(got) == sorted(want.items())

    env = env_for(parallelism, RuntimeExecutionMode.BATCH)
    sums = list(env.from_collection(RECORDS, Types.TUPLE([Types.STRING(), Types.INT(), Types.INT()]))
                .key_by(lambda r: r[0]).sum(1).execute_and_collect())
    assert sorted((k, v) for k, v, _ in sums) == sorted(want.items())
    streaming = list(env_for(parallelism).from_collection(RECORDS).key_by(lambda r: r[0]).sum(1)
                     .execute_and_collect())
    assert per_key((k, v) for k, v, _ in streaming) == per_key(rolling(RECORDS))


def test_batch_via_configuration_and_automatic_mode():
    conf = Configuration()
    conf.set_string("execution.runtime-mode", "BATCH")
    got = list(reduce_job(env_for(2, conf=conf)).execute_and_collect())
    assert sorted(got) == sorted(finals(RECORDS).items())

    # AUTOMATIC: every source bounded -> BATCH
    got = list(reduce_job(env_for(2, RuntimeExecutionMode.AUTOMATIC)).execute_and_collect())
    assert sorted(got) == sorted(finals(RECORDS).items())
    conf = Configuration()
    conf.set_string("execution.runtime-mode", "AUTOMATIC")
    got = list(reduce_job(env_for(1, conf=conf)).execute_and_collect())
    assert sorted(got) == sorted(finals(RECORDS).items())

    # AUTOMATIC with an unbounded source -> STREAMING (rolling)
    env = env_for(1, RuntimeExecutionMode.AUTOMATIC)
    got = list(env.add_source(Replay(RECORDS)).map(lambda r: (r[0], r[1])).key_by(lambda r: r[0])
               .reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())
    assert per_key(got) == per_key(rolling(RECORDS))

    # AUTOMATIC with one bounded and one unbounded source -> STREAMING
    env = env_for(1, RuntimeExecutionMode.AUTOMATIC)
    mixed = env.from_collection(RECORDS).union(env.add_source(Replay([])))
    got = list(mixed.map(lambda r: (r[0], r[1])).key_by(lambda r: r[0])
               .reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())
    assert per_key(got) == per_key(rolling(RECORDS))


class Replay(SourceFunction):
    """An unbounded source (as every SourceFunction is in Flink) that happens to stop."""

    def __init__(self, records):
        self.records = records

    def run(self, ctx):
        for r in self.records:
            ctx.collect(r)


def test_batch_rejects_an_unbounded_source():
    env = env_for(1, RuntimeExecutionMode.BATCH)
    env.add_source(Replay(RECORDS), "replay").print()
    with pytest.raises(Exception) as info:
        env.execute("batch over unbounded")
    text = str(info.value)
    assert "BATCH" in text and "replay" in text, text


def test_runtime_mode_argument_checks():
    env = StreamExecutionEnvironment.get_execution_environment()
    with pytest.raises(Exception):
        env.set_runtime_mode("SOMETIMES")
    for mode in RuntimeExecutionMode:
        assert env.set_runtime_mode(mode) is env


# ============================================================ windows in BATCH


class SumWithWatermark(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield (key, w.start, w.end, sum(e[1] for e in elements), context.current_watermark())


def window_job(env, bound_ms):
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(bound_ms)) \
        .with_timestamp_assigner(lambda r, _: r[2])
    return env.from_collection(RECORDS).assign_timestamps_and_watermarks(strategy).key_by(lambda r: r[0]) \
        .window(TumblingEventTimeWindows.of(Time.seconds(10))).process(SumWithWatermark())


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_batch_windows_fire_at_end_of_input_with_every_element(parallelism):
    """BATCH has no lateness: every element is in its window, whatever the disorder, and
    every window fires at the end of input (the watermark the function sees is +inf)."""
    got = list(window_job(env_for(parallelism, RuntimeExecutionMode.BATCH), 1_000).execute_and_collect())
    assert {g[:4] for g in got} == tumbling_sums(RECORDS, 10_000)
    assert len(got) == len(tumbling_sums(RECORDS, 10_000))
    assert {g[4] for g in got} == {MAX_WATERMARK}


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_same_window_job_gives_same_result_in_streaming_and_batch(parallelism):
    """With a bound that covers the disorder nothing is late in STREAMING either: both
    modes give the same window results (STREAMING fires as watermarks pass)."""
    bound = 30_000
    streaming = list(window_job(env_for(parallelism), bound).execute_and_collect())
    batch = list(window_job(env_for(parallelism, RuntimeExecutionMode.BATCH), bound).execute_and_collect())
    want = tumbling_sums(RECORDS, 10_000)
    assert {g[:4] for g in streaming} == want and len(streaming) == len(want)
    assert {g[:4] for g in batch} == want and len(batch) == len(want)


class Ids(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, window.start, window.end, ids_of(inputs))


def test_batch_windows_ignore_watermarks_before_the_end_of_input():
    """A bounded source that emits watermarks: in STREAMING the element after watermark
    20000 is late for window [0, 10000) and dropped; in BATCH windows only fire at the end
    of input, so it is counted (Flink's BATCH mode only acts on the final watermark)."""
    script = [("e", "a", 1_000, 1), ("w", 20_000), ("e", "a", 2_000, 2), ("e", "a", 25_000, 3)]

    def build(keyed, _src):
        return keyed.window(TumblingEventTimeWindows.of(Time.seconds(10))).apply(Ids())

    assert sorted(run_script(script, build)) == [("a", 0, 10_000, (1,)), ("a", 20_000, 30_000, (3,))]
    assert sorted(run_script(script, build, mode=RuntimeExecutionMode.BATCH)) == \
        [("a", 0, 10_000, (1, 2)), ("a", 20_000, 30_000, (3,))]


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_batch_processing_time_windows_all_fire_at_end_of_input(parallelism):
    """One-hour processing-time windows never close during a short bounded job; in BATCH
    every window fires at the end of input, so every element is counted exactly once."""
    env = env_for(parallelism, RuntimeExecutionMode.BATCH)
    got = list(env.from_collection([(k, v, i) for i, (k, v, _) in enumerate(RECORDS)]).key_by(lambda r: r[0])
               .window(TumblingProcessingTimeWindows.of(Time.hours(1)))
               .apply(IdsByPosition()).execute_and_collect())
    counted = Counter(i for _, ids in got for i in ids)
    assert counted == Counter(range(len(RECORDS))), "an element was lost or counted twice"
    assert all(RECORDS[i][0] == key for key, ids in got for i in ids)


class IdsByPosition(WindowFunction):
    def apply(self, key, window, inputs):
        yield (key, tuple(sorted(e[2] for e in inputs)))


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_count_windows_same_in_batch_and_streaming(parallelism):
    data = [(f"k{i % 3}", i) for i in range(20)]

    def run(mode):
        env = env_for(parallelism, mode)
        return sorted(env.from_collection(data).key_by(lambda r: r[0]).count_window(3)
                      .reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())

    want = []
    for k in ("k0", "k1", "k2"):
        vals = [v for kk, v in data if kk == k]
        want += [(k, sum(vals[i:i + 3])) for i in range(0, len(vals) - 2, 3)]
    assert run(None) == sorted(want)
    assert run(RuntimeExecutionMode.BATCH) == sorted(want)


# ============================================================ embedded process and cluster

JOB = '''
import sys

from runtime.common import Duration, RuntimeExecutionMode, Time, Types, WatermarkStrategy
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.window import TumblingEventTimeWindows

RECORDS = {records!r}


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    mode = sys.argv[1] if len(sys.argv) > 1 else "DEFAULT"
    if mode != "DEFAULT":
        env.set_runtime_mode(RuntimeExecutionMode[mode])
    t = Types.TUPLE([Types.STRING(), Types.INT()])
    src = env.from_collection(RECORDS)
    (src.map(lambda r: (r[0], r[1]), output_type=t).set_parallelism(1).key_by(lambda r: r[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
        .map(lambda r: "REDUCE|" + repr(r), output_type=Types.STRING()).print())
    strategy = (WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(30_000))
                .with_timestamp_assigner(lambda r, _: r[2]))
    (src.assign_timestamps_and_watermarks(strategy).key_by(lambda r: r[0])
        .window(TumblingEventTimeWindows.of(Time.seconds(10)))
        .reduce(lambda a, b: (a[0], a[1] + b[1], max(a[2], b[2])))
        .map(lambda r: "WINDOW|" + repr((r[0], (r[2] // 10000) * 10000, r[1])), output_type=Types.STRING())
        .print())
    env.execute("batch or streaming")


if __name__ == "__main__":
    main()
'''


def parse(stdout: str) -> dict:
    out: dict = defaultdict(list)
    for line in stdout.splitlines():
        if not line.strip() or line.startswith(("Job has been submitted", "Job with JobID", "Job Runtime")):
            continue
        text = line.split("> ", 1)[1] if line[:1].isdigit() and "> " in line else line
        tag, _, rec = text.partition("|")
        out[tag].append(ast.literal_eval(rec))
    return dict(out)


def check_job_output(stdout: str, batch: bool) -> None:
    got = parse(stdout)
    if batch:
        assert sorted(got["REDUCE"]) == sorted(finals(RECORDS).items()), got["REDUCE"]
    else:
        assert per_key(got["REDUCE"]) == per_key(rolling(RECORDS))
    want = {(k, start, total) for k, start, _end, total in tumbling_sums(RECORDS, 10_000)}
    assert sorted(got["WINDOW"]) == sorted(want)


@pytest.fixture
def job_file(tmp_path: Path) -> Path:
    path = tmp_path / "batch_job.py"
    path.write_text(JOB.format(records=RECORDS))
    return path


@pytest.mark.parametrize("mode,batch", [("BATCH", True), ("STREAMING", False), ("DEFAULT", False),
                                        ("AUTOMATIC", True)])
def test_job_file_embedded(job_file: Path, mode: str, batch: bool):
    proc = subprocess.run([sys.executable, str(job_file), mode], capture_output=True, text=True, timeout=60,
                          cwd=job_file.parent, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_job_output(proc.stdout, batch)


@pytest.fixture
def cluster_env(cluster_env: ClusterEnv) -> ClusterEnv:
    cluster_env.write_conf(taskmanager__numberOfTaskSlots=2)
    return cluster_env


def test_batch_and_streaming_on_cluster(running_cluster: ClusterEnv, job_file: Path):
    runs = [(["-p", "2", str(job_file), "BATCH"], True),
            (["-p", "2", str(job_file), "STREAMING"], False),
            (["-p", "1", str(job_file)], False),
            (["-p", "2", "-D", "execution.runtime-mode=BATCH", str(job_file)], True),
            (["-p", "2", "-D", "execution.runtime-mode=AUTOMATIC", str(job_file)], True)]
    for args, batch in runs:
        proc = running_cluster.pyflink("run", *args, timeout=90)
        assert proc.returncode == 0, f"{args}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        assert "has finished with state FINISHED" in proc.stdout, args
        check_job_output(proc.stdout, batch)
