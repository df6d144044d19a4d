"""BlobServerGateway: TaskManagers fetch a job's program archive by the job's id."""
from __future__ import annotations

from typing import Protocol

from runtime.common.job import JobID

NAME = "blobserver"


class BlobServerGateway(Protocol):
    async def get_job_archive(self, job_id: JobID) -> bytes | None: ...
