"""ExecutionGraphInfoStore (Flink's FileExecutionGraphInfoStore): what the Dispatcher keeps of
finished jobs, so their details, plan, vertices, exceptions, checkpoints and final figures
stay available after the job ended.

Each job is two files under ``<high-availability.storageDir>/execution-graph-store/``:
``<job id>.json`` (its JobResult: the line ``list -a`` and ``/jobs/overview`` show) and
``<job id>.graph`` (the msgpack of its ExecutionGraphInfo, read on demand). The results of
all kept jobs are held in memory; whole graphs only up to ``jobstore.cache-size`` bytes
(least recently used first out), the rest is read back from disk when asked for.

Bounded like Flink's: at most ``jobstore.max-capacity`` jobs (the oldest are removed first)
and none longer than ``jobstore.expiration-time`` seconds after it ended. Unlike Flink's
store (a temporary directory removed when the JobManager stops), the files live in the
cluster's storage directory, so finished jobs survive a JobManager restart (stop/start, or
kill -9 and start): the store is reloaded at start and expired entries are dropped then.

File I/O runs in the event loop's executor; the index is only touched on the loop.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack

from runtime.common.job import JobID
from runtime.messages.archived_execution_graph import ArchivedExecutionGraph, ExecutionGraphInfo
from runtime.messages.codec import MessageError, from_wire, to_wire
from runtime.messages.job_messages import JobResult
from runtime.util.files import atomic_write

log = logging.getLogger(__name__)

__all__ = ["ExecutionGraphInfoStore", "archive_of_result"]

DIRECTORY = "execution-graph-store"


def archive_of_result(result: JobResult) -> ExecutionGraphInfo:
    """A job known only by its result (its JobMaster is gone): no vertices, no failures but
    its root cause."""
    timestamps = {result.state: result.end_time} if result.end_time > 0 else {}
    return ExecutionGraphInfo(ArchivedExecutionGraph(result.job_id, result.name, result.state, timestamps,
                                                     result.start_time, result.end_time, result.failure))


class ExecutionGraphInfoStore:
    def __init__(self, storage_dir: Path, max_capacity: int, expiration_s: float, cache_size: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.dir = Path(storage_dir) / DIRECTORY
        self.max_capacity = max(0, max_capacity)
        self.expiration_ms = int(expiration_s * 1000)
        self.cache_size = max(0, cache_size)
        self._clock = clock
        #: job id -> its result, oldest end first (the order jobs are evicted in)
        self._results: OrderedDict[JobID, JobResult] = OrderedDict()
        #: job id -> (graph, its size in bytes), least recently used first
        self._cache: OrderedDict[JobID, tuple[ExecutionGraphInfo, int]] = OrderedDict()
        self._cached_bytes = 0
        #: True once load() found an existing store (False: first start, see Dispatcher.on_start)
        self.existed = False

    # ------------------------------------------------------------------ blocking file I/O
    def _json(self, job_id: JobID) -> Path:
        return self.dir / f"{job_id}.json"

    def _graph(self, job_id: JobID) -> Path:
        return self.dir / f"{job_id}.graph"

    def load(self) -> list[JobID]:
        """Read the results of the kept jobs (blocking; at start). Returns the ids dropped as
        expired or over capacity, whose files are removed."""
        self.existed = self.dir.is_dir()
        self.dir.mkdir(parents=True, exist_ok=True)
        results = []
        for p in self.dir.glob("*.json"):
            try:
                results.append(from_wire(JobResult, json.loads(p.read_text()), str(p)))
            except (OSError, ValueError, MessageError) as exc:
                log.warning("ignoring the unreadable job store entry %s: %s", p, exc)
        for r in sorted(results, key=lambda r: (r.end_time, str(r.job_id))):
            self._results[r.job_id] = r
        dropped = self._evict()
        for job_id in dropped:
            self._remove_files(job_id)
        return dropped

    def _write(self, info: ExecutionGraphInfo, result: JobResult) -> int:
        data = msgpack.packb(to_wire(info), use_bin_type=True)
        atomic_write(self._graph(info.job_id), data)
        atomic_write(self._json(info.job_id), json.dumps(to_wire(result)).encode())
        return len(data)

    def _read(self, job_id: JobID) -> tuple[ExecutionGraphInfo, int] | None:
        path = self._graph(job_id)
        try:
            data = path.read_bytes()
            info = from_wire(ExecutionGraphInfo, msgpack.unpackb(data, raw=False, strict_map_key=False), str(path))
            return info, len(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, MessageError, msgpack.UnpackException) as exc:
            log.warning("the archived job %s is unreadable: %s", path, exc)
            return None

    def _remove_files(self, job_id: JobID) -> None:
        for path in (self._graph(job_id), self._json(job_id)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not remove %s: %s", path, exc)

    # ------------------------------------------------------------------ on the loop
    async def _io(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def put(self, info: ExecutionGraphInfo, result: JobResult) -> None:
        """Keep a finished job (replacing what was kept of it)."""
        nbytes = await self._io(self._write, info, result)
        job_id = info.job_id
        self._results.pop(job_id, None)
        self._results[job_id] = result
        self._cache_put(job_id, info, nbytes)
        for dropped in self._evict():
            await self._io(self._remove_files, dropped)

    async def get(self, job_id: JobID) -> ExecutionGraphInfo | None:
        if job_id not in self._results:
            return None
        cached = self._cache.get(job_id)
        if cached is not None:
            self._cache.move_to_end(job_id)
            return cached[0]
        read = await self._io(self._read, job_id)
        if read is None:
            return archive_of_result(self._results[job_id])
        self._cache_put(job_id, *read)
        return read[0]

    def _cache_put(self, job_id: JobID, info: ExecutionGraphInfo, nbytes: int) -> None:
        old = self._cache.pop(job_id, None)
        if old is not None:
            self._cached_bytes -= old[1]
        self._cache[job_id] = (info, nbytes)
        self._cached_bytes += nbytes
        while self._cache and self._cached_bytes > self.cache_size:
            _, (_, size) = self._cache.popitem(last=False)
            self._cached_bytes -= size

    def _evict(self) -> list[JobID]:
        """Drop expired jobs and the oldest ones over capacity (index and cache only)."""
        dropped = []
        horizon = int(self._clock() * 1000) - self.expiration_ms
        while self._results:
            job_id, oldest = next(iter(self._results.items()))
            if len(self._results) <= self.max_capacity and oldest.end_time >= horizon:
                break
            del self._results[job_id]
            cached = self._cache.pop(job_id, None)
            if cached is not None:
                self._cached_bytes -= cached[1]
            dropped.append(job_id)
        return dropped

    async def expire(self) -> None:
        """Purge what has expired since (Flink's periodic cleanup; called when listing)."""
        for dropped in self._evict():
            await self._io(self._remove_files, dropped)

    def result(self, job_id: JobID) -> JobResult | None:
        return self._results.get(job_id)

    def results(self) -> list[JobResult]:
        return list(self._results.values())

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._results

    def __len__(self) -> int:
        return len(self._results)

    @property
    def cached_bytes(self) -> int:
        return self._cached_bytes
