"""Starting and stopping the standalone cluster's processes (``pyflink cluster|jobmanager|
taskmanager``), the way Flink's start-cluster.sh / stop-cluster.sh do, with pid files in
``env.pid.dir`` and ``*.log``/``*.out`` files in ``env.log.dir``.

Only processes recorded in our pid files *and* whose command line is one of ours are ever
signalled, so a stale pid file can never kill an unrelated process.

``cluster start`` and ``jobmanager start`` create the cluster's CURVE keys in
``security.internal.keys-dir`` when they are missing (``runtime.security.internal_keys``);
every process started from here gets its ``-D`` properties through a pipe, not on its
command line.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyflink_cli.frontend import CliFrontend, fail
from runtime.configuration import options as opts
from runtime.util.process_utils import JOBMANAGER_PID_FILE, is_our_process, read_pid_file


@dataclass
class PidEntry:
    path: Path
    pid: int
    info: dict


def jobmanager_pid(frontend: CliFrontend) -> PidEntry | None:
    path = frontend.pid_dir / JOBMANAGER_PID_FILE
    info = read_pid_file(path)
    if info is None:
        return None
    return PidEntry(path, info["pid"], info)


def taskmanager_pids(frontend: CliFrontend) -> list[PidEntry]:
    out: list[PidEntry] = []
    if not frontend.pid_dir.is_dir():
        return out
    for path in sorted(frontend.pid_dir.glob("pyflink-taskmanager-*.pid"), key=lambda p: p.stat().st_mtime):
        info = read_pid_file(path)
        if info is not None:
            out.append(PidEntry(path, info["pid"], info))
    return out


def _port_free(host: str, port: int) -> bool:
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1" if host in ("localhost", "") else host, port))
            return True
        except OSError:
            return False


def ensure_cluster_keys(frontend: CliFrontend) -> None:
    """Create the CURVE keys and REST token of a new cluster (kept if they exist)."""
    config = frontend.config
    if not config.get(opts.SECURITY_INTERNAL_ENABLED) and not (
            config.get(opts.SECURITY_REST_AUTHENTICATION_ENABLED) and not config.get(opts.SECURITY_REST_TOKEN)):
        return
    from runtime.configuration.errors import ConfigurationError
    from runtime.security.internal_keys import ensure_keys
    try:
        if ensure_keys(frontend.keys_dir):
            print(f"Created the cluster's keys in {frontend.keys_dir} (copy this directory to other hosts' "
                  "TaskManagers and clients)", file=sys.stderr)
    except (ConfigurationError, OSError) as exc:
        fail(f"cannot create the cluster's keys in {frontend.keys_dir} (security.internal.keys-dir): {exc}")


def spawn(frontend: CliFrontend, module: str, name: str, extra: list[str]) -> tuple[subprocess.Popen, Path, Path]:
    log_dir = frontend.log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    base = log_dir / f"pyflink-{name}-{socket.gethostname()}"
    log_file, out_file = base.with_suffix(".log"), base.with_suffix(".out")
    properties = frontend.properties_pipe()
    args = [sys.executable, "-m", module, "--log-file", str(log_file)] + frontend.process_args() + \
        properties.args + extra
    env = dict(os.environ, PYTHONHASHSEED="0")
    try:
        with open(out_file, "ab") as out:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True, close_fds=True, pass_fds=properties.pass_fds)
    except BaseException:
        properties.close()
        raise
    properties.send()
    return proc, log_file, out_file


def exec_foreground(frontend: CliFrontend, module: str, extra: list[str]) -> None:
    """Replace this process by ``module`` (``start-foreground``), configured like this command."""
    if module == "runtime.entrypoint.cluster_entrypoint":
        ensure_cluster_keys(frontend)
    os.environ["PYTHONHASHSEED"] = "0"
    properties = frontend.properties_pipe()
    properties.send_before_exec()
    os.execv(sys.executable, [sys.executable, "-m", module] + frontend.process_args() + properties.args + extra)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    errors = [l for l in text if l.startswith("error:")]
    return errors[-1][len("error:"):].strip() if errors else " | ".join(text[-lines:])


def start_jobmanager(frontend: CliFrontend, with_taskmanagers: bool = True, timeout: float = 30.0,
                     on_wait: Callable[[str], None] | None = None) -> dict:
    """``on_wait`` is told what the start waits for (the live status on a terminal)."""
    existing = jobmanager_pid(frontend)
    if existing is not None and is_our_process(existing.pid):
        fail(f"a cluster is already running with this pid dir (JobManager pid {existing.pid}, {existing.path}); "
             "stop it with `pyflink cluster stop`")
    host, port = frontend.jobmanager_host, frontend.jobmanager_port
    if not _port_free(host, port):
        fail(f"port {port} (jobmanager.rpc.port) on {host} is already in use: another cluster may be running; "
             "stop it with `pyflink cluster stop` or pick another port with -D jobmanager.rpc.port=...")
    rest_port = frontend.config.get(opts.REST_PORT)
    rest_host = frontend.config.get(opts.REST_BIND_ADDRESS) or frontend.config.get(opts.REST_ADDRESS)
    if not _port_free(rest_host, rest_port):
        fail(f"port {rest_port} (rest.port) on {rest_host} is already in use; pick another with -D rest.port=...")
    extra = [] if with_taskmanagers else ["-D", "taskmanager.count=0"]
    ensure_cluster_keys(frontend)
    proc, log_file, out_file = spawn(frontend, "runtime.entrypoint.cluster_entrypoint", "jobmanager", extra)
    try:
        security = frontend.security()  # loading the client's keys overlaps the JobManager's start
    except SystemExit:
        _terminate([proc.pid])
        raise
    count = frontend.config.get(opts.TASKMANAGER_COUNT) if with_taskmanagers else 0
    from runtime.dispatcher.dispatcher_client import dispatcher_client
    from runtime.rpc.client import AuthenticationFailed
    from runtime.rpc.errors import RpcError
    deadline = time.monotonic() + timeout
    gateway = None
    try:
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                fail(f"the JobManager exited with code {code} during start: {_tail(out_file) or _tail(log_file)} "
                     f"(log: {log_file})")
            if gateway is None:
                if on_wait is not None:
                    on_wait(f"waiting for the JobManager (pid {proc.pid}) to answer at {host}:{port}")
                # the JobManager writes its pid file once its RPC endpoint and REST server are up
                started = jobmanager_pid(frontend)
                if started is not None and started.pid == proc.pid:
                    gateway = dispatcher_client(f"tcp://{host}:{port}", 2.0, security=security)
            if gateway is not None:
                try:
                    overview = gateway.cluster_overview(timeout=2.0)
                except AuthenticationFailed as exc:
                    _terminate([proc.pid])
                    fail(str(exc))
                except RpcError:
                    overview = None
                if on_wait is not None and overview is not None:
                    on_wait(f"waiting for TaskManagers to register ({overview.taskmanagers} of {count})")
                if overview is not None and overview.taskmanagers >= count:
                    tms = gateway.list_task_managers(timeout=2.0)
                    info = read_pid_file(frontend.pid_dir / JOBMANAGER_PID_FILE) or {}
                    return {"pid": proc.pid, "overview": overview, "taskmanagers": tms, "log_file": log_file,
                            "rest_port": info.get("rest_port")}
            time.sleep(0.01)
    finally:
        if gateway is not None:
            gateway.close()
    _terminate([proc.pid])
    fail(f"the cluster did not come up within {timeout:.0f} s; see {log_file}")


def dashboard_url(frontend: CliFrontend, rest_port: int | None) -> str | None:
    """The dashboard's address with the REST token in the fragment (browsers never send a
    fragment to the server; the page keeps the token in the tab's sessionStorage)."""
    if not rest_port:
        return None
    config = frontend.config
    scheme = "https" if config.get(opts.SECURITY_SSL_REST_ENABLED) else "http"
    host = config.get(opts.REST_ADDRESS) or "localhost"
    url = f"{scheme}://{'[' + host + ']' if ':' in host else host}:{rest_port}/"
    if not config.get(opts.SECURITY_REST_AUTHENTICATION_ENABLED):
        return url
    token = config.get(opts.SECURITY_REST_TOKEN)
    if not token:
        from runtime.security.internal_keys import read_rest_token
        try:
            token = read_rest_token(frontend.keys_dir)
        except Exception:
            token = None
    return f"{url}#token={token}" if token else url


