"""MetricFetcher (Flink's ``MetricFetcherImpl``): brings the MetricStore up to date on
demand, at most once per ``metrics.fetcher.update-interval``.

A REST handler that shows metrics awaits :meth:`MetricFetcher.update` first. The fetch asks
the JobManager's own registry and every registered TaskManager's metric query service
(``TaskExecutorGateway.request_metric_dump``, Flink's MetricQueryService) concurrently; a
TaskManager that does not answer within a second keeps its previous values.

Flink's fetcher never holds up a request: it starts the fetch and the handler answers from
the store as it is. Here the handler waits for the fetch, but only ``answer_within_s``
(normally the fetch is done in a few milliseconds, so a first request already shows figures);
a fetch held up by a TaskManager that was just killed, or one too busy to answer, goes on in
the background and the answer uses the values fetched before (a REST client polling a job
right after a kill used to wait out the whole query timeout).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from runtime.metrics.metric_dump import MetricDumps
from runtime.rest.metric_store import MetricStore

#: the JobManager's own dump, and (TaskManager id -> awaitable dump) for the live TaskManagers
JobManagerDumps = Callable[[], MetricDumps | None]
TaskManagerDumps = Callable[[], dict[str, Awaitable[MetricDumps]]]


class MetricFetcher:
    def __init__(self, interval_s: float, jobmanager: JobManagerDumps, taskmanagers: TaskManagerDumps,
                 timeout_s: float = 1.0, answer_within_s: float = 0.1) -> None:
        self.store = MetricStore()
        self.interval_s = interval_s
        self._jobmanager = jobmanager
        self._taskmanagers = taskmanagers
        self._timeout = timeout_s
        self._answer_within = answer_within_s
        self._last = 0.0
        self._running: asyncio.Future[None] | None = None

    async def update(self) -> MetricStore:
        if time.monotonic() - self._last < self.interval_s:
            return self.store
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._fetch())
            # a fetch nobody waits for any more must not end as "exception never retrieved"
            self._running.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            await asyncio.wait_for(asyncio.shield(self._running), self._answer_within)
        except asyncio.TimeoutError:
            pass  # the fetch carries on; this answer uses the values fetched before
        return self.store

    async def close(self) -> None:
        """Stop a fetch still waiting for a TaskManager (the endpoint stops)."""
        running, self._running = self._running, None
        if running is not None and not running.done():
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    async def _fetch(self) -> None:
        pending = self._taskmanagers()
        results: dict[str, MetricDumps] = {}

        async def one(tm_id: str, call: Awaitable[MetricDumps]) -> None:
            try:
                results[tm_id] = await asyncio.wait_for(call, self._timeout)
            except Exception:  # noqa: BLE001 - a TaskManager that does not answer keeps its old values
                pass
        await asyncio.gather(*(one(t, c) for t, c in pending.items()))
        self.store.retain_taskmanagers(set(pending))
        self.store.replace(self._jobmanager(), results)
        self._last = time.monotonic()
