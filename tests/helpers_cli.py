"""Helpers for the CLI integration tests (test_cluster_cli.py, test_cluster_failures.py).

Everything here talks to the product only through its public surface: the `pyflink` CLI run
as a subprocess (via ClusterEnv.pyflink from conftest), its --json output, pid files and psutil.
Expected results are computed here from first principles, never copied from engine output.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

from conftest import EXAMPLES, ClusterEnv, wait_until

WORD_COUNT = EXAMPLES / "word_count.py"
JOB_ID = re.compile(r"\b[0-9a-f]{32}\b")
# one printed record of the word count: optional "N> " subtask prefix, then (word,count)
COUNT_LINE = re.compile(r"^(?:(\d+)> )?\((.+),(\d+)\)$")
STATUS_FIELDS = ("taskmanagers", "slots-total", "slots-available", "jobs-running", "jobs-finished",
                 "jobs-cancelled", "jobs-failed")
JOB_FIELDS = ("jid", "name", "state", "start-time", "end-time", "duration")

# An unbounded job: the source emits forever (sleeping briefly per record so it does not spin)
# until the runtime calls cancel(). Source at parallelism 1, the map at the job's default
# parallelism, so `-p 2` occupies both slots of a 2 x 1-slot cluster.
UNBOUNDED_JOB = '''\
import time

from runtime.datastream import SourceFunction, StreamExecutionEnvironment


class Ticks(SourceFunction):
    def __init__(self):
        self.running = True

    def run(self, ctx):
        i = 0
        while self.running:
            ctx.collect(i)
            i += 1
            time.sleep(0.02)

    def cancel(self):
        self.running = False


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.add_source(Ticks()).map(lambda x: x * 2).print()
    env.execute("endless-ticks")


if __name__ == "__main__":
    main()
'''
UNBOUNDED_JOB_NAME = "endless-ticks"

# An unbounded job of three vertices: a source (p=1) -rebalance-> a map (p=N) -hash-> a keyed
# reduce chained with the print sink (p=N). The source sleeps 10 ms per record.
MONITORED_JOB = '''\
import time
from runtime.datastream import SourceFunction, StreamExecutionEnvironment


class Ticks(SourceFunction):
    def __init__(self):
        self.running = True

    def run(self, ctx):
        i = 0
        while self.running:
            ctx.collect(i)
            i += 1
            time.sleep(0.01)

    def cancel(self):
        self.running = False


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.add_source(Ticks()).map(lambda x: (x % 5, 1)).key_by(lambda t: t[0]) \\
        .reduce(lambda a, b: (a[0], a[1] + b[1])).print()
    env.execute("monitored-ticks")


if __name__ == "__main__":
    main()
'''

FAILING_MESSAGE = "record 3 is cursed"
FAILING_JOB = f'''\
from runtime.datastream import StreamExecutionEnvironment


def explode(x):
    if x == 3:
        raise ValueError("{FAILING_MESSAGE}")
    return x


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 2, 3, 4, 5]).map(explode).print()
    env.execute("failing-job")


if __name__ == "__main__":
    main()
'''


# ------------------------------------------------------------------------------ word count
def word_count_text() -> list[str]:
    """The TEXT constant of examples/word_count.py, read from its source (not imported)."""
    tree = ast.parse(WORD_COUNT.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TEXT" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no TEXT constant in {WORD_COUNT}")


def expected_word_counts() -> Counter:
    """True word frequencies of the example's text: words split on whitespace, surrounding
    punctuation . , : ; ' stripped, lower-cased, empty tokens dropped."""
    counts: Counter = Counter()
    for line in word_count_text():
        for token in line.split():
            word = token.strip(".,:;'").lower()
            if word:
                counts[word] += 1
    return counts


def parse_counts(stdout: str) -> list[tuple[str | None, str, int]]:
    """Every printed (word,n) record as (subtask prefix or None, word, n), in output order."""
    out = []
    for line in stdout.splitlines():
        m = COUNT_LINE.match(line.strip())
        if m:
            out.append((m.group(1), m.group(2), int(m.group(3))))
    return out


