"""Size-based rollover of a cluster process's ``.log`` and ``.out`` files (Flink's log4j
``RollingFile`` appender with its ``SizeBasedTriggeringPolicy`` and ``DefaultRolloverStrategy``).

A file that reaches ``env.log.max-file-size`` is renamed ``<file>.1`` (``.1`` to ``.2`` and so
on, the oldest beyond ``env.log.max`` deleted) and a new one is started. The ``.log`` is
Python logging's ``RotatingFileHandler``. The ``.out`` is the process's stdout and stderr
(file descriptors 1 and 2, opened by whoever started the process): it is rolled by
renaming it and pointing both descriptors at a fresh file (``dup2``), so output from every
thread, C extensions included, continues in the new file. The TaskManager counts what its
tasks print (``runtime.taskexecutor.output_capture``) and rolls while it runs; every process
also rolls an oversized ``.out`` when it starts.

Unlike Flink, which also rolls on every start (``OnStartupTriggeringPolicy``), files are
appended to across restarts until they reach the size limit.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

__all__ = ["OutFileRoller", "roll_over", "rotating_file_handler"]


def roll_over(path: Path, backups: int) -> None:
    """Rename ``path`` to ``path.1`` after shifting the older copies up (deleting the one past
    ``backups``); with no backups the file is just removed."""
    if backups <= 0:
        path.unlink(missing_ok=True)
        return
    oldest = path.with_name(f"{path.name}.{backups}")
    oldest.unlink(missing_ok=True)
    for i in range(backups - 1, 0, -1):
        src = path.with_name(f"{path.name}.{i}")
        if src.exists():
            os.replace(src, path.with_name(f"{path.name}.{i + 1}"))
    if path.exists():
        os.replace(path, path.with_name(f"{path.name}.1"))


def rotating_file_handler(log_file: str | Path, max_bytes: int, backups: int) -> logging.Handler:
    """The ``.log`` handler: rolls at ``max_bytes`` (0: never), keeping ``backups`` old files."""
    return logging.handlers.RotatingFileHandler(log_file, maxBytes=max(0, max_bytes), backupCount=max(0, backups),
                                                encoding="utf-8")


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), path.stat()
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


class OutFileRoller:
    """Rolls this process's ``.out`` file over by size. Inactive unless stdout really is that
    file (a process started in the foreground writes to its terminal instead)."""

    def __init__(self, path: Path | None, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.active = path is not None and max_bytes > 0 and _same_file(1, path)
        self.size = 0
        if self.active:
            assert path is not None
            try:
                self.size = path.stat().st_size
            except OSError:
                self.active = False

    def check(self) -> None:
        """Roll now if the file has reached its size (at process start)."""
        if self.active and self.size >= self.max_bytes:
            self.roll()

    def before_write(self, nbytes: int) -> None:
        """``nbytes`` are about to be written to stdout: roll first if they would take the file
        past its size (as log4j and Python's RotatingFileHandler do; one write larger than the
        size goes into a file of its own). Called under the writer's lock."""
        if not self.active:
            return
        if self.size and self.size + nbytes > self.max_bytes:
            self.roll()
        self.size += nbytes

    def roll(self) -> None:
        path = self.path
        assert path is not None
        for stream in (sys.__stdout__, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass
        try:
            roll_over(path, self.backups)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.dup2(fd, 1)
                os.dup2(fd, 2)
            finally:
                os.close(fd)
        except OSError as exc:
            self.active = False
            logging.getLogger(__name__).warning("rolling over %s failed (%s); it grows from now on", path, exc)
            return
        self.size = 0
