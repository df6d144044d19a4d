"""Issue 4, item 6: the examples run with ``python examples/X.py`` (embedded mini cluster) and
print what a plain-Python computation over their input data says they should.

The input data is read from the example modules (importing them does not run the job);
the expected lines are computed here, independently of the engine.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections import defaultdict

import pytest
from conftest import EXAMPLES, REPO
from stream_support import stream_cluster  # noqa: F401

PREFIX = re.compile(r"^\d+> ")


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name: str, tmp_path) -> list[str]:
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [PREFIX.sub("", line) for line in proc.stdout.splitlines() if line.strip()]


def by_first_word(lines: list[str]) -> dict[str, list[str]]:
    out: dict = defaultdict(list)
    for line in lines:
        out[line.split()[0].rstrip(":")].append(line)
    return dict(out)


def expected_window_averages(readings, window_ms: int) -> list[str]:
    acc: dict = {}
    for sensor, ts, temperature in readings:
        start = ts - ts % window_ms
        total, count = acc.get((sensor, start), (0.0, 0))
        acc[(sensor, start)] = (total + temperature, count + 1)
    return [f"{sensor} {start // 1000}s-{(start + window_ms) // 1000}s: avg {total / count:.2f} of {count} readings"
            for (sensor, start), (total, count) in sorted(acc.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def test_event_time_timers_example(tmp_path):
    example = load("event_time_timers")
    readings = example.READINGS
    running_max = 0
    assert any(ts < (running_max := max(running_max, ts)) for _, ts, _ in readings), "data must be out of order"
    got = run_example("event_time_timers", tmp_path)
    expected = expected_window_averages(readings, example.WINDOW_MS)
    assert by_first_word(got) == by_first_word(expected)
    assert sorted(got) == sorted(expected)


def test_state_access_example(tmp_path):
    example = load("state_access")
    last, items, counts, spent = {}, defaultdict(list), defaultdict(lambda: defaultdict(int)), defaultdict(list)
    expected = []
    for customer, item, price in example.PURCHASES:
        previous = last.get(customer)
        last[customer] = item
        items[customer].append(item)
        counts[customer][item] += 1
        spent[customer].append(price)
        total = sum(spent[customer])
        expected.append(f"{customer}: {item} (previous: {previous or '-'}), items {items[customer]}, "
                        f"{item} x{counts[customer][item]}, spent {total:.2f}, "
                        f"avg {total / len(spent[customer]):.2f}")
    got = run_example("state_access", tmp_path)
    assert by_first_word(got) == by_first_word(expected)


def expected_alerts(transactions, small: float, large: float, window_ms: int) -> list[str]:
    """A large transaction right after a small one of the same account, within the window."""
    previous: dict = {}
    out = []
    for account, ts, amount in transactions:
        before = previous.get(account)
        if before is not None and before[1] < small and amount > large and ts - before[0] <= window_ms:
            out.append(f"ALERT account={account} amount={amount:.2f} time={ts}")
        previous[account] = (ts, amount)
    return out


def test_fraud_detection_example(tmp_path):
    example = load("fraud_detection")
    expected = expected_alerts(example.TRANSACTIONS, example.SMALL_AMOUNT, example.LARGE_AMOUNT, example.ONE_MINUTE)
    assert len(expected) >= 3
    got = run_example("fraud_detection", tmp_path)
    assert sorted(got) == sorted(expected)


@pytest.mark.parametrize("parallelism", (1, 2))
def test_fraud_detection_example_on_cluster(stream_cluster, parallelism: int):
    example = load("fraud_detection")
    expected = expected_alerts(example.TRANSACTIONS, example.SMALL_AMOUNT, example.LARGE_AMOUNT, example.ONE_MINUTE)
    proc = stream_cluster.pyflink("run", "-p", str(parallelism), str(EXAMPLES / "fraud_detection.py"), timeout=60)
    assert proc.returncode == 0 and "FINISHED" in proc.stdout, proc.stdout + proc.stderr
    got = [PREFIX.sub("", line) for line in proc.stdout.splitlines()
           if line.strip() and not line.startswith(("Job has been submitted", "Job with JobID", "Job Runtime"))]
    assert sorted(got) == sorted(expected)