def _terminate(pids: list[int], grace: float = 3.0) -> list[int]:
    """SIGTERM, wait, SIGKILL what is left. Returns the pids that were ours and alive."""
    ours = [pid for pid in pids if is_our_process(pid)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in ours:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 2.0)
        while any(is_our_process(pid) for pid in ours) and time.monotonic() < deadline:
            time.sleep(0.005)
        if not any(is_our_process(pid) for pid in ours):
            break
    return ours


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until the process has exited. An exited process that is not our child stays a
    zombie until init reaps it (which can take seconds); it counts as gone."""
    deadline = time.monotonic() + timeout
    while is_our_process(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def stop_cluster(frontend: CliFrontend) -> dict:
    """Graceful shutdown through the Dispatcher (cancels jobs, stops TaskManagers), then
    signals whatever the pid files still name: the JobManager if it is hung or dead, and
    every TaskManager recorded in the pid dir. A JobManager that does not answer the
    shutdown request within a few seconds is treated as hung and killed at once."""
    from runtime.dispatcher.dispatcher_client import dispatcher_client
    from runtime.rpc.client import tcp_reachable
    stopped_jm = None
    cancelled: list[str] = []
    graceful = False
    live_before = [t.pid for t in taskmanager_pids(frontend) if is_our_process(t.pid)]
    jm = jobmanager_pid(frontend)
    if jm is not None and is_our_process(jm.pid):
        address = jm.info.get("address") or f"tcp://{frontend.jobmanager_address}"
        host, _, port = address.replace("tcp://", "").rpartition(":")
        if tcp_reachable("127.0.0.1" if host == "localhost" else host, int(port), 0.5):
            gateway = dispatcher_client(address, 5.0, security=frontend.security())
            try:
                cancelled = [str(j) for j in gateway.shutdown_cluster(timeout=5.0)]
                graceful = True
            except Exception:
                pass  # hung or half-dead: fall through to signals
            finally:
                gateway.close()
        if not (graceful and wait_gone(jm.pid, 12.0)):
            _terminate([jm.pid], grace=2.0 if graceful else 0.3)
        stopped_jm = jm.pid
    if jm is not None:
        jm.path.unlink(missing_ok=True)
    tms = taskmanager_pids(frontend)
    alive = [t for t in tms if is_our_process(t.pid)]
    if graceful:
        deadline = time.monotonic() + 3.0
        while alive and time.monotonic() < deadline:  # they were told to exit; give them a moment
            alive = [t for t in alive if is_our_process(t.pid)]
            if alive:
                time.sleep(0.02)
    stopped_tms = sorted(set(live_before) | {t.pid for t in alive})
    _terminate([t.pid for t in alive])
    for t in tms:
        t.path.unlink(missing_ok=True)
    return {"jobmanager": stopped_jm, "taskmanagers": stopped_tms, "cancelled": cancelled}


def stop_jobmanager(frontend: CliFrontend) -> int | None:
    jm = jobmanager_pid(frontend)
    if jm is None or not is_our_process(jm.pid):
        if jm is not None:
            jm.path.unlink(missing_ok=True)
        return None
    _terminate([jm.pid], grace=10.0)
    jm.path.unlink(missing_ok=True)
    return jm.pid


def start_taskmanager(frontend: CliFrontend, jobmanager: str | None, timeout: float = 10.0) -> dict:
    target = jobmanager or frontend.jobmanager_address
    _check_taskmanager_keys(frontend, target)
    n = len(taskmanager_pids(frontend)) + 1
    before = {t.pid for t in taskmanager_pids(frontend)}
    proc, log_file, out_file = spawn(frontend, "runtime.taskexecutor.task_manager_runner",
                              f"taskmanager-manual-{int(time.time() * 1000) % 100000}-{n}", ["--jobmanager", target])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            fail(f"the TaskManager exited with code {code} during start: {_tail(out_file) or _tail(log_file)} "
                 f"(log: {log_file})")
        if any(t.pid == proc.pid for t in taskmanager_pids(frontend) if t.pid not in before):
            break
        time.sleep(0.01)
    return {"pid": proc.pid, "jobmanager": target, "log_file": log_file}


def _check_taskmanager_keys(frontend: CliFrontend, target: str) -> None:
    """Fail before starting anything when this host's TaskManager keys are missing or, if
    the JobManager is up already, when it refuses them (it would never answer the TaskManager)."""
    if not frontend.config.get(opts.SECURITY_INTERNAL_ENABLED):
        return
    from runtime.configuration.errors import ConfigurationError
    from runtime.rpc.client import tcp_reachable
    from runtime.security.handshake_probe import check_handshake
    from runtime.security.internal_keys import ROLE_TASKMANAGER
    from runtime.security.socket_security import SocketSecurity
    try:
        security = SocketSecurity.from_config(frontend.config, ROLE_TASKMANAGER)
    except ConfigurationError as exc:
        fail(str(exc))
    host, _, port = target.rpartition(":")
    if port.isdigit() and tcp_reachable("127.0.0.1" if host == "localhost" else host, int(port), 0.5):
        refused = check_handshake(f"tcp://{host}:{port}", security)
        if refused:
            fail(refused)


def stop_taskmanager(frontend: CliFrontend, stop_all: bool = False) -> list[int]:
    tms = [t for t in taskmanager_pids(frontend) if is_our_process(t.pid)]
    for t in taskmanager_pids(frontend):
        if not is_our_process(t.pid):
            t.path.unlink(missing_ok=True)
    if not tms:
        return []
    manual = [t for t in tms if not t.info.get("forked_by")]
    chosen = tms if stop_all else [(manual or tms)[-1]]
    pids = _terminate([t.pid for t in chosen])
    for t in chosen:
        t.path.unlink(missing_ok=True)
    return pids
