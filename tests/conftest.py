"""Shared fixtures: real clusters in temporary directories on free ports.

Every process a test starts is recorded by pid and killed at teardown if still alive (only
those pids, and only if their command line is one of ours); a teardown also asserts that
the cluster left no process behind.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from ports import free_port  # noqa: F401 - re-exported: tests import it from conftest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02, message: str = "") -> object:
    """Poll a condition until it holds or the deadline passes (no blind sleeps in tests)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


def our_processes(root: Path) -> list[psutil.Process]:
    """Live pyflink processes whose command line mentions this test's conf dir."""
    out = []
    for p in psutil.process_iter(["cmdline", "status"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            if str(root) in cmd and ("runtime.entrypoint" in cmd or "runtime.taskexecutor" in cmd) \
                    and p.info["status"] != psutil.STATUS_ZOMBIE:
                out.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


@dataclass
class ClusterEnv:
    root: Path
    rpc_port: int
    rest_port: int
    extra: dict = field(default_factory=dict)

    @property
    def conf_dir(self) -> Path:
        return self.root / "conf"

    def write_conf(self, **overrides: object) -> None:
        values = {
            "jobmanager.rpc.address": "localhost",
            "jobmanager.rpc.port": self.rpc_port,
            "rest.port": self.rest_port,
            "taskmanager.count": 2,
            "taskmanager.numberOfTaskSlots": 1,
            "env.log.dir": str(self.root / "log"),
            "env.pid.dir": str(self.root / "pid"),
            "high-availability.storageDir": str(self.root / "ha"),
            "security.internal.keys-dir": str(self.root / "keys"),
            "heartbeat.interval": 300,
            "heartbeat.timeout": 2000,
            "slot.request.timeout": 3000,
            "cluster.registration.max-timeout": 500,
        }
        values.update({k.replace("__", "."): v for k, v in overrides.items()})
        self.extra = values
        lines = [f"{k} = {json.dumps(v)}" for k, v in values.items()]
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        (self.conf_dir / "flink-conf.toml").write_text("\n".join(lines) + "\n")

    def pyflink(self, *args: str, timeout: float = 60.0, check: bool = False, cwd: Path | None = None,
                input: str | None = None) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "pyflink_cli", *args]
        if args and args[0] not in ("--help",):
            cmd += ["--conf-dir", str(self.conf_dir)]
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd or self.root, env=env,
                              input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"pyflink {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    @property
    def keys_dir(self) -> Path:
        return Path(str(self.extra.get("security.internal.keys-dir", self.root / "keys")))

    def rest_headers(self) -> dict[str, str]:
        """The Authorization header of this cluster's REST token (created by cluster start)."""
        token = (self.keys_dir / "rest.token").read_text().strip()
        return {"Authorization": f"Bearer {token}"}

    def rpc_client(self, role: str = "client", timeout: float = 5.0, keys_dir: Path | None = None):
        """A SyncRpcClient on the JobManager's RPC port holding the ``role`` key of this
        cluster (or of ``keys_dir``), as the CLI (role client) or a TaskManager holds it."""
        from runtime.rpc.client import SyncRpcClient
        from runtime.security.internal_keys import load_keys
        from runtime.security.socket_security import SocketSecurity
        security = SocketSecurity(load_keys(keys_dir or self.keys_dir, role))
        return SyncRpcClient(f"tcp://127.0.0.1:{self.rpc_port}", timeout=timeout, security=security)

    def pid_files(self) -> list[Path]:
        d = self.root / "pid"
        return sorted(d.glob("*.pid")) if d.is_dir() else []

    def pids(self) -> list[int]:
        out = []
        for f in self.pid_files():
            try:
                out.append(json.loads(f.read_text())["pid"])
            except (OSError, ValueError, KeyError):
                continue
        return out

    def processes(self) -> list[psutil.Process]:
        return our_processes(self.root)

    def kill_all(self) -> None:
        procs = self.processes()
        for p in procs:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(procs, timeout=5)


@pytest.fixture
def cluster_env(tmp_path: Path):
    env = ClusterEnv(tmp_path, free_port(), free_port())
    env.write_conf()
    yield env
    leftovers = env.processes()
    env.kill_all()
    assert not leftovers, f"processes left behind: {[p.pid for p in leftovers]}"


@pytest.fixture
def running_cluster(cluster_env: ClusterEnv):
    """A started 2-TaskManager cluster, stopped (and checked to be gone) afterwards."""
    cluster_env.pyflink("cluster", "start", check=True)
    yield cluster_env
    cluster_env.pyflink("cluster", "stop")
    wait_until(lambda: not cluster_env.processes(), 15, message="cluster processes to exit")


@contextlib.contextmanager
def started_cluster(root: Path, *start_args: str, **conf: object) -> Iterator[ClusterEnv]:
    """A cluster in ``root`` (``conf`` as for ``write_conf``) for a module's tests: started,
    then stopped and every process of it gone, even when the tests fail."""
    env = ClusterEnv(root, free_port(), free_port())
    env.write_conf(**conf)
    try:
        env.pyflink("cluster", "start", *start_args, check=True)
        yield env
    finally:
        env.pyflink("cluster", "stop")
        try:
            wait_until(lambda: not env.processes(), 15, message="cluster processes to exit")
        finally:
            env.kill_all()


def write_job(directory: Path, name: str, source: str) -> Path:
    path = directory / name
    path.write_text(source)
    return path
