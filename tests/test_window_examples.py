"""The window examples (issue 5): examples/tumbling_windows.py, sliding_windows.py and
session_windows.py on the embedded cluster (``python examples/X.py``) and on a real cluster
(``pyflink run -p 2``), and examples/socket_window_word_count.py against a TCP server run by
the test.

Each example's input is read from the example file itself (its data literal, via ``ast``)
and the expected output is computed here in plain Python with Flink's window rules.
"""
from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, ClusterEnv, wait_until

PREFIX = re.compile(r"^(\d+)> (.*)$")
CLI_NOISE = ("Job has been submitted", "Job with JobID", "Job Runtime")


def literal(example: str, name: str):
    """The value of the module-level literal ``name`` in an example file."""
    tree = ast.parse((EXAMPLES / example).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {example}")


def records(stdout: str, parallelism: int) -> list[str]:
    out = []
    for line in stdout.splitlines():
        if not line.strip() or line.startswith(CLI_NOISE):
            continue
        m = PREFIX.match(line)
        if parallelism > 1:
            assert m, f"no subtask prefix at parallelism {parallelism}: {line!r}"
            out.append(m.group(2))
        else:
            assert not m, f"unexpected subtask prefix: {line!r}"
            out.append(line)
    return out


def never_late(events, ts_of, bound, window_ends) -> bool:
    """True if no element can be late whenever the periodic watermark comes: every window
    of an element ends after the largest watermark possible when it arrives (max timestamp
    of the elements before it - bound - 1)."""
    top = None
    for e in events:
        if top is not None and any(end - 1 <= top - bound - 1 for end in window_ends(e)):
            return False
        top = ts_of(e) if top is None else max(top, ts_of(e))
    return True


# ---------------------------------------------------------------- expected outputs


def expected_tumbling() -> dict[str, list[str]]:
    events = literal("tumbling_windows.py", "EVENTS")
    size, bound = 10_000, 2_000
    assert never_late(events, lambda e: e[2], bound, lambda e: [(e[2] // size + 1) * size])
    sums: dict = defaultdict(int)
    for user, amount, ts in events:
        sums[(user, ts // size)] += amount
    out = defaultdict(list)
    for (user, w) in sorted(sums, key=lambda uw: uw[1]):
        out[user].append(f"({user},{sums[(user, w)]})")      # PyFlink's print of a typed tuple
    return dict(out)


def expected_sliding() -> dict[str, list[str]]:
    readings = literal("sliding_windows.py", "READINGS")
    size, slide = 10_000, 5_000

    def windows(ts):
        start = (ts // slide) * slide
        out = []
        while start > ts - size:
            out.append((start, start + size))
            start -= slide
        return out

    assert never_late(readings, lambda r: r[2], 0, lambda r: [e for _, e in windows(r[2])])
    maxima: dict = {}
    for key, value, ts in readings:
        for w in windows(ts):
            maxima[(key, w)] = max(maxima.get((key, w), value), value)
    out = defaultdict(list)
    for (key, (start, end)) in sorted(maxima, key=lambda kw: kw[1]):
        out[key].append(f"{key} [{start // 1000:>2}s, {end // 1000:>2}s) max={maxima[(key, (start, end))]}")
    return dict(out)


def expected_sessions() -> dict[str, list[str]]:
    """Sessions with a 3 s gap; windows that touch merge. from_collection hands the whole
    collection to the timestamp assigner before its first periodic watermark, so the
    out-of-order click (4000 after 9000) is not late and bridges u1's first sessions."""
    clicks = literal("session_windows.py", "CLICKS")
    gap = 3_000
    per_user = defaultdict(list)
    for user, ts in clicks:
        per_user[user].append(ts)
    out = defaultdict(list)
    for user, stamps in per_user.items():
        sessions: list[list[int]] = []
        for ts in sorted(stamps):
            if sessions and ts <= sessions[-1][1]:        # [ts, ts+gap) touches the session
                sessions[-1][1] = max(sessions[-1][1], ts + gap)
                sessions[-1][2] += 1
            else:
                sessions.append([ts, ts + gap, 1])
        out[user] = [str((user, s, e, n)) for s, e, n in sessions]
    return dict(out)


EXAMPLE_CASES = {
    "tumbling_windows.py": (expected_tumbling, lambda line: line.strip("()").split(",")[0]),
    "sliding_windows.py": (expected_sliding, lambda line: line.split(" ")[0]),
    "session_windows.py": (expected_sessions, lambda line: ast.literal_eval(line)[0]),
}


def check_example(example: str, stdout: str, parallelism: int) -> None:
    expected_fn, key_of = EXAMPLE_CASES[example]
    want = expected_fn()
    got = defaultdict(list)
    for line in records(stdout, parallelism):
        got[key_of(line)].append(line)
    assert dict(got) == want, f"{example}: printed {dict(got)}, expected {want}"


@pytest.mark.parametrize("example", sorted(EXAMPLE_CASES))
def test_window_example_embedded(example: str, tmp_path: Path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / example)], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_example(example, proc.stdout, 1)


def test_window_examples_on_cluster(running_cluster: ClusterEnv):
    for example in sorted(EXAMPLE_CASES):
        proc = running_cluster.pyflink("run", "-p", "2", str(EXAMPLES / example), timeout=90)
        assert proc.returncode == 0, f"{example}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        assert "has finished with state FINISHED" in proc.stdout
        check_example(example, proc.stdout, 2)


# ---------------------------------------------------------------- socket window word count

PHASE_1 = ["to be or not to be", "that is the question", "whether tis nobler in the mind to suffer"]
PHASE_2 = ["to be continued", "the end is near to be sure"]
WORD_COUNT_LINE = re.compile(r"^(\S+) : (\d+)$")


class _Lines:
    """Collects a subprocess's stdout lines in a thread."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def counts(self) -> Counter:
        out: Counter = Counter()
        for line in list(self.lines):
            m = WORD_COUNT_LINE.match(line)
            if m:
                out[m.group(1)] += int(m.group(2))
        return out


def words(lines: list[str]) -> Counter:
    return Counter(w for line in lines for w in line.split())


def run_socket_word_count(command: list[str], cwd: Path) -> None:
    """Run the job ``command`` (given the server's port) against a server run here: phase
    1's words must be counted while the connection stays open (the windows fire on their
    own), then phase 2's; closing the connection ends the job. Every word is counted exactly
    once in total, and the counts printed after phase 2 was sent are exactly phase 2's."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(30)
    port = server.getsockname()[1]
    args = ["--hostname", "127.0.0.1", "--port", str(port), "--window-seconds", "1"]
    proc = subprocess.Popen(command + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", PYTHONHASHSEED="0"))
    try:
        out = _Lines(proc.stdout)
        conn, _ = server.accept()
        with conn:
            conn.sendall("".join(line + "\n" for line in PHASE_1).encode())
            wait_until(lambda: out.counts() == words(PHASE_1), 20, message="phase 1 counted")
            printed_after_phase_1 = len(out.lines)
            conn.sendall("".join(line + "\n" for line in PHASE_2).encode())
            phase_2_done = True
            try:
                wait_until(lambda: out.counts() == words(PHASE_1) + words(PHASE_2), 20, message="phase 2 counted")
            except AssertionError:
                phase_2_done = False
        proc.wait(timeout=30)
        out.thread.join(10)
    finally:
        server.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert proc.returncode == 0, stderr[-3000:]
    assert phase_2_done, (f"phase 2's words were not counted within 20 s of sending them; printed after "
                          f"phase 1: {out.lines[printed_after_phase_1:]}")
    lines = [line for line in out.lines if not line.startswith(CLI_NOISE) and line.strip()]
    assert all(WORD_COUNT_LINE.match(line) for line in lines), lines
    second: Counter = Counter()
    for line in out.lines[printed_after_phase_1:]:
        m = WORD_COUNT_LINE.match(line)
        if m:
            second[m.group(1)] += int(m.group(2))
    assert second == words(PHASE_2)
    assert out.counts() == words(PHASE_1) + words(PHASE_2)


def test_socket_window_word_count_example_embedded(tmp_path: Path):
    run_socket_word_count([sys.executable, str(EXAMPLES / "socket_window_word_count.py")], tmp_path)


def test_socket_window_word_count_example_on_cluster(running_cluster: ClusterEnv):
    run_socket_word_count([sys.executable, "-m", "pyflink_cli", "run", "--conf-dir", str(running_cluster.conf_dir),
                           "-p", "2", str(EXAMPLES / "socket_window_word_count.py")], running_cluster.root)


def test_attached_output_relay_skips_nothing_when_the_long_poll_times_out(monkeypatch):
    """The JobMaster's long poll (how ``pyflink run`` gets what the job prints) must never
    hand out an offset past output it did not return. Here the job's output arrives just as
    the poll's wait times out (forced by replacing asyncio.wait_for in the JobOutputService's module);
    the reply must either carry that output or keep the offset where it was. (With a 1 s
    poll and 1 s windows this timing is common: the socket example on a cluster then loses
    a window's counts now and then.)"""
    import asyncio
    import types

    from runtime.common.job import JobStatus
    from runtime.jobmaster import job_output_service as module

    holder = {}

    async def wait_for_that_times_out_as_output_arrives(aw, timeout):
        aw.close()
        holder["service"].append_output("word : 1\n")   # the TaskManager's output lands ...
        raise asyncio.TimeoutError                     # ... as the wait times out

    class AsyncioForTheService(types.ModuleType):
        """asyncio as the output service's module sees it, with wait_for replaced (only there)."""

        def __getattr__(self, name):
            return getattr(asyncio, name)

    patched = AsyncioForTheService("asyncio")
    patched.wait_for = wait_for_that_times_out_as_output_arrives
    monkeypatch.setattr(module, "asyncio", patched)

    async def scenario():
        service = holder["service"] = module.JobOutputService(lambda: JobStatus.RUNNING, lambda: None)
        return await service.poll(0, 0, 0.5)

    reply = asyncio.run(scenario())
    assert reply.offset == len(reply.output or ""), \
        f"the poll returned output {reply.output!r} but moved the offset to {reply.offset}"
