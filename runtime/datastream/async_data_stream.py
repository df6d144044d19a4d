"""``AsyncDataStream``: asynchronous I/O over a stream (PyFlink's ``pyflink.datastream.async_data_stream``).

``AsyncDataStream.unordered_wait(ds, MyAsyncFunction(), Time.seconds(10), capacity=100,
output_type=...)`` runs ``MyAsyncFunction.async_invoke`` (a coroutine) for each record, many
at a time; see :mod:`runtime.datastream.async_wait_operator` for the semantics.
"""
from __future__ import annotations

from typing import Any

from runtime.datastream.async_functions import AsyncFunction

__all__ = ["AsyncDataStream"]


def _timeout_ms(timeout: Any) -> int:
    if hasattr(timeout, "to_milliseconds"):
        return int(timeout.to_milliseconds())
    if hasattr(timeout, "total_seconds"):
        return int(timeout.total_seconds() * 1000)
    return int(timeout)


def _build(data_stream: Any, async_function: Any, timeout: Any, capacity: int, output_type: Any,
           ordered: bool, retry: Any) -> Any:
    from runtime.datastream.async_wait_operator import AsyncWaitOperator
    if not isinstance(async_function, AsyncFunction):
        raise TypeError(f"AsyncDataStream needs an AsyncFunction, got {type(async_function).__name__}")
    name = "Async Wait (ordered)" if ordered else "Async Wait (unordered)"
    op = AsyncWaitOperator(name, async_function, _timeout_ms(timeout), capacity, ordered, retry, output_type)
    return data_stream._add(name, op, output_type)


class AsyncDataStream:
    @staticmethod
    def unordered_wait(data_stream: Any, async_function: AsyncFunction, timeout: Any, capacity: int = 100,
                       output_type: Any = None) -> Any:
        """Results are emitted as their calls complete (within a batch)."""
        return _build(data_stream, async_function, timeout, capacity, output_type, False, None)

    @staticmethod
    def unordered_wait_with_retry(data_stream: Any, async_function: AsyncFunction, timeout: Any,
                                  async_retry_strategy: Any, capacity: int = 100, output_type: Any = None) -> Any:
        return _build(data_stream, async_function, timeout, capacity, output_type, False, async_retry_strategy)

    @staticmethod
    def ordered_wait(data_stream: Any, async_function: AsyncFunction, timeout: Any, capacity: int = 100,
                     output_type: Any = None) -> Any:
        """Results are emitted in the order of the input records."""
        return _build(data_stream, async_function, timeout, capacity, output_type, True, None)

    @staticmethod
    def ordered_wait_with_retry(data_stream: Any, async_function: AsyncFunction, timeout: Any,
                                async_retry_strategy: Any, capacity: int = 100, output_type: Any = None) -> Any:
        return _build(data_stream, async_function, timeout, capacity, output_type, True, async_retry_strategy)
