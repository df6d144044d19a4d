"""An attached `pyflink run` receives every line a job prints on the TaskManagers, also when
the job prints far more (here ~14 MB) than arrives in one poll."""
from __future__ import annotations

import re

from conftest import write_job

JOB = '''
import sys
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.connectors.number_seq import NumberSequenceSource

n = int(sys.argv[1])
env = StreamExecutionEnvironment.get_execution_environment()
env.from_source(NumberSequenceSource(1, n), None, "seq").map(lambda x: f"line {x}").print()
env.execute("print many")
'''


def test_every_printed_line_reaches_the_attached_client(running_cluster, tmp_path):
    n = 1_000_000
    job = write_job(tmp_path, "print_many.py", JOB)
    proc = running_cluster.pyflink("run", "-p", "2", str(job), str(n), timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    numbers = [int(m.group(1)) for m in re.finditer(r"^[12]> line (\d+)$", proc.stdout, re.M)]
    assert len(numbers) == n
    assert set(numbers) == set(range(1, n + 1))
    assert "dropped" not in proc.stdout
