"""Security of the control plane over the real RPC port of a running cluster (issue 10):
peers without the cluster's keys get no answer and cause no effect; a TaskManager with a
foreign key cannot register; a TaskManager's connection cannot be taken over; each key
calls only what its role may; fencing tokens are random per JobManager start; secrets do
not show in /jobmanager/config, logs, command lines or environments.

One cluster (CURVE on, the default) serves the module; the JobManager-restart test runs
last and leaves it running with a new JobManager.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import zmq
from conftest import EXAMPLES, ClusterEnv, started_cluster, wait_until
from helpers_cli import describe, read_logs, status_json, submitted_job_id, wait_idle, wait_job_state

from runtime.blob.blob_server import BlobServer
from runtime.dispatcher.dispatcher import Dispatcher
from runtime.highavailability.leader_election import DEFAULT_LEADER_ID, LeaderRetrievalEndpoint
from runtime.jobmaster.job_master import JobMaster
from runtime.resourcemanager.resource_manager import ResourceManager
from runtime.rpc import codec
from runtime.rpc.errors import FencingTokenError, RpcError
from runtime.security.internal_keys import ensure_keys, load_keys, new_key_pair

REST_TOKEN = "rest-token-" + uuid.uuid4().hex
KEY_PASSWORD = "key-password-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with started_cluster(tmp_path_factory.mktemp("secure"), "-D", f"security.rest.token={REST_TOKEN}",
                         "-D", f"security.ssl.rest.key-password={KEY_PASSWORD}") as env:
        yield env


def _rpc_methods() -> list[tuple[str, str]]:
    """(endpoint name, method) of every @rpc method the JobManager serves."""
    targets = {Dispatcher: "dispatcher", ResourceManager: "resourcemanager", BlobServer: "blobserver",
               LeaderRetrievalEndpoint: "leaderretrieval", JobMaster: "jobmaster-" + "ab" * 16}
    out = []
    for cls, target in targets.items():
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if getattr(fn, "__rpc__", False):
                out.append((target, name))
    assert ("dispatcher", "shutdown_cluster") in out and ("resourcemanager", "register_task_executor") in out
    return out


def _dealer(env: ClusterEnv, ctx: zmq.Context, curve: tuple[bytes, bytes, bytes] | None) -> zmq.Socket:
    """A DEALER to the JobManager: plain (curve None) or CURVE with (public, secret, server key)."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if curve is not None:
        sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = curve
    sock.connect(f"tcp://127.0.0.1:{env.rpc_port}")
    return sock


def _jm_log(env: ClusterEnv) -> str:
    return "\n".join(p.read_text(errors="replace") for p in (env.root / "log").glob("pyflink-jobmanager-*.log"))


def test_a_peer_without_the_keys_gets_no_answer_and_no_effect(cluster: ClusterEnv) -> None:
    env = cluster
    before = status_json(env)
    # the cluster's own CLI (cluster start, status: each first checks that the port answers,
    # with a plain TCP connection) is not a refused peer
    assert "failed the CURVE handshake" not in _jm_log(env), _jm_log(env)[-2000:]
    jm_public = (env.keys_dir / "jobmanager.key").read_text()
    server_key = re.search(r'public-key = "(.{40})"', jm_public).group(1).encode()  # type: ignore[union-attr]
    stranger = new_key_pair()
    client_pair = load_keys(env.keys_dir, "client").own
    wrong_server = new_key_pair().public
    ctx = zmq.Context()
    peers = {
        "no CURVE at all": [_dealer(env, ctx, None)],
        # the same unknown key from three sockets: refused, logged once
        "an unknown key": [_dealer(env, ctx, (stranger.public, stranger.secret, server_key)) for _ in range(3)],
        "the client key, another server key": [_dealer(env, ctx, (client_pair.public, client_pair.secret,
                                                                    wrong_server))],
    }
    methods = _rpc_methods()
    try:
        for socks in peers.values():
            for sock in socks:
                for i, (target, method) in enumerate(methods):
                    sock.send(codec.call_message(i + 1, target, method, (), {}, None))
        deadline = time.monotonic() + 1.5
        for what, socks in peers.items():
            for sock in socks:
                answered = sock.poll(max(1, int((deadline - time.monotonic()) * 1000)))
                assert not answered, f"a peer with {what} got an answer"
    finally:
        for socks in peers.values():
            for sock in socks:
                sock.close(0)
        ctx.term()
    # no effect: shutdown_cluster, register_task_executor, submit_job... did nothing
    after = status_json(env)
    assert after["taskmanagers"] == before["taskmanagers"] == 2 and after["jobs-running"] == 0
    log = wait_until(lambda: (lambda text: text if "an unknown key" in text else None)(_jm_log(env)), 5,
                     message="the refusal line in the JobManager log")
    assert log.count("refused a connection from 127.0.0.1 to pyflink-rpc: an unknown key") == 1, log[-3000:]
    assert "failed the CURVE handshake" in log


