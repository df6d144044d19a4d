"""Helpers shared by the benchmark scripts (not a benchmark itself).

Every benchmark works in a throw-away directory with its own ``conf/flink-conf.toml`` on
free ports, so it never touches a user's cluster, and cleans up only the processes it
started (the pids named in *its* pid directory).
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO / "tests"))
from ports import free_port  # noqa: E402 - one picker for the tests' and the benchmarks' clusters


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


# A benchmark stopped with SIGTERM (``timeout``, ``kill``) unwinds like one stopped with
# Ctrl-C: its ``finally`` blocks and ``atexit`` handlers stop the clusters it started. By
# default SIGTERM ends the interpreter at once and left those clusters running.
signal.signal(signal.SIGTERM, _exit_on_sigterm)


class RestClient:
    """GETs of a started cluster's REST API as JSON, with the bearer token its ``cluster
    start`` wrote (read once: port and token stay while the keys directory does, also across
    a JobManager restart)."""

    def __init__(self, cluster: TempCluster, timeout: float = 30.0) -> None:
        self.port = cluster.rest_port
        token = cluster.keys_dir / "rest.token"
        self.headers = {"Authorization": f"Bearer {token.read_text().strip()}"} if token.is_file() else {}
        self.timeout = timeout

    def get(self, path: str) -> Any:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=self.headers)
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read())


def pyflink_command() -> tuple[list[str], str]:
    """The ``pyflink`` console script users run, and a note on which one was chosen.

    Prefer the script installed next to this interpreter (what a venv / pip user runs); a
    pyenv shim on PATH adds a bash + ``pyenv exec`` hop that is not ours to measure.
    """
    beside = Path(sys.executable).parent / "pyflink"
    on_path = shutil.which("pyflink")
    if beside.is_file() and os.access(beside, os.X_OK):
        note = f"console script {beside}"
        if on_path and Path(on_path).resolve() != beside.resolve():
            note += f" (PATH has {on_path}, e.g. a pyenv shim; not used)"
        return [str(beside)], note
    if on_path:
        return [on_path], f"console script {on_path}"
    return [sys.executable, "-m", "pyflink_cli"], f"{sys.executable} -m pyflink_cli (no console script found)"


class TempCluster:
    """A temporary conf dir (free ports, private log/pid/ha dirs) and the processes of a
    cluster started from it. ``kill_leftovers`` signals only pids read from its own pid dir
    whose command line is one of ours."""

    def __init__(self, root: Path, taskmanagers: int, extra_conf: dict | None = None) -> None:
        self.root = root
        self.conf_dir = root / "conf"
        self.log_dir = root / "log"
        self.pid_dir = root / "pid"
        self.ha_dir = root / "ha"
        self.taskmanagers = taskmanagers
        self.extra_conf = extra_conf or {}
        self.known_pids: set[int] = set()
        self.write_conf()

    def write_conf(self) -> None:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        conf = {
            "jobmanager.rpc.port": free_port(),
            "rest.port": free_port(),
            "env.log.dir": str(self.log_dir),
            "env.pid.dir": str(self.pid_dir),
            "high-availability.storageDir": str(self.ha_dir),
            "taskmanager.count": self.taskmanagers,
            "security.internal.keys-dir": str(self.root / "keys"),
        }
        conf.update(self.extra_conf)
        self.rest_port = int(conf["rest.port"])
        self.keys_dir = Path(str(conf["security.internal.keys-dir"]))
        lines = [f"{k} = {json.dumps(v)}" for k, v in conf.items()]
        (self.conf_dir / "flink-conf.toml").write_text("\n".join(lines) + "\n")

    def pid_files(self) -> dict[str, int]:
        """{file name: pid} of every pid file in this cluster's pid dir."""
        out = {}
        if self.pid_dir.is_dir():
            for p in self.pid_dir.glob("*.pid"):
                try:
                    text = p.read_text().strip()
                    pid = json.loads(text)["pid"] if text.startswith("{") else int(text)
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                out[p.name] = int(pid)
        self.known_pids.update(out.values())
        return out

    @staticmethod
    def alive(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False

    def _ours(self, pid: int) -> bool:
        try:
            cmd = " ".join(psutil.Process(pid).cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False
        # started from this benchmark's conf dir: never a stranger's process
        return str(self.conf_dir) in cmd or str(self.log_dir) in cmd

    def kill_leftovers(self) -> list[int]:
        self.pid_files()
        procs = []
        for pid in sorted(self.known_pids):
            if self.alive(pid) and self._ours(pid):
                try:
                    procs.append(psutil.Process(pid))
                except psutil.NoSuchProcess:
                    pass
        for p in procs:
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=3)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=3)
        return [p.pid for p in procs]


def timed(cmd: list[str], timeout: float, cwd: str | Path | None = None, env: dict | None = None):
    """Run ``cmd``; return (seconds, CompletedProcess). Output is captured."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    return time.perf_counter() - t0, proc


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns something true (returned) or ``timeout`` passes
    (TimeoutError naming ``what``): a benchmark never times a step whose start it missed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def machine_line() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    mem = psutil.virtual_memory().total / 2**30
    return (f"{datetime.now():%Y-%m-%d %H:%M}  {platform.node()}  {platform.processor() or platform.machine()}  "
            f"{psutil.cpu_count(logical=True)} cores  {mem:.0f} GiB  Python {platform.python_version()}  "
            f"load avg {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}")


def other_python_load() -> str:
    """How busy the machine is with processes this script did not start (figures on a shared
    2-core box move with that)."""
    try:
        pct = psutil.cpu_percent(interval=0.5)
    except Exception:
        return ""
    return f"CPU busy before the run: {pct:.0f}%"
