"""Issue 3, item 6 (and 5): bad input gets a clear error naming the operator.

* a function that cannot be pickled: error before submission, naming the operator;
* a map declaring output_type Types.INT() that returns a str: the job fails, naming the
  operator and the type;
* a key selector that raises: the job fails and the user's traceback reaches the client;
* parallelism above max parallelism: error before submission, naming the operator.

Embedded (in this process) and through the CLI on a real cluster (`pyflink run` exits 1;
the before-submission errors are one line, without a Python traceback, and submit nothing).
"""
from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from conftest import ClusterEnv, write_job

from runtime.common import Types
from runtime.datastream import StreamExecutionEnvironment


def make_env(parallelism: int = 1) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


def file_sink(path: Path):
    def sink(value):
        with open(path, "a") as f:
            f.write(f"{value}\n")
    return sink


# ================================================================== embedded


def test_unpicklable_lock_is_rejected_before_submission(tmp_path):
    out = tmp_path / "out.txt"
    lock = threading.Lock()

    def locked(x):
        with lock:
            return x + 1

    env = make_env(1)
    env.from_collection([1, 2, 3]).map(locked).name("locked map").add_sink(file_sink(out))
    with pytest.raises(ValueError) as exc_info:
        env.execute("unpicklable")
    message = str(exc_info.value)
    assert "locked map" in message
    assert "lock" in message.lower()  # says what could not be pickled
    assert not out.exists(), "the job ran although it could not be shipped"


def test_unpicklable_socket_is_rejected_before_submission(tmp_path):
    out = tmp_path / "out.txt"
    sock = socket.socket()
    try:
        def send(x):
            sock.getsockname()
            return x

        env = make_env(2)
        env.from_collection([1, 2, 3]).filter(lambda x: x > 0).name("positive") \
            .map(send).name("socket map").add_sink(file_sink(out))
        with pytest.raises(ValueError) as exc_info:
            env.execute("unpicklable socket")
        message = str(exc_info.value)
        assert "socket map" in message
        assert not out.exists()
    finally:
        sock.close()


def test_unpicklable_function_is_also_rejected_by_execute_and_collect():
    lock = threading.Lock()
    env = make_env(1)
    stream = env.from_collection([1]).filter(lambda x: lock is not None).name("lock filter")
    with pytest.raises(ValueError) as exc_info:
        stream.execute_and_collect()
    assert "lock filter" in str(exc_info.value)


def test_output_type_mismatch_fails_job_naming_operator_and_type(tmp_path):
    out = tmp_path / "out.txt"
    env = make_env(1)
    (env.from_collection([1, 2, 3], type_info=Types.INT())
        .map(lambda x: f"value {x}", output_type=Types.INT()).name("stringify")
        .add_sink(file_sink(out)))
    with pytest.raises(Exception) as exc_info:
        env.execute("type mismatch")
    message = str(exc_info.value)
    assert "stringify" in message
    assert "INT" in message or "Integer" in message
    assert "value 1" in message  # the offending record
    assert not out.exists()


def test_output_type_mismatch_in_flat_map_and_tuple_field(tmp_path):
    env = make_env(1)
    (env.from_collection(["a b"], type_info=Types.STRING())
        .flat_map(lambda s: [(w, "one") for w in s.split()],
                  output_type=Types.TUPLE([Types.STRING(), Types.INT()])).name("splitter")
        .add_sink(lambda v: None))
    with pytest.raises(Exception) as exc_info:
        env.execute("tuple mismatch")
    assert "splitter" in str(exc_info.value)


def explode_key(value):
    raise ValueError(f"cannot key {value!r}: boom-key-selector")


def test_failing_key_selector_fails_job_with_user_traceback():
    env = make_env(2)
    env.from_collection([1, 2, 3]).key_by(explode_key).reduce(lambda a, b: a + b).add_sink(lambda v: None)
    with pytest.raises(Exception) as exc_info:
        env.execute("bad key")
    message = str(exc_info.value)
    assert "boom-key-selector" in message
    assert "Traceback" in message
    assert "explode_key" in message          # the user's frame
    assert "test_bad_input.py" in message    # ... in the user's file


def test_parallelism_above_max_parallelism_names_operator():
    env = make_env(1)
    with pytest.raises(ValueError) as exc_info:
        env.from_collection([1, 2]).map(lambda x: x).name("too wide").set_parallelism(200).add_sink(lambda v: None)
        env.execute("too wide")
    message = str(exc_info.value)
    assert "too wide" in message
    assert "200" in message and "128" in message


