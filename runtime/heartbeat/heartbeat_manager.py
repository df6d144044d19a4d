"""HeartbeatManager: the side that asks (ResourceManager, JobMaster) polls each monitored
target every ``heartbeat.interval``; a target that has not answered for ``heartbeat.timeout``
is reported once through ``on_timeout``. The answering side (TaskExecutor) uses
``HeartbeatMonitor`` to notice that requests stopped coming.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class HeartbeatTarget:
    resource_id: str
    request: Callable[[], Awaitable[Any]]
    last_heartbeat: float = field(default_factory=time.monotonic)


class HeartbeatManager:
    def __init__(self, interval: float, timeout: float,
                 on_payload: Callable[[str, Any], None],
                 on_timeout: Callable[[str], Awaitable[None] | None]) -> None:
        self.interval = interval
        self.timeout = timeout
        self.on_payload = on_payload
        self.on_timeout = on_timeout
        self.targets: dict[str, HeartbeatTarget] = {}
        self._task: asyncio.Task | None = None
        self._inflight: set[asyncio.Task] = set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.targets.clear()

    def monitor(self, resource_id: str, request: Callable[[], Awaitable[Any]]) -> None:
        self.targets[resource_id] = HeartbeatTarget(resource_id, request)

    def unmonitor(self, resource_id: str) -> None:
        self.targets.pop(resource_id, None)

    def last_heartbeat(self, resource_id: str) -> float | None:
        target = self.targets.get(resource_id)
        return None if target is None else target.last_heartbeat

    def record(self, resource_id: str) -> None:
        target = self.targets.get(resource_id)
        if target is not None:
            target.last_heartbeat = time.monotonic()

    async def _run(self) -> None:
        while True:
            now = time.monotonic()
            for target in list(self.targets.values()):
                if now - target.last_heartbeat > self.timeout:
                    self.targets.pop(target.resource_id, None)
                    log.warning("heartbeat of %s timed out after %.1fs", target.resource_id, self.timeout)
                    result = self.on_timeout(target.resource_id)
                    if asyncio.iscoroutine(result):
                        self._spawn(result)
                else:
                    self._spawn(self._ask(target))
            await asyncio.sleep(self.interval)

    def _spawn(self, coro) -> None:
        # the loop keeps only weak references to tasks: hold them until done
        task = asyncio.get_running_loop().create_task(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _ask(self, target: HeartbeatTarget) -> None:
        try:
            payload = await target.request()
        except Exception as exc:
            log.debug("heartbeat request to %s failed: %s", target.resource_id, exc)
            return
        if self.targets.get(target.resource_id) is target:
            target.last_heartbeat = time.monotonic()
            self.on_payload(target.resource_id, payload)


class HeartbeatMonitor:
    """Answering side: remembers when the requester last asked; times out if it stops."""

    def __init__(self, timeout: float, on_timeout: Callable[[], Awaitable[None] | None]) -> None:
        self.timeout = timeout
        self.on_timeout = on_timeout
        self.last_request = time.monotonic()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self.last_request = time.monotonic()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def received(self) -> None:
        self.last_request = time.monotonic()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            remaining = self.last_request + self.timeout - time.monotonic()
            if remaining <= 0:
                self._task = None
                result = self.on_timeout()
                if asyncio.iscoroutine(result):
                    await result
                return
            await asyncio.sleep(min(remaining, 1.0))
