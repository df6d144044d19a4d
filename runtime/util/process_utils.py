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

import psutil

#: marker in every process command line we start, so we never signal a stranger's pid
PROCESS_MARKERS = ("runtime.entrypoint.cluster_entrypoint", "runtime.taskexecutor.task_manager_runner")


def common_args(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--conf-dir", default=None)
    parser.add_argument("-D", dest="dynamic", action="append", default=[])
    parser.add_argument("--log-file", default=None)
    return parser


def setup_logging(log_file: str | None, level: str) -> None:
    handlers: list[logging.Handler] = []
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file))
    else:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=getattr(logging, level, logging.INFO), handlers=handlers,
                        format="%(asctime)s %(levelname)-5s %(name)s - %(message)s")


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
    """Alive and started by this project (checked on the command line)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        cmd = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return any(m in cmd for m in PROCESS_MARKERS)
