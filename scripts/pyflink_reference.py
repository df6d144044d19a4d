"""Record what Apache Flink's PyFlink prints for the reference jobs in tests/pyflink_reference/.

Run with the interpreter of a virtual environment that has ``apache-flink`` (and Java) installed::

    python -m venv /tmp/apache && /tmp/apache/bin/pip install apache-flink==2.3.0
    PATH=/tmp/apache/bin:$PATH /tmp/apache/bin/python scripts/pyflink_reference.py > tests/data/pyflink_2_3_reference.json

(``PATH`` so that PyFlink's Python workers find the same interpreter.) Each job runs as
``python JOB.py PARALLELISM`` exactly as written for PyFlink; its stdout lines are stored
sorted (parallel branches print in any order), with the subtask index of ``tag:N>``
prefixes replaced by ``*`` at parallelism > 1 (which subtask prints a record after a
rebalance is not deterministic). tests/test_pyflink_reference_output.py runs the same jobs
here and compares. The cases where PyFlink is wrong are recorded too (``pyflink_bugs``), as
evidence for docs/pyflink-compatibility.md; the test expects Flink's documented behaviour there.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JOBS = ROOT / "tests" / "pyflink_reference"
RUNS = [("types_job", 1), ("types_job", 2), ("state_ttl_job", 1), ("session_aggregate_job", 1), ("context_job", 1),
        ("context_job", 2)]
#: the jobs of tests/pyflink_reference/type_bugs_job.py, one case per run (PyFlink fails on some)
BUG_CASES = ["INT_OVERFLOW", "BIG_INT", "LIST_SOURCE", "ROW_TUPLE_NETWORK", "ROW_TUPLE_PRINT", "CHAR_SOURCE"]
_SUBTASK = re.compile(r"^([^ >]+):\d+> ")


def normalize(lines: list[str], parallelism: int) -> list[str]:
    if parallelism > 1:
        lines = [_SUBTASK.sub(r"\1:*> ", line) for line in lines]
    return sorted(line for line in lines if line.strip())


def run(job: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(JOBS / f"{job}.py"), *args], capture_output=True, text=True,
                          timeout=600)


def failure(proc: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in proc.stderr.splitlines()
             if re.search(r"(Error|Exception):", line) and "Py4J" not in line and "SDK harness" not in line]
    return lines[-1] if lines else f"exit code {proc.returncode}"


def main() -> None:
    import pyflink.version

    out: dict = {"pyflink_version": pyflink.version.__version__, "runs": {}, "pyflink_bugs": {}}
    for job, parallelism in RUNS:
        proc = run(job, str(parallelism))
        if proc.returncode != 0:
            raise SystemExit(f"{job} failed on PyFlink: {failure(proc)}")
        out["runs"][f"{job}/p{parallelism}"] = normalize(proc.stdout.splitlines(), parallelism)
    for case in BUG_CASES:
        proc = run("type_bugs_job", case)
        out["pyflink_bugs"][case] = {"stdout": normalize(proc.stdout.splitlines(), 1),
                                     "failed": proc.returncode != 0,
                                     "error": failure(proc) if proc.returncode != 0 else None}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