def test_operator_max_parallelism_below_its_parallelism_names_operator():
    env = make_env(1)
    with pytest.raises(ValueError) as exc_info:
        (env.from_collection([1, 2]).map(lambda x: x).name("narrow max")
            .set_parallelism(8).set_max_parallelism(4).add_sink(lambda v: None))
        env.execute("narrow")
    assert "narrow max" in str(exc_info.value)


def test_default_parallelism_above_max_parallelism_names_an_operator():
    env = make_env(1)
    env.set_max_parallelism(16)
    env.set_parallelism(32)
    env.from_collection([1]).map(lambda x: x).name("defaulted map").add_sink(lambda v: None)
    with pytest.raises(ValueError) as exc_info:
        env.execute()
    assert "defaulted map" in str(exc_info.value) or "Sink" in str(exc_info.value)


# ================================================================== CLI


UNPICKLABLE_JOB = """
import threading
from runtime.datastream import StreamExecutionEnvironment

def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    lock = threading.Lock()

    def locked(x):
        with lock:
            return x + 1

    env.from_collection([1, 2, 3]).map(locked).name("locked map").print()
    env.execute("unpicklable")

if __name__ == "__main__":
    main()
"""

TOO_WIDE_JOB = """
from runtime.datastream import StreamExecutionEnvironment

def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 2, 3]).map(lambda x: x).name("too wide").set_parallelism(200).print()
    env.execute("too wide")

if __name__ == "__main__":
    main()
"""

PLAIN_JOB = """
from runtime.datastream import StreamExecutionEnvironment

def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 2, 3]).map(lambda x: x).name("plain map").print()
    env.execute("plain")

if __name__ == "__main__":
    main()
"""

TYPE_MISMATCH_JOB = """
from runtime.common import Types
from runtime.datastream import StreamExecutionEnvironment

def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    (env.from_collection([1, 2, 3], type_info=Types.INT())
        .map(lambda x: f"value {x}", output_type=Types.INT()).name("stringify")
        .print())
    env.execute("type mismatch")

if __name__ == "__main__":
    main()
"""

BAD_KEY_JOB = """
from runtime.datastream import StreamExecutionEnvironment

def explode_key(value):
    raise ValueError(f"cannot key {value!r}: boom-key-selector")

def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 2, 3]).key_by(explode_key).reduce(lambda a, b: a + b).print()
    env.execute("bad key")

if __name__ == "__main__":
    main()
"""


def assert_one_line_error(proc, *needles: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    assert "Job has been submitted" not in proc.stdout, "the job was submitted"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_cli_bad_input(running_cluster: ClusterEnv, tmp_path):
    # before submission: one line, exit 1, nothing submitted
    proc = running_cluster.pyflink("run", str(write_job(tmp_path, "unpicklable.py", UNPICKLABLE_JOB)))
    assert_one_line_error(proc, "locked map")

    proc = running_cluster.pyflink("run", str(write_job(tmp_path, "too_wide.py", TOO_WIDE_JOB)))
    assert_one_line_error(proc, "too wide", "200")

    proc = running_cluster.pyflink("run", "-p", "200", str(write_job(tmp_path, "plain.py", PLAIN_JOB)))
    assert_one_line_error(proc, "200")
    assert "plain map" in proc.stderr or "Source" in proc.stderr  # names an operator

    # at run time: the job fails, exit 1, the reason names the operator and type
    proc = running_cluster.pyflink("run", str(write_job(tmp_path, "mismatch.py", TYPE_MISMATCH_JOB)), timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED" in proc.stderr
    assert "stringify" in proc.stderr
    assert "INT" in proc.stderr or "Integer" in proc.stderr

    # a failing key selector: the user's traceback reaches the client
    proc = running_cluster.pyflink("run", str(write_job(tmp_path, "bad_key.py", BAD_KEY_JOB)), timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED" in proc.stderr
    assert "Traceback" in proc.stderr
    assert "explode_key" in proc.stderr and "boom-key-selector" in proc.stderr
    assert "bad_key.py" in proc.stderr

    # none of the rejected programs left a job behind; the two failed ones are recorded FAILED
    jobs = json.loads(running_cluster.pyflink("list", "-a", "--json", check=True).stdout)["jobs"]
    assert sorted(j["name"] for j in jobs) == ["bad key", "type mismatch"], jobs
    assert {j["state"] for j in jobs} == {"FAILED"}
