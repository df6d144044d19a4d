"""CompletableFuture: what PyFlink's ``JobClient`` methods return (``pyflink.common.completable_future``).

PyFlink's wraps a Java ``CompletableFuture``; this one wraps a
:class:`concurrent.futures.Future`, or a value that is already known (most client calls here
answer before they return).
"""
from __future__ import annotations

import concurrent.futures
from typing import Any

__all__ = ["CompletableFuture"]


class CompletableFuture:
    """A result that may not be available yet, named and shaped as PyFlink's."""

    def __init__(self, j_completable_future: Any = None, py_class: Any = None) -> None:
        future = j_completable_future
        if not isinstance(future, concurrent.futures.Future):
            done: concurrent.futures.Future = concurrent.futures.Future()
            done.set_result(future)
            future = done
        self._future = future
        self._py_class = py_class

    @staticmethod
    def completed(value: Any) -> CompletableFuture:
        """A future that already holds ``value``."""
        return CompletableFuture(value)

    @staticmethod
    def failed(exception: BaseException) -> CompletableFuture:
        """A future that already holds ``exception``."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_exception(exception)
        return CompletableFuture(future)

    def cancel(self) -> bool:
        """Cancel the computation if it has not finished; whether it is now cancelled."""
        return self._future.cancel()

    def cancelled(self) -> bool:
        return self._future.cancelled()

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> Any:
        """Wait for and return the value (raising the computation's exception, if any)."""
        value = self._future.result()
        return self._py_class(value) if self._py_class is not None and value is not None \
            and not isinstance(value, self._py_class) else value

    def exception(self) -> BaseException | None:
        """Wait for the computation and return its exception (``None`` if it succeeded)."""
        return self._future.exception()

    def __str__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        return f"<CompletableFuture {state}>"
