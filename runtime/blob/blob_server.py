"""BlobServer (Flink's): job program archives, stored under the HA storage dir so a recovered
job can be shipped again; TaskManagers fetch them once per job through ``get_job_archive``.
An archive is found by its job's id only (a decoded JobID: 32 hex digits), so nothing but
archives it stored can ever be read through it."""
from __future__ import annotations

import asyncio
from pathlib import Path

from runtime.blob.blob_server_gateway import NAME
from runtime.common.job import JobID
from runtime.rpc.endpoint import RpcEndpoint, rpc
from runtime.rpc.service import RpcService
from runtime.util.files import atomic_write


class BlobServer(RpcEndpoint):
    def __init__(self, rpc_service: RpcService, storage_dir: Path) -> None:
        super().__init__(rpc_service, NAME)
        self.dir = Path(storage_dir) / "blobs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, job_id: str, data: bytes) -> None:
        atomic_write(self.dir / f"{job_id}.zip", data)

    def remove(self, job_id: str) -> None:
        try:
            (self.dir / f"{job_id}.zip").unlink()
        except FileNotFoundError:
            pass

    @rpc
    async def get_job_archive(self, job_id: JobID) -> bytes | None:
        path = self.dir / f"{job_id}.zip"
        try:
            return await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
        except FileNotFoundError:
            return None
