"""The log files of this process, as the REST API and the TaskExecutor list and serve them
(Flink's ``log.file`` system property and ``WebMonitorUtils.LogFileLocation``).

A cluster process logs to ``<env.log.dir>/<name>.log`` and writes its stdout/stderr to
``<name>.out`` next to it; both roll over by size into ``<name>.log.1``, ``<name>.out.1``, ...
(``runtime.util.log_rotation``). Only those files are listed and served: unlike Flink, which
lists every file of the log directory, a process never serves another process's files
from a shared ``env.log.dir``, and a name that is not in the list (``..``, a path, another
file) is refused without touching the file system outside the list.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

__all__ = ["LogFileStat", "ProcessLogFiles", "UnknownLogFile", "process_log_files", "set_process_log_file"]


class UnknownLogFile(LookupError):
    """A log file name that is not in the process's list (answered with 404)."""


class LogFileStat(NamedTuple):
    name: str
    size: int
    mtime_ms: int


class ProcessLogFiles:
    """The ``.log`` and ``.out`` files (and their rolled-over copies) of one process."""

    def __init__(self, log_file: Path | None) -> None:
        self.log_file = log_file
        self.out_file = log_file.with_suffix(".out") if log_file is not None else None

    @property
    def directory(self) -> Path | None:
        return self.log_file.parent if self.log_file is not None else None

    def _pattern(self) -> re.Pattern[str] | None:
        if self.log_file is None:
            return None
        stem = re.escape(self.log_file.stem)
        return re.compile(rf"{stem}\.(log|out)(\.[0-9]{{1,4}})?")

    def list(self) -> list[LogFileStat]:
        """This process's files, current ones first, then the rolled-over ones by number."""
        pattern = self._pattern()
        directory = self.directory
        if pattern is None or directory is None:
            return []
        out: list[LogFileStat] = []
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return []
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            out.append(LogFileStat(entry.name, st.st_size, int(st.st_mtime * 1000)))

        def order(s: LogFileStat) -> tuple[int, str]:
            _, _, number = s.name.rpartition(".")
            return (int(number) if number.isdigit() else 0, s.name)
        return sorted(out, key=order)

    def resolve(self, name: str) -> Path:
        """The path of a listed file; anything else raises UnknownLogFile."""
        if self.directory is not None and name in {s.name for s in self.list()}:
            return self.directory / name
        raise UnknownLogFile(f"no log file named {name[:200]!r} (see the list of this process's log files)")

    def main_log_name(self) -> str:
        if self.log_file is None:
            raise UnknownLogFile("this process writes no log file (it logs to stderr)")
        return self.log_file.name

    def stdout_name(self) -> str:
        if self.out_file is None:
            raise UnknownLogFile("this process has no .out file (its stdout is not redirected to a file)")
        return self.out_file.name

    def read(self, name: str, offset: int, max_bytes: int) -> tuple[bytes, int]:
        """Up to ``max_bytes`` of a listed file from ``offset``, and the file's size."""
        path = self.resolve(name)
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                f.seek(max(0, min(offset, size)))
                return f.read(max(0, max_bytes)), size
        except FileNotFoundError:
            raise UnknownLogFile(f"the log file {name!r} is gone (it rolled over meanwhile)") from None


_process_files = ProcessLogFiles(None)


def set_process_log_file(log_file: str | Path | None) -> None:
    """Record where this process logs (Flink's ``log.file`` system property)."""
    global _process_files
    _process_files = ProcessLogFiles(Path(log_file).resolve() if log_file else None)


def process_log_files() -> ProcessLogFiles:
    return _process_files
