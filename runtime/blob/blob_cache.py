"""BlobCache (TaskManager side): fetches a job's program archive once and unpacks it where
the job's tasks can import the user's modules.

Before a job's code is loaded, PyFlink's package names are mapped onto this engine
(``runtime.compat.install()``), so modules shipped with a job that import ``pyflink.datastream``
or ``pyflink.common`` import here too (it is idempotent, and steps aside when Apache Flink's
own ``pyflink`` is installed).
"""
from __future__ import annotations

import asyncio
import io
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

from runtime.common.job import JobID
from runtime.compat import install as install_pyflink_names


class BlobCache:
    def __init__(self, base_dir: Path, gateway: Any) -> None:
        self.base_dir = Path(base_dir)
        self.gateway = gateway
        self._jobs: dict[str, asyncio.Future] = {}

    async def ensure(self, job_id: str) -> Path | None:
        fut = self._jobs.get(job_id)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._jobs[job_id] = fut
            try:
                install_pyflink_names()
                data = await self.gateway.get_job_archive(JobID.from_hex(job_id), timeout=30.0)
                path = None
                if data:
                    path = self.base_dir / job_id
                    await asyncio.get_running_loop().run_in_executor(None, _unpack, bytes(data), path)
                    if str(path) not in sys.path:
                        sys.path.insert(0, str(path))
                fut.set_result(path)
            except BaseException as exc:
                self._jobs.pop(job_id, None)
                fut.set_exception(exc)
                raise
        return await asyncio.shield(fut)

    def release(self, job_id: str) -> None:
        fut = self._jobs.pop(job_id, None)
        if fut is not None and fut.done() and not fut.exception() and fut.result() is not None:
            path = fut.result()
            try:
                sys.path.remove(str(path))
            except ValueError:
                pass
            # forget the job's modules, so a later job shipping a changed module of the same
            # name imports its own version
            prefix = str(path) + "/"
            for name, module in list(sys.modules.items()):
                if (getattr(module, "__file__", None) or "").startswith(prefix):
                    del sys.modules[name]
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.base_dir, ignore_errors=True)


def _unpack(data: bytes, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            target = (path / name).resolve()
            if not str(target).startswith(str(path.resolve())):
                raise ValueError(f"archive entry {name!r} escapes the job directory")
        zf.extractall(path)
