"""Several hosts (issue 10): three network namespaces on one bridge stand for three hosts.
The JobManager (with one forked TaskManager) runs in the first, and `pyflink taskmanager
start --jobmanager ADDR` adds one TaskManager in each of the others, each with its own
configuration, pid and log directories and its own copy of the cluster's keys, as an
operator would set up other hosts. A p=3 keyed job then runs across the three "hosts"
over CURVE; a TaskManager without the keys, or with keys of its own, cannot join.

Exercised options: jobmanager.rpc.address / jobmanager.bind-host, rest.address /
rest.bind-address, taskmanager.host / taskmanager.bind-host, and a port range for
taskmanager.data.port.

The addresses (10.213.0.0/24) exist only inside these namespaces, which the test creates
and deletes; it is skipped, saying why, where namespaces cannot be created (needs root).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import EXAMPLES, free_port, our_processes, wait_until
from helpers_cli import assert_word_counts, describe

from runtime.security.internal_keys import ensure_keys

SUBNET = "10.213.0"
DATA_PORTS = "50100-50200"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


class Hosts:
    """Namespaces ``<tag>-jm``, ``<tag>-tm1``, ``<tag>-tm2`` on a bridge in the first."""

    def __init__(self) -> None:
        self.tag = "pf" + uuid.uuid4().hex[:6]
        self.names = [f"{self.tag}-jm", f"{self.tag}-tm1", f"{self.tag}-tm2"]
        self.addresses = {name: f"{SUBNET}.{i + 1}" for i, name in enumerate(self.names)}

    def create(self) -> None:
        jm = self.names[0]
        for name in self.names:
            _ip("netns", "add", name)
            _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", jm, "link", "add", "br0", "type", "bridge")
        _ip("-n", jm, "addr", "add", f"{self.addresses[jm]}/24", "dev", "br0")
        _ip("-n", jm, "link", "set", "br0", "up")
        for i, name in enumerate(self.names[1:], 1):
            outer, inner = f"{self.tag}v{i}a", f"{self.tag}v{i}b"
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", outer, "netns", jm)
            _ip("link", "set", inner, "netns", name)
            _ip("-n", jm, "link", "set", outer, "master", "br0")
            _ip("-n", jm, "link", "set", outer, "up")
            _ip("-n", name, "addr", "add", f"{self.addresses[name]}/24", "dev", inner)
            _ip("-n", name, "link", "set", inner, "up")

    def delete(self) -> None:
        for name in self.names:
            _ip("netns", "del", name, check=False)


@pytest.fixture
def hosts():
    if shutil.which("ip") is None:
        pytest.skip("needs the `ip` tool (iproute2) to build network namespaces")
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root")
    probe = _ip("netns", "add", f"pfprobe-{uuid.uuid4().hex[:6]}", check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot create network namespaces here: {probe.stderr.strip()}")
    _ip("netns", "del", probe.args[3], check=False)
    h = Hosts()
    try:
        h.create()
        yield h
    finally:
        h.delete()
    left = [n for n in _ip("netns", "list").stdout.split() if n.startswith(h.tag)]
    assert not left, f"namespaces left behind: {left}"


def _conf(root: Path, name: str, **values: object) -> Path:
    conf = root / name / "conf"
    conf.mkdir(parents=True)
    base = {"env.log.dir": str(root / name / "log"), "env.pid.dir": str(root / name / "pid"),
            "high-availability.storageDir": str(root / name / "ha"),
            "security.internal.keys-dir": str(root / name / "keys"),
            "heartbeat.interval": 300, "heartbeat.timeout": 3000, "slot.request.timeout": 10000,
            "cluster.registration.max-timeout": 500, "taskmanager.numberOfTaskSlots": 1,
            "taskmanager.bind-host": "0.0.0.0", "taskmanager.data.port": DATA_PORTS}
    base.update(values)
    (conf / "flink-conf.toml").write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in base.items()))
    return conf


def _pyflink(ns: str, conf: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = ["ip", "netns", "exec", ns, sys.executable, "-m", "pyflink_cli", *args, "--conf-dir", str(conf)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1"), cwd=conf.parent)


TASKMANAGERS = """
import json, sys
from runtime.rpc.client import SyncGateway, SyncRpcClient
from runtime.security.internal_keys import load_keys
from runtime.security.socket_security import SocketSecurity
client = SyncRpcClient(sys.argv[1], 5.0, security=SocketSecurity(load_keys(sys.argv[2], "client")))
token = client.call("leaderretrieval", "get_leader_session_id", "dispatcher")
print(json.dumps(client.call("dispatcher", "list_task_managers", token=token)))
"""


def test_a_keyed_job_across_three_hosts_with_curve(hosts: Hosts, tmp_path: Path) -> None:
    jm_ns, tm1_ns, tm2_ns = hosts.names
    jm_ip = hosts.addresses[jm_ns]
    rpc_port, rest_port = free_port(), free_port()
    jm_conf = _conf(tmp_path, "jm", **{"jobmanager.rpc.address": jm_ip, "jobmanager.rpc.port": rpc_port,
                                       "jobmanager.bind-host": "0.0.0.0", "rest.address": jm_ip,
                                       "rest.bind-address": "0.0.0.0", "rest.port": rest_port,
                                       "taskmanager.host": jm_ip, "taskmanager.count": 1})
    try:
        proc = _pyflink(jm_ns, jm_conf, "cluster", "start")
        assert proc.returncode == 0, describe(proc)
        assert f"Dashboard: http://{jm_ip}:" in proc.stdout
        jm_keys = tmp_path / "jm" / "keys"
        for name in (tm1_ns, tm2_ns):  # "copy the keys directory to the other host"
            conf = _conf(tmp_path, name, **{"taskmanager.host": hosts.addresses[name]})
            shutil.copytree(jm_keys, tmp_path / name / "keys")
            proc = _pyflink(name, conf, "taskmanager", "start", "--jobmanager", f"{jm_ip}:{rpc_port}")
            assert proc.returncode == 0, describe(proc)

        def registered() -> list[dict] | None:
            out = subprocess.run(["ip", "netns", "exec", jm_ns, sys.executable, "-c", TASKMANAGERS,
                                  f"tcp://{jm_ip}:{rpc_port}", str(jm_keys)], capture_output=True, text=True)
            tms = json.loads(out.stdout) if out.returncode == 0 else []
            return tms if len(tms) == 3 else None
        tms = wait_until(registered, 20, interval=0.2, message="three TaskManagers on three hosts")
        ips = {tm["path"].split("//")[1].rsplit(":", 1)[0] for tm in tms}
        assert ips == set(hosts.addresses.values()), tms
        assert all(50100 <= tm["data_port"] <= 50200 for tm in tms), tms

        proc = _pyflink(tm1_ns, tmp_path / tm1_ns / "conf", "run", "-p", "3", "-D", f"jobmanager.rpc.address={jm_ip}",
                        "-D", f"jobmanager.rpc.port={rpc_port}", str(EXAMPLES / "word_count.py"), timeout=120)
        assert proc.returncode == 0 and "FINISHED" in proc.stdout, describe(proc)
        lines = assert_word_counts(proc.stdout, prefixed=True)
        assert {subtask for subtask, _, _ in lines} == {"1", "2", "3"}

        # a TaskManager without the keys does not start; one with keys of its own is refused
        bare = _conf(tmp_path, "bare", **{"taskmanager.host": hosts.addresses[tm2_ns],
                                          "security.internal.keys-dir": str(tmp_path / "bare" / "nokeys")})
        proc = _pyflink(tm2_ns, bare, "taskmanager", "start", "--jobmanager", f"{jm_ip}:{rpc_port}")
        assert proc.returncode == 1 and "keys directory" in proc.stderr, describe(proc)
        rogue = _conf(tmp_path, "rogue", **{"taskmanager.host": hosts.addresses[tm2_ns]})
        ensure_keys(tmp_path / "rogue" / "keys")  # a cluster of its own: other JobManager key, other TaskManager key
        proc = _pyflink(tm2_ns, rogue, "taskmanager", "start", "--jobmanager", f"{jm_ip}:{rpc_port}")
        assert proc.returncode == 1 and "secure handshake with the JobManager" in proc.stderr, describe(proc)
        assert len(registered() or []) == 3
    finally:
        _pyflink(jm_ns, jm_conf, "cluster", "stop")
        for name in (tm1_ns, tm2_ns, "rogue"):
            conf = tmp_path / name / "conf"
            if conf.is_dir():
                _pyflink(tm2_ns if name == "rogue" else name, conf, "taskmanager", "stop", "--all")
        try:
            wait_until(lambda: not our_processes(tmp_path), 15, message="the cluster's processes to exit")
        finally:
            for p in our_processes(tmp_path):
                p.kill()
