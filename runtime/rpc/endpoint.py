"""RpcEndpoint: a named object whose ``@rpc`` methods peers may call.

Every endpoint of a process runs on that process's single asyncio loop (the "main thread" of
Flink's RpcEndpoint), so endpoint state needs no locks. Only methods marked with ``@rpc`` are
reachable from the wire; everything else stays private to the process.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from runtime.rpc.service import RpcService

F = TypeVar("F", bound=Callable[..., Any])

#: The peer identity of the caller of the RPC being handled (None for local callers).
current_sender: contextvars.ContextVar[bytes | None] = contextvars.ContextVar("current_sender", default=None)
#: The authenticated CURVE user id (``ROLE:KEY``) of that caller (None: local, or CURVE off).
current_user: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_user", default=None)

log = logging.getLogger(__name__)


def rpc(fn: F) -> F:
    """Mark a method as callable over the wire."""
    fn.__rpc__ = True  # type: ignore[attr-defined]
    return fn


class RpcEndpoint:
    """Base of Dispatcher, ResourceManager, JobMaster, TaskExecutor, BlobServer."""

    #: Set by fenced endpoints (leader session id / JobMaster id); calls must carry it.
    fencing_token: str | None = None

    def __init__(self, rpc_service: RpcService, name: str) -> None:
        self.rpc_service = rpc_service
        self.name = name
        self._tasks: set[asyncio.Task] = set()
        self.started = False

    async def start(self) -> None:
        self.rpc_service.register(self)
        self.started = True
        await self.on_start()

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        try:
            await self.on_stop()
        finally:
            self.rpc_service.unregister(self)
            for task in list(self._tasks):
                task.cancel()

    async def on_start(self) -> None:
        """Hook for subclasses."""

    async def on_stop(self) -> None:
        """Hook for subclasses."""

    def run_async(self, coro, name: str | None = None) -> asyncio.Task:
        """Run a background coroutine owned by this endpoint; cancelled when it stops.

        Exceptions are logged rather than lost, since nobody awaits these tasks.
        """
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s: background task %s failed", self.name, t.get_name(), exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def schedule(self, delay: float, fn: Callable[[], Any]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(delay, fn)
