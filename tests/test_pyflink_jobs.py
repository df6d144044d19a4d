"""Job files written for Apache Flink's PyFlink 2.3 run here unmodified (``from pyflink...``
imports), embedded and on a 2-TaskManager cluster at parallelism 1 and 2, and print what
PyFlink 2.3 prints.

The expected output of tests/pyflink_reference/types_job.py was recorded by running the very
same file on PyFlink 2.3 (scripts/pyflink_reference.py -> tests/data/pyflink_2_3_reference.json),
so it is independent of this engine. Where PyFlink is wrong (state TTL, merging session
windows with an aggregate, some typed records), the expectation is what Flink documents,
computed here, and the test also shows that PyFlink's recorded output differs.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO
from stream_support import stream_cluster  # noqa: F401 - the shared cluster fixture

JOBS = Path(__file__).parent / "pyflink_reference"
REFERENCE = json.loads((Path(__file__).parent / "data" / "pyflink_2_3_reference.json").read_text())
CLIENT_LINES = ("Job has been submitted", "Job with JobID", "Job Runtime")
_SUBTASK = re.compile(r"^([^ >]+):\d+> ")


def job_lines(stdout: str, parallelism: int) -> list[str]:
    """The job's own output, normalized as the reference is (sorted; subtask index hidden at p > 1)."""
    lines = [line for line in stdout.splitlines() if line.strip() and not line.startswith(CLIENT_LINES)]
    if parallelism > 1:
        lines = [_SUBTASK.sub(r"\1:*> ", line) for line in lines]
    return sorted(lines)


def pyflink(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyflink_cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or REPO)


@pytest.fixture(scope="module")
def cluster(stream_cluster):
    """The session's shared 2-TaskManager cluster (tests/stream_support.py)."""
    return stream_cluster


# ------------------------------------------------------------------ every type, as PyFlink prints it
def test_types_print_as_pyflink_embedded():
    proc = pyflink("run", "-t", "local", str(JOBS / "types_job.py"), "1")
    assert proc.returncode == 0, proc.stderr
    assert job_lines(proc.stdout, 1) == REFERENCE["runs"]["types_job/p1"]


