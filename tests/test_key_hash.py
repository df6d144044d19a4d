"""A string key's key group is the same in every process, whatever its ``PYTHONHASHSEED``: an
embedded run (``pyflink run -t local``, ``python job.py``) restores a cluster's savepoint with
every key's state (before, state of the keys whose group moved with the process's hash seed
was silently lost: 9 of 16 words restarted at 1), and savepoints written under the previous
key hash (Python's ``hash`` of the strings) restore every key, also rescaled.

The previous version's savepoint, ``tests/data/savepoint_key_hash_v1``, was written by that
version's code (see ``tests/key_hash_job.py``)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from zlib import crc32

import pytest
from conftest import REPO, wait_until
from stream_support import stream_cluster  # noqa: F401 - the shared cluster fixture

JOB = Path(__file__).parent / "key_hash_job.py"
V1 = Path(__file__).parent / "data" / "savepoint_key_hash_v1"
WORDS = [f"word-{i}" for i in range(24)]


def embedded(*args: str, seed: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.run([sys.executable, "-m", "pyflink_cli", "run", "-t", "local", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, env=env)


def counts_and_timers(stdout: str) -> tuple[dict[str, int], dict[str, int]]:
    counts: dict[str, int] = {}
    timers: dict[str, int] = {}
    for line in stdout.splitlines():
        m = re.search(r"(count|timer) (word-\d+) (\d+)$", line)
        if m:
            target = counts if m.group(1) == "count" else timers
            target[m.group(2)] = max(target.get(m.group(2), 0), int(m.group(3)))
    return counts, timers


def test_key_groups_do_not_depend_on_the_hash_seed():
    script = ("from runtime.state.key_groups import assign_to_key_group as g\n"
              "keys = ['word-0', 'ünïcode', '', b'raw', ('a', 1), ('b', None, 2.5), 42, -7, 3.25, None]\n"
              "print([g(k, 128) for k in keys])")
    runs = {seed: subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO,
                                 env=dict(os.environ, PYTHONHASHSEED=seed)) for seed in ("0", "1", "4711")}
    outputs = {seed: proc.stdout.strip() for seed, proc in runs.items()}
    assert all(proc.returncode == 0 for proc in runs.values()), [p.stderr for p in runs.values()]
    assert len(set(outputs.values())) == 1, outputs
    # a string's group is CRC-32 of its UTF-8 bytes, spread by the Fibonacci multiplier
    groups = json.loads(outputs["0"].replace("None", "null"))
    for word, group in zip(("word-0", "ünïcode", ""), groups):
        assert group == (((crc32(word.encode()) * 0x9E3779B1) & 0xFFFFFFFF) * 128) >> 32


@pytest.mark.parametrize("parallelism", [2, 3])
def test_savepoint_of_the_previous_key_hash_restores_every_key(parallelism):
    """Written at p=2 with keys grouped by Python's hash; restored embedded at p=2 (the same
    ranges: only the new key hash moves keys) and p=3 (rescaled too)."""
    expected = json.loads((V1 / "expected.json").read_text())
    assert sorted(expected) == sorted(WORDS)
    proc = embedded("-p", str(parallelism), "-s", str(V1), "-n", str(JOB), "resume", seed="12345")
    assert proc.returncode == 0, proc.stderr
    counts, timers = counts_and_timers(proc.stdout)
    assert counts == {w: n + 1 for w, n in expected.items()}
    assert timers == {w: 1000 + int(w.split("-")[1]) for w in WORDS}  # restored timers fire at end of input


def test_embedded_run_restores_a_clusters_savepoint_with_every_key(stream_cluster, tmp_path):  # noqa: F811
    cluster = stream_cluster
    submitted = cluster.pyflink("run", "-d", "-p", "2", str(JOB), "run")
    assert submitted.returncode == 0, submitted.stderr
    job_id = re.search(r"[0-9a-f]{32}", submitted.stdout).group(0)
    try:
        wait_until(lambda: len(counts_and_timers(cluster.pyflink("logs", job_id).stdout)[0]) == len(WORDS),
                   timeout=60, message="every word counted on the cluster")
    finally:
        stopped = cluster.pyflink("stop", "--savepoint-path", str(tmp_path / "sp"), job_id, timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    before, _ = counts_and_timers(cluster.pyflink("logs", job_id).stdout)
    savepoint = re.search(r"Path: (\S+)", stopped.stdout).group(1)
    proc = embedded("-p", "2", "-s", savepoint, "-n", str(JOB), "resume", seed="12345")
    assert proc.returncode == 0, proc.stderr
    counts, timers = counts_and_timers(proc.stdout)
    assert counts == {w: n + 1 for w, n in before.items()}
    assert sorted(timers) == sorted(WORDS)


def test_routing_gives_each_key_its_groups_subtask_with_and_without_the_memo():
    """The producer memoises key -> channel; with more distinct keys than the memo holds it
    computes the channels directly (after two clears) and tries the memo again later: every
    record goes to the subtask that owns its key group either way."""
    from runtime.state.key_groups import KeyChannelCache, assign_to_key_group, operator_index_for_key_group

    cache = KeyChannelCache(128, 3, limit=100)
    cache.RETRY_BATCHES = 5
    keys = [f"k{i}" for i in range(1000)] + list(range(700)) + [("t", i, None) for i in range(300)] + [b"b"] * 50
    modes = []
    for start in range(0, len(keys), 50):
        batch = keys[start:start + 50]
        direct = cache.clears >= 2
        modes.append(direct)
        assert list(cache.channels(batch)) == [operator_index_for_key_group(128, 3, assign_to_key_group(k, 128))
                                               for k in batch]
    assert True in modes and modes.index(True) > 0  # direct only after the memo overflowed twice
    assert False in modes[modes.index(True):]  # and the memo was tried again


@pytest.mark.parametrize("rehash", [False, True])
def test_grouped_snapshot_layout_restores_the_keys_this_subtask_owns(rehash):
    """Checkpoints taken before the flat layout hold each table grouped by key group: a
    restore keeps the groups it owns, or (written under the previous key hash) each key whose
    group is its own now."""
    from runtime.state.heap_keyed_state_backend import HeapKeyedStateBackend
    from runtime.state.key_groups import assign_to_key_group, key_group_range

    mine = key_group_range(128, 2, 1)
    keys = [f"k{i}" for i in range(200)]
    # as written: grouped by the current hash (not rehash) or by some other function (rehash)
    written_group = {k: (assign_to_key_group(k, 128) if not rehash else (i * 37) % 128) for i, k in enumerate(keys)}
    groups: dict[int, dict] = {}
    for k in keys:
        groups.setdefault(written_group[k], {})[k] = len(k)
    backend = HeapKeyedStateBackend(128, mine)
    backend.restore_namespace("op", {"count": ("value", groups)}, rehash)
    restored = backend.tables["op/count"]
    owned = written_group if not rehash else {k: assign_to_key_group(k, 128) for k in keys}
    assert restored == {k: len(k) for k in keys if owned[k] in mine}
    assert 0 < len(restored) < len(keys)