def test_each_key_calls_only_what_its_role_may(cluster: ClusterEnv) -> None:
    env = cluster
    with env.rpc_client("taskmanager") as tm, env.rpc_client("client") as cli:
        token = cli.call("leaderretrieval", "get_leader_session_id", "dispatcher")
        rm_token = tm.call("leaderretrieval", "get_leader_session_id", "resourcemanager")
        assert token and rm_token and token != rm_token
        for method in ("shutdown_cluster", "list_jobs", "cancel_job"):
            with pytest.raises(RpcError) as err:
                tm.call("dispatcher", method, token=token)
            assert err.value.error_type == "AccessDenied", (method, err.value)
        with pytest.raises(RpcError) as err:
            cli.call("resourcemanager", "register_task_executor", {}, token=rm_token)
        assert err.value.error_type == "AccessDenied"
        with pytest.raises(RpcError) as err:  # only the JobManager's own JobMasters may declare requirements
            tm.call("resourcemanager", "declare_resource_requirements", "ab" * 16, {}, 1, token=rm_token)
        assert err.value.error_type == "AccessDenied"
        assert cli.call("dispatcher", "list_jobs", token=token) is not None
    assert status_json(env)["taskmanagers"] == 2


def test_fencing_tokens_are_random_and_stale_ones_refused(cluster: ClusterEnv) -> None:
    with cluster.rpc_client() as cli:
        token = cli.call("leaderretrieval", "get_leader_session_id", "dispatcher")
        assert uuid.UUID(token) and token != DEFAULT_LEADER_ID
        for stale in (DEFAULT_LEADER_ID, str(uuid.uuid4()), None):
            with pytest.raises(FencingTokenError):
                cli.call("dispatcher", "list_jobs", token=stale)


def test_a_taskmanager_with_a_foreign_key_cannot_register(cluster: ClusterEnv, tmp_path: Path) -> None:
    env = cluster
    foreign = tmp_path / "foreign-keys"
    ensure_keys(foreign)
    # the right JobManager public key, but a TaskManager key pair the cluster never issued
    (foreign / "jobmanager.key").write_bytes((env.keys_dir / "jobmanager.key").read_bytes())
    proc = env.pyflink("taskmanager", "start", "-D", f"security.internal.keys-dir={foreign}")
    assert proc.returncode == 1 and "refused the CURVE key of this TaskManager" in proc.stderr, describe(proc)
    assert not list((env.root / "log").glob("*manual*.out")), "refused before a TaskManager was started"
    assert status_json(env)["taskmanagers"] == 2
    assert "refused a connection from 127.0.0.1 to pyflink-rpc: an unknown key" in _jm_log(env)
    # and one without any keys does not even start
    empty = tmp_path / "no-keys"
    empty.mkdir(mode=0o700)
    proc = env.pyflink("taskmanager", "start", "-D", f"security.internal.keys-dir={empty}")
    assert proc.returncode == 1 and "no taskmanager key" in proc.stderr, describe(proc)
    assert "Traceback" not in proc.stderr
    assert status_json(env)["taskmanagers"] == 2


def test_a_taskmanager_connection_cannot_be_taken_over(cluster: ClusterEnv, tmp_path: Path) -> None:
    env = cluster
    tms = status_json(env)
    with env.rpc_client() as cli:
        token = cli.call("leaderretrieval", "get_leader_session_id", "dispatcher")
        victims = [str(tm["id"]) for tm in cli.call("dispatcher", "list_task_managers", token=token)]
    assert len(victims) == 2
    ctx = zmq.Context()
    impostors = []
    try:
        keys = load_keys(env.keys_dir, "taskmanager")
        for victim in victims:  # the resource id is public (REST /taskmanagers): connect under it
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.IDENTITY, victim.encode())
            sock.curve_publickey, sock.curve_secretkey = keys.own.public, keys.own.secret
            sock.curve_serverkey = keys.jobmanager_public
            sock.connect(f"tcp://127.0.0.1:{env.rpc_port}")
            impostors.append(sock)
        with env.rpc_client("taskmanager") as tm:
            rm_token = tm.call("leaderretrieval", "get_leader_session_id", "resourcemanager")
            for victim in victims:  # a TaskManager key speaks only for its own registration
                with pytest.raises(RpcError) as err:
                    tm.call("resourcemanager", "disconnect_task_manager", victim, "impostor", token=rm_token)
                assert "registered over another connection" in str(err.value)
        for sock, victim in zip(impostors, victims):
            sock.send(codec.call_message(1, "resourcemanager", "disconnect_task_manager", (victim, "x"), {}, rm_token))
        # both TaskManagers keep their connections: a p=2 job runs on them
        proc = env.pyflink("run", "-p", "2", str(EXAMPLES / "word_count.py"))
        assert proc.returncode == 0 and "FINISHED" in proc.stdout, describe(proc) + read_logs(env)
    finally:
        for sock in impostors:
            sock.close(0)
        ctx.term()
    assert status_json(env)["taskmanagers"] == tms["taskmanagers"] == 2


