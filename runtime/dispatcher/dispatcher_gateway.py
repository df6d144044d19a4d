"""Synchronous gateway to a Dispatcher, used by the CLI and by job programs (execute())."""
from __future__ import annotations

from typing import Any

from runtime.highavailability.leader_election import DEFAULT_LEADER_ID
from runtime.rpc.client import SyncRpcClient


class DispatcherGateway:
    def __init__(self, address: str, timeout: float = 10.0, context: Any = None) -> None:
        self.address = address
        self.rpc = SyncRpcClient(address, timeout, context)

    def _call(self, method: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return self.rpc.call("dispatcher", method, *args, token=DEFAULT_LEADER_ID, timeout=timeout, **kwargs)

    def submit_job(self, job_graph: dict, archive: bytes | None, timeout: float | None = None) -> str:
        return self._call("submit_job", job_graph, archive, timeout=timeout)

    def list_jobs(self, timeout: float | None = None) -> list[dict]:
        return self._call("list_jobs", timeout=timeout)

    def resolve_job_id(self, prefix: str) -> str:
        return self._call("resolve_job_id", prefix)

    def cancel_job(self, job_id: str, timeout: float | None = None) -> dict:
        return self._call("cancel_job", job_id, timeout=timeout or 20.0)

    def request_job(self, job_id: str) -> dict:
        return self._call("request_job", job_id)

    def poll_job(self, job_id: str, offset: int = 0, collect_offset: int = 0, wait: float = 1.0,
                 ack: int | None = None) -> dict:
        return self._call("poll_job", job_id, offset, collect_offset, wait, ack, timeout=wait + 10.0)

    def cluster_overview(self, timeout: float | None = None) -> dict:
        return self._call("cluster_overview", timeout=timeout)

    def list_task_managers(self, timeout: float | None = None) -> list[dict]:
        return self._call("list_task_managers", timeout=timeout)

    def shutdown_cluster(self, timeout: float | None = None) -> dict:
        return self._call("shutdown_cluster", timeout=timeout)

    def close(self) -> None:
        self.rpc.close()
