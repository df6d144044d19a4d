"""Shared pieces of the JobManager and TaskManager process mains: logging, pid files,
and the command-line arguments the CLI passes to them."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

#: marker in every process command line we start, so we never signal a stranger's pid
PROCESS_MARKERS = ("runtime.entrypoint.cluster_entrypoint", "runtime.taskexecutor.task_manager_runner")

#: the JobManager's pid file in ``env.pid.dir`` (written once its RPC endpoint and REST
#: server are up; the CLI waits for it)
JOBMANAGER_PID_FILE = "pyflink-jobmanager.pid"


def common_args(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--conf-dir", default=None)
    parser.add_argument("-D", dest="dynamic", action="append", default=[])
    parser.add_argument("--log-file", default=None)
    parser.add_argument(PROPERTIES_FD_ARG, dest="properties_fd", type=int, default=None,
                        help="read further -D properties (a JSON list) from this file descriptor")
    return parser


# ------------------------------------------------------------------ configuration for children
#: Children get their ``-D`` properties through a pipe, never on their command line, which
#: every user of the host can read (``ps``); secrets (``security.rest.token``, passwords)
#: would otherwise leak there.
PROPERTIES_FD_ARG = "--dynamic-properties-fd"
_MAX_PROPERTIES = 1 << 20


class PropertiesPipe:
    """One child's ``-D`` properties: ``args`` go on its command line, ``pass_fds`` to
    Popen; ``send()`` after the child was started (or before an exec) writes them."""

    def __init__(self, dynamic: list[str]) -> None:
        self.data = json.dumps(list(dynamic)).encode()
        if len(self.data) > _MAX_PROPERTIES:
            raise ValueError("more than 1 MiB of -D properties")
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.read_fd, True)
        self.args = [PROPERTIES_FD_ARG, str(self.read_fd)]
        self.pass_fds = (self.read_fd,)

    def send(self) -> None:
        """Write and close (the parent's copy of the read end is closed too)."""
        try:
            os.close(self.read_fd)
        except OSError:
            pass
        try:
            with os.fdopen(self.write_fd, "wb") as f:
                f.write(self.data)
        except BrokenPipeError:
            pass  # the child is already gone; its exit is reported elsewhere

    def send_before_exec(self) -> None:
        """For os.exec*: the data must fit the pipe's buffer (checked), the read end stays open."""
        if len(self.data) > 60000:
            raise ValueError("too many -D properties to hand to the process")
        with os.fdopen(self.write_fd, "wb") as f:
            f.write(self.data)

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def read_dynamic_properties(args: argparse.Namespace) -> list[str]:
    """The process's ``-D`` properties: those on its command line, then the piped ones."""
    dynamic = list(args.dynamic)
    if args.properties_fd is not None:
        with os.fdopen(args.properties_fd, "rb") as f:
            data = f.read(_MAX_PROPERTIES + 1)
        piped = json.loads(data or b"[]")
        if not isinstance(piped, list) or not all(isinstance(d, str) for d in piped):
            raise ValueError("malformed -D properties on the pipe")
        dynamic += piped
    return dynamic


def setup_logging(log_file: str | None, level: str, max_bytes: int = 0, backups: int = 0) -> None:
    """Log to ``log_file`` (rolled over at ``max_bytes``, keeping ``backups`` old files:
    ``env.log.max-file-size``, ``env.log.max``) or, without one, to stderr; and record the
    file as this process's log (``runtime.util.log_files``)."""
    from runtime.util.log_files import set_process_log_file
    from runtime.util.log_rotation import rotating_file_handler
    handlers: list[logging.Handler] = []
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(rotating_file_handler(log_file, max_bytes, backups))
    else:
        handlers.append(logging.StreamHandler(sys.stderr))
    set_process_log_file(log_file)
    logging.basicConfig(level=getattr(logging, level, logging.INFO), handlers=handlers,
                        format="%(asctime)s %(levelname)-5s %(name)s - %(message)s")


def roll_out_file_at_start(log_file: str | None, max_bytes: int, backups: int) -> None:
    """Roll this process's ``.out`` over now if it has reached its size (its stdout and
    stderr continue in a fresh file)."""
    if log_file:
        from runtime.util.log_rotation import OutFileRoller
        OutFileRoller(Path(log_file).with_suffix(".out"), max_bytes, backups).check()


def write_pid_file(path: Path, info: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(info, pid=os.getpid())))
    os.replace(tmp, path)


def read_pid_file(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    try:
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("pid"), int):
            return data
    except ValueError:
        if text.isdigit():
            return {"pid": int(text)}
    return None


def remove_pid_file(path: Path) -> None:
    info = read_pid_file(path)
    if info is not None and info.get("pid") != os.getpid():
        return  # not ours any more
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def is_our_process(pid: int) -> bool:
    """Alive and started by this project (checked on the command line).

    On Linux read from ``/proc`` (the CLI polls this every few milliseconds while it starts
    or stops a cluster, and importing psutil alone would cost it ~15 ms); psutil elsewhere."""
    proc_dir = f"/proc/{int(pid)}"
    try:
        with open(f"{proc_dir}/stat", "rb") as f:
            stat = f.read()
        with open(f"{proc_dir}/cmdline", "rb") as f:
            cmdline = f.read()
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False  # a Linux /proc without this pid: gone
        return _is_our_process_psutil(pid)
    except OSError:
        return _is_our_process_psutil(pid)
    # "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so split at the last ")"
    state = stat[stat.rfind(b")") + 2:][:1]
    if state in (b"Z", b"X"):
        return False
    cmd = cmdline.replace(b"\0", b" ").decode("utf-8", "replace")
    return any(m in cmd for m in PROCESS_MARKERS)


def _is_our_process_psutil(pid: int) -> bool:
    import psutil
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        cmd = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return any(m in cmd for m in PROCESS_MARKERS)
