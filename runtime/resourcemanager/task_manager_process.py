"""How a local TaskManager process is started: its command line, environment and log files,
and ``fork_task_managers`` for the JobManager's first TaskManagers.

``fork_task_managers`` uses plain ``subprocess`` (no asyncio, nothing of the runtime), so
the JobManager can fork its TaskManagers right after loading its configuration, before it
imports the rest of itself: both then start at once, and ``cluster start`` waits for the
slower of the two rather than for their sum. The ``TaskManagerLauncher`` adopts them once
its event loop runs.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.util.process_utils import PropertiesPipe


@dataclass(frozen=True)
class TaskManagerCommand:
    args: list[str]
    env: dict[str, str]
    log_file: Path
    out_file: Path


@dataclass
class EarlyTaskManager:
    """A TaskManager forked before the JobManager's event loop ran."""

    number: int
    popen: Any  # subprocess.Popen
    log_file: Path
    out_file: Path
    started: float
    #: watched by the ``TaskManagerLauncher`` (else stopped if the JobManager fails to start)
    adopted: bool = False


def task_manager_command(number: int, jobmanager_address: str, conf_dir: str | None,
                         log_dir: Path) -> TaskManagerCommand:
    """TaskManager ``number``'s command line (without the ``-D`` pipe) and environment."""
    base = log_dir / f"pyflink-taskmanager-{number}-{socket.gethostname()}"
    args = [sys.executable, "-m", "runtime.taskexecutor.task_manager_runner",
            "--jobmanager", jobmanager_address, "--log-file", str(base.with_suffix(".log"))]
    if conf_dir:
        args += ["--conf-dir", conf_dir]
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONUTF8="1", PYFLINK_FORKED_BY=str(os.getpid()))
    return TaskManagerCommand(args, env, base.with_suffix(".log"), base.with_suffix(".out"))


def fork_task_managers(count: int, jobmanager_address: str, conf_dir: str | None, dynamic: list[str],
                       log_dir: Path) -> list[EarlyTaskManager]:
    """Start TaskManagers 1..count; on an error, stop the ones already started and re-raise."""
    log_dir.mkdir(parents=True, exist_ok=True)
    started: list[EarlyTaskManager] = []
    try:
        for number in range(1, count + 1):
            command = task_manager_command(number, jobmanager_address, conf_dir, log_dir)
            properties = PropertiesPipe(dynamic)
            try:
                with open(command.out_file, "ab") as out:
                    popen = subprocess.Popen(command.args + properties.args, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, env=command.env, start_new_session=True,
                                             close_fds=True, pass_fds=properties.pass_fds)
            except BaseException:
                properties.close()
                raise
            properties.send()
            started.append(EarlyTaskManager(number, popen, command.log_file, command.out_file, time.monotonic()))
    except BaseException:
        stop_early(started)
        raise
    return started


def stop_early(children: list[EarlyTaskManager], timeout: float = 3.0) -> None:
    """Stop TaskManagers forked early when the JobManager fails to start (SIGTERM, then SIGKILL)."""
    if not children:
        return
    for child in children:
        if child.popen.poll() is None:
            child.popen.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.popen.kill()
            child.popen.wait()
