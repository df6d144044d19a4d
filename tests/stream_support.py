"""Running the jobs of ``stream_jobs.py`` embedded and on a real cluster, and reading results.

* ``run_embedded(params, p)``: builds the pipelines in this process and collects them with
  ``execute_and_collect()`` on the embedded mini cluster.
* ``run_cluster(cluster, params, p, tmp)``: ``pyflink run -p p stream_jobs.py PARAMS.json``
  against a started cluster; stdout lines (``N> `` prefixes stripped, the client's status
  lines skipped) are parsed as JSON.

Both return ``{pipeline_name: [record, ...]}`` with records as JSON values (lists, not
tuples), in the order they were printed or collected.

``stream_cluster`` is one started 2-TaskManager x 2-slot cluster shared by every module that
imports it (started on first use, stopped at the end of the session; only its own processes
are killed if any outlive the stop).
"""
from __future__ import annotations

import itertools
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import ClusterEnv, free_port, wait_until

HERE = Path(__file__).resolve().parent
JOB_FILE = HERE / "stream_jobs.py"
PREFIX = re.compile(r"^\d+> ")
CLIENT_LINES = ("Job has been submitted", "Job with JobID", "Job Runtime")
PARALLELISMS = (1, 2)

_counter = itertools.count()
_shared: dict = {}


def _stop(env: ClusterEnv) -> None:
    try:
        env.pyflink("cluster", "stop")
        wait_until(lambda: not env.processes(), 15, message="stream test cluster to exit")
    except Exception as exc:  # noqa: BLE001 - report, then make sure nothing of ours survives
        print(f"stream_cluster: unclean stop: {exc}", file=sys.stderr)
    finally:
        env.kill_all()


@pytest.fixture(scope="module")
def stream_cluster(request, tmp_path_factory) -> ClusterEnv:
    env = _shared.get("cluster")
    if env is None:
        env = ClusterEnv(tmp_path_factory.mktemp("stream-cluster"), free_port(), free_port())
        env.write_conf(taskmanager__numberOfTaskSlots=2)
        env.pyflink("cluster", "start", check=True)
        _shared["cluster"] = env
        request.config.add_cleanup(lambda: _stop(env))
    return env


class Files:
    """Fresh signal/exit file paths for one run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, name: str) -> str:
        return str(self.directory / f"{name}-{next(_counter)}.txt")

    @staticmethod
    def lines(path: str) -> list[str]:
        p = Path(path)
        return p.read_text().splitlines() if p.exists() else []


def group(records: list) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for name, record in records:
        out[name].append(record)
    return dict(out)


def run_embedded(params: dict, parallelism: int, interval_ms: int | None = None) -> dict[str, list]:
    import stream_jobs

    from runtime.common import Configuration
    from runtime.datastream import StreamExecutionEnvironment

    conf = Configuration()
    if interval_ms is not None:
        conf.set_string("pipeline.auto-watermark-interval", f"{interval_ms} ms")
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(parallelism)
    lines = list(stream_jobs.build(env, params).execute_and_collect())
    return group([json.loads(line) for line in lines])


def parse_stdout(stdout: str, parallelism: int) -> list:
    out = []
    for line in stdout.splitlines():
        if not line.strip() or line.startswith(CLIENT_LINES):
            continue
        if parallelism > 1:
            assert PREFIX.match(line), f"printed line without a subtask prefix at p={parallelism}: {line!r}"
        out.append(json.loads(PREFIX.sub("", line, count=1)))
    return out


def run_cluster(cluster: ClusterEnv, params: dict, parallelism: int, tmp: Path,
                dynamic: tuple[str, ...] = (), timeout: float = 90) -> dict[str, list]:
    pfile = tmp / f"params-{next(_counter)}.json"
    pfile.write_text(json.dumps(params))
    args = ["run", "-p", str(parallelism)]
    for d in dynamic:
        args += ["-D", d]
    proc = cluster.pyflink(*args, str(JOB_FILE), str(pfile), timeout=timeout)
    assert proc.returncode == 0 and "has finished with state FINISHED" in proc.stdout, \
        f"cluster run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return group(parse_stdout(proc.stdout, parallelism))


def run(mode: str, params: dict, parallelism: int, tmp: Path, cluster: ClusterEnv | None = None,
        interval_ms: int | None = None) -> dict[str, list]:
    if mode == "embedded":
        return run_embedded(params, parallelism, interval_ms)
    dynamic = (f"pipeline.auto-watermark-interval={interval_ms} ms",) if interval_ms is not None else ()
    return run_cluster(cluster, params, parallelism, tmp, dynamic)


def per_key(records: list, key_index: int = 1, value=lambda r: r) -> dict:
    """Records grouped by their key field, keeping their order."""
    out: dict = defaultdict(list)
    for r in records:
        out[r[key_index]].append(value(r))
    return dict(out)


def jsonable(value):
    """Expected values in the shape the job's JSON output has (tuples become lists)."""
    return json.loads(json.dumps(value))
