"""CheckpointStorage (Flink's FsCheckpointStorageAccess / FsCheckpointStorageLocation) over
fsspec, so a checkpoint or savepoint directory is a URL: a local path or ``file://`` out of
the box, ``s3://``, ``gs://``, ``hdfs://`` ... once the matching fsspec package is installed
(``pip install 'pyflink-py[s3]'``), and then shared by TaskManagers on several hosts.

Layout (Flink's)::

    <state.checkpoints.dir>/<job-id>/chk-<n>/_metadata       written last, by the JobManager
    <state.checkpoints.dir>/<job-id>/chk-<n>/<state files>    written by the tasks
    <state.savepoints.dir>/savepoint-<job-id prefix>-<random>/...

``_metadata`` is written to a temporary name and renamed (on object stores, one PUT of the
whole object, which is atomic already), so a directory without a readable ``_metadata`` is an
incomplete checkpoint and is never restored from.

Object stores (``s3://``, ``gs://``, ``abfs://`` ...) have no directories: nothing is created
before a write (s3fs's ``makedirs`` would even create a missing *bucket*, so a mistyped
bucket name silently became a new bucket; now the write fails and names the bucket), each
file is one PUT (``pipe_file``) and one GET (``cat_file``), and listings cached by the
filesystem object are dropped before ``exists`` and ``discard`` (another process may have
written since).
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
        package, extra = _PACKAGES.get(scheme, (None, None))
        how = f"pip install 'pyflink-py[{extra}]'" if extra else f"pip install {package}"
        raise CheckpointStorageError(
            f"cannot open checkpoint storage {url!r}: {exc}" +
            (f"; install the '{package}' package ({how})" if package else "")) from None


#: scheme -> (fsspec package, pyflink-py extra that installs it)
_PACKAGES: dict[str, tuple[str, str | None]] = {
    "s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs"),
    "hdfs": ("pyarrow", None), "abfs": ("adlfs", None), "abfss": ("adlfs", None), "az": ("adlfs", None),
}


class CheckpointStorageError(OSError):
    """Storage that cannot be opened or written (the message names the URL)."""


#: fsspec protocols of object stores: no directories, a PUT of a whole object is atomic
OBJECT_STORE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oss"})


def _protocols(fs: Any) -> frozenset[str]:
    p = fs.protocol
    return frozenset((p,) if isinstance(p, str) else p)


def is_object_store(fs: Any) -> bool:
    return bool(_protocols(fs) & OBJECT_STORE_PROTOCOLS)


def _is_local(fs: Any) -> bool:
    return bool(_protocols(fs) & {"file", "local"})


def _parent(url: str, path: str) -> str:
    return posixpath.dirname(path) if "://" in url else os.path.dirname(path)


def _write_atomically(fs: Any, url: str, path: str, data: bytes) -> None:
    if is_object_store(fs):  # one PUT: the object appears whole or not at all
        fs.pipe_file(path, data)
        return
    fs.makedirs(_parent(url, path), exist_ok=True)
    tmp = f"{path}.{uuid.uuid4().hex}.inprogress"
    fs.pipe_file(tmp, data)
    try:
        if _is_local(fs):
            os.replace(tmp, path)
        else:  # hdfs, sftp, ...: their rename
            fs.mv(tmp, path)
    except BaseException:
        try:
            fs.rm(tmp)
        except OSError:
            pass
        raise


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
        try:
            if not is_object_store(fs):
                fs.makedirs(_parent(url, path), exist_ok=True)
            fs.pipe_file(path, data)
        except OSError as exc:
            raise CheckpointStorageError(f"cannot write {url}: {exc}") from exc
        return url

    @staticmethod
    def read(url: str, start: int = 0, end: int | None = None) -> bytes:
        fs, path = _fs(url)
        if start == 0 and end is None:
            return fs.cat_file(path)
        return fs.cat_file(path, start=start, end=end)

    @staticmethod
    def write_metadata(location: str, data: bytes) -> str:
        """Write ``_metadata`` last and atomically: one PUT on an object store, else a
        temporary name, then a rename."""
        url = join(location, METADATA_FILE)
        fs, path = _fs(url)
        try:
            _write_atomically(fs, url, path, data)
        except OSError as exc:
            raise CheckpointStorageError(f"cannot write {url}: {exc}") from exc
        return url

    @staticmethod
    def read_metadata(location: str) -> bytes:
        url = location if location.rstrip("/").endswith(METADATA_FILE) else join(location, METADATA_FILE)
        return CheckpointStorage.read(url)

    @staticmethod
    def exists(url: str) -> bool:
        fs, path = _fs(url)
        fs.invalidate_cache(path)
        return bool(fs.exists(path))

    @staticmethod
    def discard(location: str) -> None:
        """Delete a checkpoint directory (a checkpoint that is no longer retained)."""
        fs, path = _fs(location)
        fs.invalidate_cache(path)
        try:
            fs.rm(path, recursive=True)
        except FileNotFoundError:
            pass
