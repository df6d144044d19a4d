"""What user code prints on a TaskManager reaches the client as embedded (issue 8):
``sys.stdout.buffer`` works in tasks, a string with lone surrogates arrives escaped instead of
being lost, and TaskManagers leave no temporary directories behind."""
from __future__ import annotations

import glob
import os
import tempfile

from conftest import ClusterEnv, write_job
from helpers_cli import describe, pid_file_entries

JOB = '''\
import sys
from runtime.datastream import StreamExecutionEnvironment

def show(x):
    sys.stdout.buffer.write(f"bytes {x} \\u00e9\\n".encode("utf-8"))
    sys.stdout.buffer.flush()
    print(f"text {x} \\udc80 end")
    return x

env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection([1, 2, 3]).map(show).filter(lambda x: False).print()
env.execute("printing")
'''


def test_stdout_buffer_and_lone_surrogates_reach_the_client(running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    job = write_job(tmp_path, "printing.py", JOB)
    tm_pids = [pid for _, pid in pid_file_entries(env, "pyflink-taskmanager-*.pid")]
    proc = env.pyflink("run", str(job), timeout=60)
    assert proc.returncode == 0, describe(proc)
    lines = proc.stdout.splitlines()
    for x in (1, 2, 3):
        assert f"bytes {x} \u00e9" in lines, describe(proc)
        assert f"text {x} \\udc80 end" in lines, describe(proc)   # escaped, not dropped
    assert "FINISHED" in proc.stdout
    stop = env.pyflink("cluster", "stop")
    assert stop.returncode == 0, describe(stop)
    # TaskManagers remove their temporary directories (work dir, unpacked job archives) on exit
    leftovers = [d for pid in tm_pids for d in glob.glob(os.path.join(tempfile.gettempdir(), f"pyflink-tm-*-{pid}-*"))]
    assert not leftovers, leftovers
