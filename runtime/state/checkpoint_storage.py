"""CheckpointStorage (Flink's FsCheckpointStorageAccess / FsCheckpointStorageLocation) over
fsspec, so a checkpoint or savepoint directory is a URL: a local path or ``file://`` out of
the box, ``s3://``, ``gs://``, ``hdfs://`` ... once the matching fsspec package is installed
(``pip install 'pyflink-py[s3]'``), and then shared by TaskManagers on several hosts.

Layout (Flink's)::

    <state.checkpoints.dir>/<job-id>/chk-<n>/_metadata       written last, by the JobManager
    <state.checkpoints.dir>/<job-id>/chk-<n>/<state files>    written by the tasks
    <state.savepoints.dir>/savepoint-<job-id prefix>-<random>/...

``_metadata`` is written to a temporary name and renamed (on object stores, a single PUT is
atomic already), so a directory without a readable ``_metadata`` is an incomplete
checkpoint and is never restored from.
"""
from __future__ import annotations

import os
import posixpath
import uuid
from typing import Any

METADATA_FILE = "_metadata"


def _fs(url: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs
    try:
        return url_to_fs(url)
    except (ImportError, ValueError) as exc:
        scheme = url.split("://", 1)[0] if "://" in url else "file"
        hint = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "hdfs": "pyarrow", "abfs": "adlfs"}.get(scheme)
        raise CheckpointStorageError(
            f"cannot open checkpoint storage {url!r}: {exc}" +
            (f"; install the '{hint}' package (pip install 'pyflink-py[{scheme}]')" if hint else "")) from None


class CheckpointStorageError(Exception):
    pass


def normalize(url: str) -> str:
    """A local path becomes absolute; URLs stay as they are."""
    if "://" in url:
        return url.rstrip("/")
    return os.path.abspath(os.path.expanduser(url))


def join(base: str, *parts: str) -> str:
    if "://" in base:
        return posixpath.join(base, *parts)
    return os.path.join(base, *parts)


class CheckpointStorage:
    """Reads and writes the files of checkpoints under one directory URL."""

    def __init__(self, base: str) -> None:
        self.base = normalize(base)

    # ------------------------------------------------------------------ locations
    def checkpoint_location(self, job_id: object, checkpoint_id: int) -> str:
        return join(self.base, str(job_id), f"chk-{checkpoint_id}")

    def savepoint_location(self, job_id: object) -> str:
        return join(self.base, f"savepoint-{str(job_id)[:6]}-{uuid.uuid4().hex[:12]}")

    # ------------------------------------------------------------------ files
    @staticmethod
    def write(location: str, name: str, data: bytes) -> str:
        """Write one file into the directory ``location``; returns the file's URL."""
        url = join(location, name)
        fs, path = _fs(url)
        parent = posixpath.dirname(path) if "://" in url else os.path.dirname(path)
        fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as fh:
            fh.write(data)
        return url

    @staticmethod
    def read(url: str, start: int = 0, end: int | None = None) -> bytes:
        fs, path = _fs(url)
        if start == 0 and end is None:
            with fs.open(path, "rb") as fh:
                return fh.read()
        return fs.cat_file(path, start=start, end=end)

    @staticmethod
    def write_metadata(location: str, data: bytes) -> str:
        """Write ``_metadata`` last and atomically: a temporary name, then a rename."""
        url = join(location, METADATA_FILE)
        fs, path = _fs(url)
        parent = posixpath.dirname(path) if "://" in url else os.path.dirname(path)
        fs.makedirs(parent, exist_ok=True)
        if fs.protocol in ("file", "local") or (isinstance(fs.protocol, tuple) and "file" in fs.protocol):
            tmp = f"{path}.{uuid.uuid4().hex}.inprogress"
            with fs.open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        else:  # an object store's single PUT is atomic
            with fs.open(path, "wb") as fh:
                fh.write(data)
        return url

    @staticmethod
    def read_metadata(location: str) -> bytes:
        url = location if location.rstrip("/").endswith(METADATA_FILE) else join(location, METADATA_FILE)
        return CheckpointStorage.read(url)

    @staticmethod
    def exists(url: str) -> bool:
        fs, path = _fs(url)
        return bool(fs.exists(path))

    @staticmethod
    def discard(location: str) -> None:
        """Delete a checkpoint directory (a checkpoint that is no longer retained)."""
        fs, path = _fs(location)
        try:
            fs.rm(path, recursive=True)
        except FileNotFoundError:
            pass
