"""The operator behind ``AsyncDataStream``: Flink's ``AsyncWaitOperator`` for Python coroutines.

Each record's ``async_invoke`` runs as a task on an asyncio event loop owned by the operator
(in the task's thread), at most ``capacity`` at a time. A batch is processed as a whole: all
of its calls are started (up to the capacity), awaited, retried when the retry strategy says
so, and their results emitted — in input order (``ordered_wait``) or in completion order
(``unordered_wait``) — before the next batch, watermark or barrier, so records never overtake
a watermark (as in Flink). A call that exceeds the timeout gets ``AsyncFunction.timeout``'s
result (by default it raises ``TimeoutError`` and the task fails).

It lives with the API, beside ``AsyncDataStream``, because nothing else builds it; it runs
like any operator (``process_batch`` per batch).
"""
from __future__ import annotations

import asyncio
from typing import Any

from runtime.streaming.operators import StreamOperator, UserFunctionError


class AsyncWaitOperator(StreamOperator):
    fuses_with_python = True

    def __init__(self, name: str, function: Any, timeout_ms: int, capacity: int, ordered: bool,
                 retry_strategy: Any = None, output_type: Any = None) -> None:
        super().__init__(name)
        if capacity < 1:
            raise ValueError(f"async capacity must be at least 1, not {capacity}")
        if timeout_ms <= 0:
            raise ValueError(f"async timeout must be positive, not {timeout_ms} ms")
        self.function = function
        self.functions = (function,)
        self.timeout_s = timeout_ms / 1000.0
        self.capacity = capacity
        self.ordered = ordered
        self.retry_strategy = retry_strategy
        self.output_type = output_type
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> None:
        self._loop = asyncio.new_event_loop()
        super().open()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._loop is not None:
                self._loop.close()
                self._loop = None

    # ------------------------------------------------------------------ one record
    async def _call(self, value: Any) -> list:
        fn = self.function
        strategy = self.retry_strategy
        attempts = 1
        while True:
            error: BaseException | None = None
            result: Any = None
            try:
                result = await asyncio.wait_for(fn.async_invoke(value), self.timeout_s)
            except asyncio.TimeoutError:
                return _as_list(fn.timeout(value), self.name)
            except Exception as exc:  # noqa: BLE001 - judged by the retry predicate below
                error = exc
            if strategy is None or not strategy.can_retry(attempts):
                if error is not None:
                    raise error
                return _as_list(result, self.name)
            predicate = strategy.get_retry_predicate()
            if error is not None:
                check = predicate.exception_predicate()
                if check is None or not check(error):
                    raise error
            else:
                check = predicate.result_predicate()
                if check is None or not check(result):
                    return _as_list(result, self.name)
            delay = strategy.get_backoff_time_millis(attempts)
            attempts += 1
            if delay > 0:
                await asyncio.sleep(delay / 1000.0)

    async def _run(self, values: list) -> list[tuple[int, list]]:
        gate = asyncio.Semaphore(self.capacity)
        done: list[tuple[int, list]] = []

        async def one(i: int, v: Any) -> None:
            async with gate:
                done.append((i, await self._call(v)))

        await asyncio.gather(*(one(i, v) for i, v in enumerate(values)))
        if self.ordered:
            done.sort(key=lambda item: item[0])
        return done

    # ------------------------------------------------------------------ batches
    def process_batch(self, values, timestamps=None, keys=None):
        loop = self._loop
        assert loop is not None, "the async operator was not opened"
        results = loop.run_until_complete(self._run(values))
        out: list = []
        ts: list | None = None if timestamps is None else []
        for i, outputs in results:
            out.extend(outputs)
            if ts is not None:
                ts.extend([timestamps[i]] * len(outputs))
        if out:
            if self._check_type:
                self.check_output(out)
            self.emit(out, ts, None)


def _as_list(result: Any, name: str) -> list:
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return list(result)
    if isinstance(result, (str, bytes, dict)) or not hasattr(result, "__iter__"):
        raise UserFunctionError(f"operator '{name}': async_invoke must return a list of results, "
                                f"got {type(result).__name__} {result!r:.60}")
    return list(result)
