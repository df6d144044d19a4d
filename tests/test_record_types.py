"""Records and keyed state keep their Python types across processes: a keyed exchange between
two TaskManagers, and keyed state through a savepoint and a restore at another parallelism.

The values carry what a codec that writes buffer-protocol objects as bytes, or that drops
subclasses, would change: bytearray, ``array.array``, OrderedDict, sets, complex, big ints,
a class of the job's own module, nesting. The expected descriptions are computed here, in this
process, from the same value-making code, without the engine.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ClusterEnv, started_cluster, wait_until, write_job
from helpers_cli import describe, job_state, read_logs, submitted_job_id

KEYS = 12

#: shared by the job and by this test (which computes the expected lines from it)
VALUES = '''
import array
from collections import OrderedDict


class Point:
    """A class of the job's own module (pickled by value: a TaskManager cannot import it)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __repr__(self):
        return f"Point({self.x}, {self.y})"


def make(i):
    """Even numbers: built-in types only, with buffer-protocol objects among them; odd ones
    also a class of the job and a dict subclass."""
    plain = (i, bytearray(b"b%d" % i), array.array("d", [i, i / 2]), {i, -i - 1}, frozenset([i]), complex(i, 1),
             10 ** 30 + i, b"\\x00\\xff", ("nested", [bytearray(b"x"), {"k": array.array("b", [i % 100])}]),
             True, None, 1.5, memoryview(b"mv").tobytes())
    return plain if i % 2 == 0 else plain + (OrderedDict([("z", i), ("a", [i])]), Point(i, -i))


def show(v):
    """Type and value, all the way down (sets sorted, so the text does not depend on hashing)."""
    name = type(v).__name__
    if isinstance(v, dict):
        return name + "{" + ", ".join(f"{show(k)}: {show(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (set, frozenset)):
        return name + "{" + ", ".join(sorted(show(x) for x in v)) + "}"
    if isinstance(v, (list, tuple)):
        return name + "[" + ", ".join(show(x) for x in v) + "]"
    return f"{name}:{v!r}"
'''

EXCHANGE_JOB = VALUES + '''

from runtime.datastream import StreamExecutionEnvironment


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    (env.from_collection(list(range(%(keys)d)))
        .map(make)
        .key_by(lambda r: r[0])
        .map(lambda r: "got " + show(r))
        .print())
    env.execute("record types")


if __name__ == "__main__":
    main()
''' % {"keys": KEYS}

STATE_JOB = VALUES + '''

import sys
import time

from runtime.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from runtime.datastream.functions import SourceFunction
from runtime.datastream.state import ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor
from runtime.common import Types


class Keys(SourceFunction):
    """0..KEYS-1, then (with ``idle``) nothing until cancelled or stopped."""

    def __init__(self, idle):
        self.idle = idle
        self.running = True

    def run(self, ctx):
        for i in range(%(keys)d):
            ctx.collect(i)
        while self.running and self.idle:
            time.sleep(0.01)

    def cancel(self):
        self.running = False


class Store(KeyedProcessFunction):
    def __init__(self, check):
        self.check = check

    def open(self, runtime_context):
        pickled = Types.PICKLED_BYTE_ARRAY()
        self.value = runtime_context.get_state(ValueStateDescriptor("value", pickled))
        self.items = runtime_context.get_list_state(ListStateDescriptor("items", pickled))
        self.by_key = runtime_context.get_map_state(MapStateDescriptor("by_key", Types.INT(), pickled))

    def process_element(self, i, ctx):
        if self.check:
            yield (f"restored {i} " + show(self.value.value()) + " | " + show(list(self.items.get()))
                   + " | " + show(dict(self.by_key.items())))
        else:
            self.value.update(make(i))
            self.items.add(make(i))
            self.items.add(make(i + 100))
            self.by_key.put(i, make(i))
            yield f"stored {i}"


def main():
    check = sys.argv[1] == "check"
    env = StreamExecutionEnvironment.get_execution_environment()
    (env.add_source(Keys(idle=not check)).uid("keys")
        .key_by(lambda i: i)
        .process(Store(check)).uid("store")
        .print())
    env.execute("state types")


if __name__ == "__main__":
    main()
''' % {"keys": KEYS}


def _values() -> dict:
    scope: dict = {"__name__": "values"}
    exec(VALUES, scope)  # noqa: S102 - the same value-making code as the job, run here without the engine
    return scope


def _lines(text: str, prefix: str) -> list[str]:
    return sorted(m.group(1) for m in re.finditer(rf"^(?:\d+> )?({prefix} .*)$", text, re.M))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # one slot per TaskManager: the two subtasks of a p=2 job run in two processes
    with started_cluster(tmp_path_factory.mktemp("record-types"), taskmanager__count=3) as env:
        yield env


def test_records_keep_their_types_across_taskmanagers(cluster: ClusterEnv, tmp_path: Path):
    v = _values()
    job = write_job(tmp_path, "record_types.py", EXCHANGE_JOB)
    # one record per batch: a batch of built-in types only goes through the fast codec path
    proc = cluster.pyflink("run", "-D", "execution.batch-size=1", str(job), timeout=60)
    assert proc.returncode == 0, describe(proc) + read_logs(cluster)
    want = sorted("got " + v["show"](v["make"](i)) for i in range(KEYS))
    assert _lines(proc.stdout, "got") == want, proc.stdout[-3000:]


def test_keyed_state_keeps_its_types_through_a_savepoint_and_rescaling(cluster: ClusterEnv, tmp_path: Path):
    v = _values()
    make, show = v["make"], v["show"]
    job = write_job(tmp_path, "state_types.py", STATE_JOB)
    proc = cluster.pyflink("run", "-d", "-p", "2", str(job), "fill", timeout=60)
    assert proc.returncode == 0, describe(proc) + read_logs(cluster)
    jid = submitted_job_id(proc)
    wait_until(lambda: len(_lines(cluster.pyflink("logs", jid).stdout, "stored")) == KEYS, 30,
               message="every key's state to be stored")
    stop = cluster.pyflink("stop", "--json", "-p", str(tmp_path / "savepoints"), jid, timeout=60)
    assert stop.returncode == 0, describe(stop) + read_logs(cluster)
    savepoint = json.loads(stop.stdout)["savepoint"]
    wait_until(lambda: job_state(cluster, jid) == "FINISHED", 20, message="the stopped job to finish")
    # restored at p=3: each new subtask's key groups overlap those of one or two old ones
    proc = cluster.pyflink("run", "-p", "3", "-s", savepoint, str(job), "check", timeout=60)
    assert proc.returncode == 0, describe(proc) + read_logs(cluster)
    want = sorted(f"restored {i} " + show(make(i)) + " | " + show([make(i), make(i + 100)]) + " | "
                  + show({i: make(i)}) for i in range(KEYS))
    assert _lines(proc.stdout, "restored") == want, proc.stdout[-3000:]
