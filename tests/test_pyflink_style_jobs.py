"""Jobs written the way PyFlink's own examples are (imports switched to runtime.*), run
unchanged: PyFlink's BATCH word count with FileSource/FileSink and logging configured at INFO
on stdout, and records of a class defined in the job's __main__ crossing TaskManagers."""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

JOBS = Path(__file__).parent / "pyflink_style"
WORD_COUNT = JOBS / "word_count_batch.py"


def _default_data() -> list[str]:
    source = WORD_COUNT.read_text()
    block = source[source.index("word_count_data = ["):source.index("]", source.index("word_count_data = [")) + 1]
    namespace: dict = {}
    exec(block, namespace)
    return namespace["word_count_data"]


def test_pyflink_word_count_example_default_data_prints_final_counts_only(tmp_path):
    proc = subprocess.run([sys.executable, str(WORD_COUNT)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = Counter(w for line in _default_data() for w in line.split())
    records = [l for l in proc.stdout.splitlines() if l.startswith("(")]
    got = {}
    for line in records:
        word, n = re.fullmatch(r"\((.*),(\d+)\)", line).groups()
        assert word not in got, f"BATCH mode must print each word once, got {word} twice"
        got[word] = int(n)
    assert got == dict(expected)
    # the job configures logging at INFO on stdout: the engine's own INFO lines must not appear
    others = [l for l in proc.stdout.splitlines() if not l.startswith("(")]
    assert others == ["Executing word_count example with default input data set.",
                      "Printing result to stdout. Use --output to specify output path."]


def test_pyflink_word_count_example_files_in_and_out(tmp_path):
    text = "the quick brown fox\njumps over the lazy dog\nthe end\n"
    (tmp_path / "in.txt").write_text(text)
    proc = subprocess.run([sys.executable, str(WORD_COUNT), "--input", str(tmp_path / "in.txt"),
                           "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    parts = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert parts and all(re.fullmatch(r"prefix-[0-9a-f-]{36}-\d+\.ext", p.name) for p in parts)
    lines = [l for p in parts for l in p.read_text().splitlines()]
    assert sorted(lines) == sorted(f"({w},{n})" for w, n in Counter(text.split()).items())


def test_records_of_a_main_module_class_cross_taskmanagers(running_cluster):
    proc = running_cluster.pyflink("run", str(JOBS / "user_classes.py"), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = [re.sub(r"^\d+> ", "", l) for l in proc.stdout.splitlines() if re.match(r"^\d+> ", l)]
    data = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)]
    # the map runs at p=2 behind a rebalance, so the order within a user may change (as in
    # Flink): each user gets one rolling result per record, ending at the user's total, and
    # every rolling result is a sum of a prefix of some order of that user's amounts
    by_user: dict[str, list[int]] = {}
    for line in got:
        user, total = line.split("=")
        by_user.setdefault(user, []).append(int(total))
    amounts: dict[str, list[int]] = {}
    for user, amount in data:
        amounts.setdefault(user, []).append(amount)
    assert sorted(by_user) == sorted(amounts)
    for user, values in amounts.items():
        assert len(by_user[user]) == len(values)
        assert max(by_user[user]) == sum(values)
        assert set(by_user[user]) <= {sum(c) for c in _subsets(values) if c}


def _subsets(values: list[int]):
    from itertools import combinations
    for r in range(len(values) + 1):
        yield from combinations(values, r)