def assert_word_counts(stdout: str, prefixed: bool = False) -> list[tuple[str | None, str, int]]:
    """The printed records are exactly a keyed running count of the true word frequencies:
    one record per word occurrence, per word the counts 1..n in order, last one == true count."""
    expected = expected_word_counts()
    records = parse_counts(stdout)
    assert records, f"no (word,n) records in the output:\n{stdout}"
    assert len(records) == sum(expected.values()), (
        f"expected one record per word occurrence ({sum(expected.values())}), got {len(records)}:\n{stdout}")
    per_word: dict[str, list[int]] = {}
    for _, word, n in records:
        per_word.setdefault(word, []).append(n)
    assert set(per_word) == set(expected), (
        f"words differ: missing {set(expected) - set(per_word)}, unexpected {set(per_word) - set(expected)}")
    for word, seen in per_word.items():
        assert seen[-1] == expected[word], f"last count of {word!r} is {seen[-1]}, true count {expected[word]}"
        assert seen == list(range(1, expected[word] + 1)), f"running counts of {word!r}: {seen}"
    if prefixed:
        unprefixed = [r for r in records if r[0] is None]
        assert not unprefixed, f"records without a subtask prefix: {unprefixed}"
    return records


# ------------------------------------------------------------------------------ CLI
def timed(env: ClusterEnv, *args: str, timeout: float = 60.0) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = env.pyflink(*args, timeout=timeout)
    return proc, time.monotonic() - start


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 1, exactly one non-empty line on stderr, no traceback anywhere; returns the line."""
    assert proc.returncode == 1, describe(proc)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr:\n{describe(proc)}"
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, describe(proc)
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in the error line: {lines[0]!r}"
    return lines[0]


def status_json(env: ClusterEnv) -> dict:
    proc = env.pyflink("cluster", "status", "--json")
    assert proc.returncode == 0, describe(proc)
    return json.loads(proc.stdout)


def jobs_json(env: ClusterEnv, *flags: str) -> list[dict]:
    proc = env.pyflink("list", "--json", *flags)
    assert proc.returncode == 0, describe(proc)
    data = json.loads(proc.stdout)
    assert set(data) == {"jobs"}, data
    return data["jobs"]


def job_state(env: ClusterEnv, jid: str) -> str | None:
    for job in jobs_json(env, "-a"):
        if job["jid"] == jid:
            return job["state"]
    return None


def wait_job_state(env: ClusterEnv, jid: str, state: str, timeout: float = 15.0) -> None:
    seen: list[str | None] = []

    def check() -> bool:
        seen.append(job_state(env, jid))
        return seen[-1] == state

    try:
        wait_until(check, timeout, interval=0.05, message=f"job {jid} to be {state}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; states seen: {sorted(set(map(str, seen)))}") from None


def wait_idle(env: ClusterEnv, timeout: float = 15.0) -> dict:
    """All slots free and no running job (a shared cluster's precondition)."""
    return wait_until(lambda: (lambda s: s if s["slots-available"] == s["slots-total"] and s["jobs-running"] == 0
                               else None)(status_json(env)), timeout, interval=0.05, message="an idle cluster")


def submitted_job_id(proc: subprocess.CompletedProcess) -> str:
    ids = set(JOB_ID.findall(proc.stdout))
    assert len(ids) == 1, f"expected exactly one 32-hex job id:\n{describe(proc)}"
    return ids.pop()


def pid_file_entries(env: ClusterEnv, pattern: str) -> list[tuple[Path, int]]:
    out = []
    for path in sorted((env.root / "pid").glob(pattern)):
        out.append((path, json.loads(path.read_text())["pid"]))
    return out


def read_logs(env: ClusterEnv, limit: int = 4000) -> str:
    """Tails of the cluster's *.log files, for assertion messages."""
    parts = []
    for path in sorted((env.root / "log").glob("*.log")):
        parts.append(f"== {path.name}\n{path.read_text(errors='replace')[-limit:]}")
    return "\n".join(parts)


def rest_call(env: ClusterEnv, method: str, path: str, body: dict | None = None,
              timeout: float = 10.0) -> tuple[int, object]:
    """One REST call with the cluster's bearer token: (status, decoded JSON body)."""
    import urllib.error
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{env.rest_port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json", **env.rest_headers()})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def rest_get(env: ClusterEnv, path: str) -> object:
    """GET ``path``, asserting a 200."""
    status, body = rest_call(env, "GET", path)
    assert status == 200, f"GET {path}: {status} {body}"
    return body