def test_secrets_stay_secret(cluster: ClusterEnv) -> None:
    env = cluster
    info = json.loads((env.root / "pid" / "pyflink-jobmanager.pid").read_text())
    request = urllib.request.Request(f"http://127.0.0.1:{info['rest_port']}/jobmanager/config",
                                     headers={"Authorization": f"Bearer {REST_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        config = {e["key"]: e["value"] for e in json.loads(resp.read())}
    assert config["security.rest.token"] == "******" and config["security.ssl.rest.key-password"] == "******"
    assert config["jobmanager.rpc.port"] == str(env.rpc_port)
    logs = "\n".join(p.read_text(errors="replace") for p in (env.root / "log").glob("*"))
    assert "Loading configuration property: security.rest.token, ******" in logs
    procs = env.processes()
    assert len(procs) == 3
    for p in procs:
        cmdline = " ".join(p.cmdline())
        environ = " ".join(f"{k}={v}" for k, v in p.environ().items())
        for secret in (REST_TOKEN, KEY_PASSWORD):
            assert secret not in cmdline and secret not in environ, cmdline
    for secret in (REST_TOKEN, KEY_PASSWORD):
        assert secret not in logs
    # a wrong value of a secret key is reported without the value
    proc = env.pyflink("list", "-D", "security.rest.token=")
    assert proc.returncode == 0, describe(proc)


def test_the_keys_directory_must_be_private(cluster: ClusterEnv, tmp_path: Path) -> None:
    keys = tmp_path / "shared-keys"
    ensure_keys(keys)
    os.chmod(keys, 0o755)
    proc = cluster.pyflink("list", "-D", f"security.internal.keys-dir={keys}")
    assert proc.returncode == 1 and f"run `chmod 700 {keys}`" in proc.stderr, describe(proc)
    os.chmod(keys, 0o700)
    os.chmod(keys / "client.key_secret", 0o644)
    proc = cluster.pyflink("list", "-D", f"security.internal.keys-dir={keys}")
    assert proc.returncode == 1 and "chmod 600" in proc.stderr, describe(proc)
    os.chmod(keys / "client.key_secret", 0o600)
    # another cluster's keys: refused at once with what to do, not after a timeout
    start = time.monotonic()
    proc = cluster.pyflink("list", "-D", f"security.internal.keys-dir={keys}")
    assert proc.returncode == 1 and "secure handshake" in proc.stderr, describe(proc)
    assert time.monotonic() - start < 5


def test_a_restarted_jobmanager_refuses_the_previous_session_id(cluster: ClusterEnv) -> None:
    """Runs last: replaces the module's JobManager."""
    env = cluster
    wait_idle(env)
    with env.rpc_client() as cli:
        old = cli.call("leaderretrieval", "get_leader_session_id", "dispatcher")
    assert env.pyflink("jobmanager", "stop").returncode == 0
    wait_until(lambda: not [p for p in env.processes() if "cluster_entrypoint" in " ".join(p.cmdline())], 15)
    env.pyflink("cluster", "start", check=True)
    with env.rpc_client() as cli:
        new = cli.call("leaderretrieval", "get_leader_session_id", "dispatcher")
        assert new != old
        with pytest.raises(FencingTokenError):
            cli.call("dispatcher", "list_jobs", token=old)
    proc = env.pyflink("run", "-d", str(EXAMPLES / "word_count.py"))
    assert proc.returncode == 0, describe(proc)
    wait_job_state(env, submitted_job_id(proc), "FINISHED")


def test_curve_off_on_a_public_address_warns_at_start(cluster_env: ClusterEnv) -> None:
    env = cluster_env
    proc = env.pyflink("jobmanager", "start", "-D", "security.internal.enabled=false",
                       "-D", "jobmanager.bind-host=0.0.0.0")
    try:
        assert proc.returncode == 0, describe(proc)
        out = "".join(p.read_text(errors="replace") for p in (env.root / "log").glob("pyflink-jobmanager-*.out"))
        assert "warning: security.internal.enabled is false and the RPC socket binds to 0.0.0.0" in out, out
        # and without CURVE a plain client is answered (what "off" means)
        listed = env.pyflink("list", "-D", "security.internal.enabled=false")
        assert listed.returncode == 0, describe(listed)
    finally:
        env.pyflink("jobmanager", "stop")
        wait_until(lambda: not env.processes(), 15, message="the JobManager to exit")


def test_a_job_larger_than_the_message_limit_is_one_clear_error(cluster: ClusterEnv, tmp_path: Path) -> None:
    extra = tmp_path / "blob"
    extra.mkdir()
    (extra / "data.py").write_text("DATA = %r\n" % os.urandom(150_000).hex())  # ~300 KB, incompressible
    start = time.monotonic()
    proc = cluster.pyflink("run", "-D", "security.internal.max-message-size=128kb", "--pyfiles", str(extra),
                           str(EXAMPLES / "word_count.py"))
    assert proc.returncode == 1, describe(proc)
    assert "security.internal.max-message-size" in proc.stderr and "Traceback" not in proc.stderr, describe(proc)
    assert time.monotonic() - start < 10
