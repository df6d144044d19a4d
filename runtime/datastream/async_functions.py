"""Async I/O function interfaces (PyFlink's ``AsyncFunction``, ``AsyncRetryStrategy``,
``AsyncRetryPredicate``; importable from ``runtime.datastream.functions`` as in PyFlink).

``AsyncFunction.async_invoke`` is a coroutine returning a list of results for one input; the
operator built by ``AsyncDataStream`` (``runtime.datastream.async_wait_operator``) runs up to
``capacity`` of them concurrently on an asyncio loop of its own.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from runtime.datastream.function_base import Function

IN = TypeVar("IN")
OUT = TypeVar("OUT")

__all__ = ["AsyncFunction", "AsyncRetryPredicate", "AsyncRetryStrategy"]


class AsyncFunction(Function, Generic[IN, OUT]):
    """Triggers one asynchronous operation per input element."""

    @abstractmethod
    async def async_invoke(self, value: IN) -> list[OUT]:
        """The results for ``value`` (a coroutine); raise to fail the task."""

    def timeout(self, value: IN) -> list[OUT]:
        """Called when ``async_invoke`` did not complete in time: its return value is used
        as the results, and by default the task fails with a TimeoutError."""
        raise TimeoutError("Async function call has timed out for input: " + str(value))


class AsyncRetryPredicate(ABC, Generic[OUT]):
    """When a result or an exception means the call should be retried."""

    @abstractmethod
    def result_predicate(self) -> Callable[[list[OUT]], bool] | None: ...

    @abstractmethod
    def exception_predicate(self) -> Callable[[Exception], bool] | None: ...


class AsyncRetryStrategy(ABC, Generic[OUT]):
    """Whether and after which delay a failed or unsatisfying async call is retried."""

    @abstractmethod
    def can_retry(self, current_attempts: int) -> bool: ...

    @abstractmethod
    def get_backoff_time_millis(self, current_attempts: int) -> int: ...

    @abstractmethod
    def get_retry_predicate(self) -> AsyncRetryPredicate[OUT]: ...

    @staticmethod
    def no_restart() -> AsyncRetryStrategy:
        from runtime.datastream.async_retry_strategies import NO_RETRY_STRATEGY
        return NO_RETRY_STRATEGY

    @staticmethod
    def fixed_delay(max_attempts: int, backoff_time_millis: int,
                    result_predicate: Callable[[list[Any]], bool] | None,
                    exception_predicate: Callable[[Exception], bool] | None) -> AsyncRetryStrategy:
        from runtime.datastream.async_retry_strategies import FixedDelayRetryStrategy
        return FixedDelayRetryStrategy(max_attempts, backoff_time_millis, result_predicate, exception_predicate)

    @staticmethod
    def exponential_backoff(max_attempts: int, initial_delay: int, max_retry_delay: int, multiplier: float,
                            result_predicate: Callable[[list[Any]], bool] | None,
                            exception_predicate: Callable[[Exception], bool] | None) -> AsyncRetryStrategy:
        from runtime.datastream.async_retry_strategies import ExponentialBackoffDelayRetryStrategy
        return ExponentialBackoffDelayRetryStrategy(max_attempts, initial_delay, max_retry_delay, multiplier,
                                                    result_predicate, exception_predicate)
