"""The control plane refuses malformed messages at the door (issue 8): a job graph that does not
decode into a valid JobGraph is refused at submission with the offending field, and nothing of
it is persisted (so no restart can replay it). Sent over the JobManager's real RPC port, as any
peer could."""
from __future__ import annotations

import copy

import pytest
from conftest import ClusterEnv, write_job
from helpers_cli import describe, submitted_job_id, wait_job_state

from runtime.rpc.errors import RpcError

VALID_VERTEX = {"id": 1, "name": "Source: x", "operators": ["Source: x"], "operator_ids": [1], "parallelism": 1,
                "max_parallelism": 128, "slot_sharing_group": "default", "is_source": True, "chain": b"\x80blob",
                "operator_uids": ["1-x"]}
VALID_GRAPH = {"job_id": "ab" * 16, "name": "hostile", "vertices": [VALID_VERTEX], "edges": [], "config": {},
               "bounded": True, "plan_json": "{}", "job_parameters": {}}


def _with(path: str, value: object) -> dict:
    graph = copy.deepcopy(VALID_GRAPH)
    target: object = graph
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]  # type: ignore[index]
    if value is _DELETE:
        del target[parts[-1]]  # type: ignore[attr-defined]
    elif isinstance(target, list):
        target[int(parts[-1])] = value
    else:
        target[parts[-1]] = value  # type: ignore[index]
    return graph


_DELETE = object()
CASES = [
    ("vertices.0.parallelism", "2", "vertices[0].parallelism: expected int"),
    ("vertices.0.parallelism", 1000, "vertices[0].parallelism: 1000 is not in 1..128"),
    ("vertices.0.max_parallelism", 10 ** 6, "vertices[0].max_parallelism"),
    ("job_id", "../../etc/passwd", "job_graph.job_id: malformed JobID"),
    ("vertices", [], "vertices: the job graph has no vertices"),
    ("edges", [{"id": 0, "source": 1, "target": 9, "ship_strategy": "FORWARD"}], "edges[0].target: no vertex 9"),
    ("edges", [{"id": 0, "source": 1, "target": 1, "ship_strategy": "TELEPORT"}], "edges[0].ship_strategy"),
    ("name", _DELETE, "job_graph.name: missing"),
    ("surprise", 1, "unknown field(s) surprise"),
    ("config", {"k": 1}, "config['k']: expected str"),
]


def test_malformed_job_graphs_are_refused_and_not_persisted_and_a_good_job_still_runs(
        running_cluster: ClusterEnv, tmp_path):
    env = running_cluster
    with env.rpc_client() as client:  # the CLI's key: allowed to submit
        token = client.call("leaderretrieval", "get_leader_session_id", "dispatcher")
        for path, value, message in CASES:
            with pytest.raises(RpcError) as err:
                client.call("dispatcher", "submit_job", _with(path, value), None, token=token)
            assert err.value.error_type in ("MessageError", "ValueError"), (path, err.value.error_type)
            assert message in str(err.value), (path, str(err.value))
        # the JobManager is unharmed and nothing was persisted
        assert client.call("dispatcher", "list_jobs", token=token) == []
    graphs = env.root / "ha" / "jobgraphs"
    assert not graphs.exists() or not list(graphs.iterdir())
    job = write_job(tmp_path, "ok.py", '''\
from runtime.datastream import StreamExecutionEnvironment
env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection([1, 2, 3]).map(lambda x: x + 1).print()
env.execute("ok")
''')
    proc = env.pyflink("run", "-d", str(job))
    assert proc.returncode == 0, describe(proc)
    wait_job_state(env, submitted_job_id(proc), "FINISHED")
