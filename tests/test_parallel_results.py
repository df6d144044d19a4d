"""Issue 3, item 3: a keyed job gives the same result, and the same order within each key,
at parallelism 1, 2 and 4 on a 2-TaskManager cluster and on the embedded cluster.

The job: words (with their position in the text) from a collection -> key_by(word) ->
keyed map (upper-case) -> key_by(word) again -> rolling reduce (count, last position) ->
print. Every output line of a key must come in input order: the running count goes
1, 2, 3, ... and the position is the position of that occurrence. The expected lines are
computed here from the same words.
"""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import REPO, ClusterEnv

PARALLELISMS = (1, 2, 4)

JOB = """
import json
import sys

from runtime.common import Types
from runtime.datastream import FlatMapFunction, StreamExecutionEnvironment

LINES = json.load(open({data!r}))


class Split(FlatMapFunction):
    def open(self, runtime_context):
        self.position = 0

    def flat_map(self, line):
        for word in line.split():
            self.position += 1
            yield (word, 1, self.position)


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    if len(sys.argv) > 1:
        env.set_parallelism(int(sys.argv[1]))
    t3 = Types.TUPLE([Types.STRING(), Types.INT(), Types.INT()])
    (env.from_collection(LINES, type_info=Types.STRING())
        .flat_map(Split(), output_type=t3).set_parallelism(1)
        .key_by(lambda t: t[0], key_type=Types.STRING())
        .map(lambda t: (t[0].upper(), t[1], t[2]), output_type=t3)
        .key_by(lambda t: t[0], key_type=Types.STRING())
        .reduce(lambda a, b: (a[0], a[1] + b[1], b[2]))
        .print())
    env.execute("parallel word count")


if __name__ == "__main__":
    main()
"""

PREFIXED = re.compile(r"^(\d+)> (.*)$")


def make_input(path: Path) -> list[str]:
    rng = random.Random(20240531)
    vocabulary = [f"w{i:02d}" for i in range(60)] + ["alpha", "beta", "gamma"]
    lines = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 12))) for _ in range(400)]
    path.write_text(json.dumps(lines))
    return lines


def expected_per_key(lines: list[str]) -> dict[str, list[str]]:
    """Rolling (WORD,count,position) lines per key, in input order (plain Python)."""
    counts: dict[str, int] = defaultdict(int)
    out: dict[str, list[str]] = defaultdict(list)
    position = 0
    for line in lines:
        for word in line.split():
            position += 1
            key = word.upper()
            counts[key] += 1
            out[key].append(f"({key},{counts[key]},{position})")
    return dict(out)


def parse_output(stdout: str, parallelism: int, cli: bool) -> dict[str, list[str]]:
    per_key: dict[str, list[str]] = defaultdict(list)
    subtask_of_key: dict[str, str] = {}
    for line in stdout.splitlines():
        if cli and (line.startswith("Job has been submitted") or line.startswith("Job with JobID")
                    or line.startswith("Job Runtime")):
            continue
        if not line.strip():
            continue
        if parallelism > 1:
            m = PREFIXED.match(line)
            assert m, f"line without an 'N> ' prefix at parallelism {parallelism}: {line!r}"
            subtask, record = m.group(1), m.group(2)
            assert 1 <= int(subtask) <= parallelism, line
        else:
            assert not PREFIXED.match(line), f"unexpected prefix at parallelism 1: {line!r}"
            subtask, record = "1", line
        key = record.strip("()").split(",")[0]
        # key_by routes a key to exactly one subtask
        assert subtask_of_key.setdefault(key, subtask) == subtask, f"key {key} printed by two subtasks"
        per_key[key].append(record)
    if parallelism > 1:
        assert len(set(subtask_of_key.values())) > 1, "all keys landed on one subtask"
    return dict(per_key)


@pytest.fixture
def cluster_env(cluster_env: ClusterEnv) -> ClusterEnv:
    """Two TaskManagers with two slots each, so parallelism 4 fits (written before start)."""
    cluster_env.write_conf(taskmanager__numberOfTaskSlots=2)
    return cluster_env


@pytest.fixture
def job(tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    lines = make_input(tmp_path / "lines.json")
    path = tmp_path / "wc_job.py"
    path.write_text(JOB.format(data=str(tmp_path / "lines.json")))
    return path, expected_per_key(lines)


def test_same_result_and_key_order_on_cluster_at_1_2_4(running_cluster: ClusterEnv, job):
    path, expected = job
    for p in PARALLELISMS:
        proc = running_cluster.pyflink("run", "-p", str(p), str(path), timeout=90)
        assert proc.returncode == 0, f"p={p}:\n{proc.stdout}\n{proc.stderr}"
        assert "has finished with state FINISHED" in proc.stdout
        got = parse_output(proc.stdout, p, cli=True)
        assert got == expected, f"result at parallelism {p} differs from the expected per-key sequences"


@pytest.mark.parametrize("parallelism", PARALLELISMS)
def test_same_result_and_key_order_embedded(tmp_path: Path, job, parallelism: int):
    path, expected = job
    proc = subprocess.run([sys.executable, str(path), str(parallelism)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr
    assert parse_output(proc.stdout, parallelism, cli=False) == expected
