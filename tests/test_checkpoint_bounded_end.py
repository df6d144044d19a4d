"""A bounded, checkpointed job ends cleanly: a checkpoint triggered just as a source finishes
(the trigger finds the task gone) is dropped, not counted as a failed checkpoint that fails
the job over (which made the job restart at its very end and print its output twice)."""
from __future__ import annotations

import re
from collections import Counter

from conftest import ClusterEnv, write_job
from helpers_cli import describe, read_logs, submitted_job_id

N = 1_000_000
KEYS = 100

# Every key's rolling count, printed only when it reaches its final value N/KEYS.
JOB = '''\
import sys
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.connectors.number_seq import NumberSequenceSource


def main():
    n, keys = int(sys.argv[1]), int(sys.argv[2])
    env = StreamExecutionEnvironment.get_execution_environment()
    (env.from_source(NumberSequenceSource(1, n), None, "seq")
        .map(lambda x: (x % keys, 1))
        .key_by(lambda t: t[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
        .filter(lambda t: t[1] == n // keys)
        .print())
    env.execute("bounded-checkpointed")


if __name__ == "__main__":
    main()
'''
LINE = re.compile(r"^(?:\d+> )?\((\d+),\s*(\d+)\)$")


def test_bounded_job_with_frequent_checkpoints_finishes_without_restart(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    job = write_job(tmp_path, "bounded.py", JOB)
    expected = Counter({(k, N // KEYS): 1 for k in range(KEYS)})
    for run in range(3):  # the race is at the end of each run; a few runs make it likely
        proc = env.pyflink("run", "-p", "2", "-D", "execution.checkpointing.interval=50",
                           "-D", f"execution.checkpointing.dir={tmp_path / 'chk'}", str(job), str(N), str(KEYS),
                           timeout=60)
        assert proc.returncode == 0, describe(proc) + read_logs(env)
        jid = submitted_job_id(proc)
        got = Counter((int(m.group(1)), int(m.group(2)))
                      for m in map(LINE.match, proc.stdout.splitlines()) if m)
        assert got == expected, f"run {run}: {sum(got.values())} lines, {len(got)} distinct\n" + read_logs(env)
        log = "".join(p.read_text() for p in (env.root / "log").glob("pyflink-jobmanager-*.log"))
        assert f"job {jid} (bounded-checkpointed) switched to RESTARTING" not in log, read_logs(env)
        assert re.search(rf"completed checkpoint \d+ of job {jid}", log), "no checkpoint was taken"