@pytest.mark.parametrize("parallelism", [1, 2])
def test_types_print_as_pyflink_on_a_cluster(cluster, parallelism):
    proc = cluster.pyflink("run", "-p", str(parallelism), str(JOBS / "types_job.py"), str(parallelism), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert job_lines(proc.stdout, parallelism) == REFERENCE["runs"][f"types_job/p{parallelism}"]


@pytest.mark.parametrize("parallelism", [1, 2])
def test_chained_rows_and_record_timestamps_as_pyflink_embedded(parallelism):
    """A positional Row between chained Python functions stays positional (``<Row('ann', 3)>``,
    no access by name), and ``ctx.timestamp()`` without timestamps is Long.MIN_VALUE."""
    proc = pyflink("run", "-t", "local", str(JOBS / "context_job.py"), str(parallelism))
    assert proc.returncode == 0, proc.stderr
    assert job_lines(proc.stdout, parallelism) == REFERENCE["runs"][f"context_job/p{parallelism}"]


@pytest.mark.parametrize("parallelism", [1, 2])
def test_chained_rows_and_record_timestamps_as_pyflink_on_a_cluster(cluster, parallelism):
    proc = cluster.pyflink("run", "-p", str(parallelism), str(JOBS / "context_job.py"), str(parallelism), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert job_lines(proc.stdout, parallelism) == REFERENCE["runs"][f"context_job/p{parallelism}"]


def test_reference_covers_conversion_and_printing_rules():
    """Spot checks of the recorded PyFlink output, so a re-recorded reference cannot quietly
    lose the cases the issue is about (expected strings computed from the rules)."""
    p1 = set(REFERENCE["runs"]["types_job/p1"])
    f32 = repr(__import__("array").array("f", [110.1])[0])          # 110.1 as a 32-bit float
    assert f32 == "110.0999984741211"
    assert "A_ROW_NAMED> +I[1001,35,3,17.75,True,pair+]" in p1         # Python-side row print
    assert f"A_ROW> +I[1,{f32},x]" in p1                               # tuples -> Rows, FLOAT 32-bit
    assert f"PY B_ROW Row Row(f0=1, f1={f32}, f2='x')" in p1           # unnamed rows get f0, f1...
    assert "A_TUPLE_IF> (1,110.1)" in p1                               # Java's Tuple2/Float.toString
    assert f"PY D_FLOAT_0 float {f32}" in p1                           # converted across the network
    assert "C_ROW_NAMED_0> +I[1,2,3,110.1,False,None]" in p1           # fused: printed unconverted


# ------------------------------------------------------------------ where PyFlink is wrong
def test_state_ttl_expires_as_flink_documents():
    proc = pyflink("run", "-t", "local", str(JOBS / "state_ttl_job.py"))
    assert proc.returncode == 0, proc.stderr
    flink = ["TTL read after expiry: None", "TTL wrote k"]  # NeverReturnExpired: 1.5 s > 200 ms TTL
    assert job_lines(proc.stdout, 1) == flink
    assert REFERENCE["runs"]["state_ttl_job/p1"] == ["TTL read after expiry: written", "TTL wrote k"]


def test_session_windows_merge_aggregates_as_flink_documents():
    proc = pyflink("run", "-t", "local", str(JOBS / "session_aggregate_job.py"))
    assert proc.returncode == 0, proc.stderr
    data = [("k", 0, 1), ("k", 1000, 10), ("k", 500, 100)]
    gap = 600
    start, end = min(t for _, t, _ in data), max(t for _, t, _ in data) + gap  # one merged session
    flink = [f"SESSION k [{start}, {end}) count={len(data)} sum={sum(v for *_, v in data)}"]
    assert job_lines(proc.stdout, 1) == flink
    assert REFERENCE["runs"]["session_aggregate_job/p1"] != flink  # PyFlink loses an accumulator part


@pytest.mark.parametrize("case,expected", [
    ("BIG_INT", [f"PY BIG_INT int {10**30}"]),
    ("LIST_SOURCE", ["PY LIST_SOURCE list [1, 2, 3]"]),
    ("ROW_TUPLE_NETWORK", [f"PY ROW_TUPLE_NETWORK Row Row(name='ann', score={__import__('array').array('f', [110.1])[0]!r})"]),
    ("ROW_TUPLE_PRINT", ["ROW_TUPLE_PRINT> +I[ann,110.1]"]),
    ("CHAR_SOURCE", ["PY CHAR_SOURCE str 'x'"]),
])
def test_typed_records_pyflink_gets_wrong(case, expected):
    proc = pyflink("run", "-t", "local", str(JOBS / "type_bugs_job.py"), case)
    assert proc.returncode == 0, proc.stderr
    assert job_lines(proc.stdout, 1) == expected
    pyflink_did = REFERENCE["pyflink_bugs"][case]
    assert pyflink_did["failed"] or pyflink_did["stdout"] != expected


def test_int_out_of_range_is_refused_not_wrapped():
    proc = pyflink("run", "-t", "local", str(JOBS / "type_bugs_job.py"), "INT_OVERFLOW")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "from_collection" in lines[0] and str(2**31) in lines[0] and "INT" in lines[0], lines[0]
    assert REFERENCE["pyflink_bugs"]["INT_OVERFLOW"]["stdout"] == [f"INT_OVERFLOW> {2**31 - 2**32}"]


# ------------------------------------------------------------------ unmodified imports on TaskManagers
HELPER_JOB = '''\
from pyflink.common import Row, Types
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.functions import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import ValueStateDescriptor

import scoring


class Total(KeyedProcessFunction):
    def open(self, runtime_context: RuntimeContext):
        self.total = runtime_context.get_state(ValueStateDescriptor("total", Types.LONG()))

    def process_element(self, value, ctx):
        total = (self.total.value() or 0) + scoring.points(value)
        self.total.update(total)
        yield Row(user=value.user, total=total)


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    rows = env.from_collection([("ann", 3), ("bob", 5), ("ann", 4)],
                               type_info=Types.ROW_NAMED(["user", "amount"], [Types.STRING(), Types.INT()]))
    rows.key_by(lambda r: r.user).process(
        Total(), output_type=Types.ROW_NAMED(["user", "total"], [Types.STRING(), Types.LONG()])).print()
    env.execute("pyflink-imports")


if __name__ == "__main__":
    main()
'''
SCORING = '''\
from pyflink.common import Row  # imported on the TaskManager when the job's functions load


def points(row):
    assert isinstance(row, Row), type(row)
    return row.amount * 10
'''


def _write_helper_job(tmp_path: Path) -> Path:
    (tmp_path / "scoring.py").write_text(SCORING)
    job = tmp_path / "helper_job.py"
    job.write_text(HELPER_JOB)
    return job


def _expected_totals() -> list[str]:
    totals: dict[str, int] = {}
    out = []
    for user, amount in [("ann", 3), ("bob", 5), ("ann", 4)]:
        totals[user] = totals.get(user, 0) + amount * 10
        out.append(f"+I[{user},{totals[user]}]")
    return sorted(out)


@pytest.mark.parametrize("parallelism", [1, 2])
def test_pyflink_imports_in_shipped_modules_on_taskmanagers(cluster, tmp_path, parallelism):
    job = _write_helper_job(tmp_path)
    proc = cluster.pyflink("run", "-p", str(parallelism), str(job), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = [re.sub(r"^\d+> ", "", line) for line in job_lines(proc.stdout, 1)]
    assert sorted(got) == _expected_totals()


def test_pyflink_imports_embedded_and_info(tmp_path):
    job = _write_helper_job(tmp_path)
    proc = pyflink("run", "-t", "local", str(job))
    assert proc.returncode == 0, proc.stderr
    assert job_lines(proc.stdout, 1) == _expected_totals()
    plan = pyflink("info", str(job))
    assert plan.returncode == 0, plan.stderr
    assert {v["name"] for v in json.loads(plan.stdout)["vertices"]} >= {"Source: Collection Source"}


def test_python_job_py_with_the_import_mapping(tmp_path):
    """`python -m runtime.compat job.py` runs a PyFlink job file as `python job.py` would."""
    job = _write_helper_job(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "runtime.compat", str(job)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert job_lines(proc.stdout, 1) == _expected_totals()


def test_pth_hook_maps_pyflink_for_plain_python(tmp_path):
    """The line `pyflink compat install` writes into site-packages, processed by `site` from
    a scratch directory: a plain interpreter then imports pyflink.datastream from here."""
    from runtime.compat.site_hook import PTH_LINE, PTH_NAME
    (tmp_path / PTH_NAME).write_text(PTH_LINE)
    code = (f"import site; site.addsitedir({str(tmp_path)!r}); import pyflink.datastream, runtime.datastream; "
            "print(pyflink.datastream is runtime.datastream)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr


@pytest.mark.parametrize("source,expected", [
    ("from pyflink.table import StreamTableEnvironment", "module pyflink.table is not supported"),
    ("from pyflink.datastream.connectors.kafka import KafkaSource",
     "module pyflink.datastream.connectors.kafka is not supported"),
    ("from pyflink.datastream.formats.csv import CsvSchema", "module pyflink.datastream.formats is not supported"),
    ("from pyflink.datastream.functions import JavaFunctionWrapper", "JavaFunctionWrapper is not supported"),
    ("from pyflink.datastream.connectors.file_system import FileCompactor", "FileCompactor is not supported"),
    ("import pyflink.java_gateway", "module pyflink.java_gateway is not supported"),
])
def test_unsupported_pyflink_name_fails_with_one_line(tmp_path, source, expected):
    job = tmp_path / "uses_unsupported.py"
    job.write_text(textwrap.dedent(f"""\
        from pyflink.datastream import StreamExecutionEnvironment
        {source}

        StreamExecutionEnvironment.get_execution_environment().from_collection([1]).print()
    """))
    proc = pyflink("run", "-t", "local", str(job))
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {job}:2: ") and expected in lines[0], lines[0]
    assert "ModuleNotFoundError" not in lines[0] and "Traceback" not in proc.stderr


# ------------------------------------------------------------------ user errors name the user's code
def test_failure_on_a_taskmanager_names_the_users_file(cluster, tmp_path):
    job = tmp_path / "fails.py"
    job.write_text(textwrap.dedent("""\
        from pyflink.datastream import StreamExecutionEnvironment


        def explode(x):
            if x == 3:
                raise ValueError("record 3 is cursed")
            return x


        def main():
            env = StreamExecutionEnvironment.get_execution_environment()
            env.from_collection([1, 2, 3]).map(explode).print()
            env.execute("fails")


        if __name__ == "__main__":
            main()
    """))
    proc = cluster.pyflink("run", str(job), timeout=60)
    assert proc.returncode == 1
    assert f'File "{job}", line 6, in explode' in proc.stderr, proc.stderr
    assert 'raise ValueError("record 3 is cursed")' in proc.stderr
    assert "/blobs/" not in proc.stderr and "<dynamic-code>" not in proc.stderr


@pytest.mark.parametrize("where", ["local", "cluster"])
def test_unhashable_key_fails_at_the_first_record_naming_key_by(cluster, tmp_path, where):
    job = tmp_path / "bad_key.py"
    job.write_text(textwrap.dedent("""\
        from pyflink.datastream import StreamExecutionEnvironment

        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(2)
        env.from_collection([1, 2, 3]).key_by(lambda x: [x, "tag"]).map(lambda x: x).print()
        env.execute("bad key")
    """))
    proc = pyflink("run", "-t", "local", str(job)) if where == "local" else cluster.pyflink("run", str(job))
    assert proc.returncode == 1
    err = proc.stderr
    assert "key_by(): the key selector returned an unhashable list ([1, 'tag']) for the record 1" in err, err
    assert f'File "{job}", line 5, in <lambda>' in err
    assert 'key_by(lambda x: [x, "tag"])' in err
    frames = [line for line in err.splitlines() if line.strip().startswith('File "')]
    assert all(str(job) in f for f in frames), frames  # no engine frames


def test_type_mismatch_names_the_operator_and_the_users_function(tmp_path):
    job = tmp_path / "mismatch.py"
    job.write_text(textwrap.dedent("""\
        from pyflink.common import Types
        from pyflink.datastream import StreamExecutionEnvironment

        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection([1, 2]).map(lambda x: 2**31 + x, output_type=Types.INT()).key_by(lambda x: x).print()
        env.execute("mismatch")
    """))
    proc = pyflink("run", "-t", "local", str(job))
    assert proc.returncode == 1
    assert "operator 'Map' produced a record that does not fit its declared output type Integer" in proc.stderr
    assert f"int {2**31 + 1} out of range for INT" in proc.stderr
    assert f'File "{job}", line 5' in proc.stderr


def test_compat_install_makes_plain_python_run_pyflink_jobs(tmp_path):
    """`pyflink compat install` in a (scratch) environment: plain `python job.py` then runs a
    PyFlink job file; `uninstall` takes it back."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = str(venv / "bin" / "python")
    env = dict(__import__("os").environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([python, "-m", "pyflink_cli", "compat", "install"], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 0 and "Installed the pyflink.* import mapping" in proc.stdout, proc.stderr
    job = _write_helper_job(tmp_path)
    proc = subprocess.run([python, str(job)], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert job_lines(proc.stdout, 1) == _expected_totals()
    assert subprocess.run([python, "-m", "pyflink_cli", "compat", "uninstall"], capture_output=True, text=True,
                          timeout=60, env=env).returncode == 0
    proc = subprocess.run([python, "-c", "import pyflink"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1 and "No module named 'pyflink'" in proc.stderr
