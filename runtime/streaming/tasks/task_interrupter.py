"""Interrupting user code of a cancelled task (Flink's TaskCanceler / TaskInterrupter).

Flink interrupts the task's Java thread, which wakes it from blocking calls. CPython's
equivalent is an exception raised asynchronously in the thread
(``PyThreadState_SetAsyncExc``): it fires at the thread's next bytecode, so a map that
sleeps, loops forever in Python or ignores its source's ``cancel()`` stops at once. The
exception is a ``BaseException`` so that a user's ``except Exception:`` does not swallow it;
a user who swallows even that is interrupted again every ``task.cancellation.interval``, and
code that never returns to the interpreter (a long C call) is what the TaskExecutor's
watchdog (``task.cancellation.timeout``) is for.

The task thread arms the interrupter while it runs operators and disarms it before its own
clean-up, under a lock, clearing any exception still pending, so an interrupt can never
land in the code that reports the task's final state.
"""
from __future__ import annotations

import ctypes
import threading

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


class TaskInterrupted(BaseException):
    """Raised into a cancelled task's threads to stop the user code they run."""


def raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> bool:
    """Raise ``exc_type`` in ``thread`` at its next bytecode; False if it is not running."""
    ident = thread.ident
    if ident is None or not thread.is_alive():
        return False
    return _set_async_exc(ident, exc_type) == 1


def _clear_pending(ident: int) -> None:
    _set_async_exc(ident, ctypes.py_object())  # NULL: drop an exception not yet raised


class TaskInterrupter:
    """Owned by one task; ``interrupt`` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._armed = False
        #: further threads running the task's user code (e.g. a SourceFunction's run)
        self.user_threads: list[threading.Thread] = []
        self.interrupts = 0

    def arm(self) -> None:
        """Called by the task thread when it starts running operators."""
        with self._lock:
            self._thread = threading.current_thread()
            self._armed = True

    def disarm(self) -> None:
        """Called by the task thread before its clean-up; safe to call repeatedly."""
        with self._lock:
            self._armed = False
            if self._thread is not None and self._thread.ident is not None:
                _clear_pending(self._thread.ident)

    def interrupt(self) -> bool:
        """Interrupt the task thread (if armed) and its user threads. True if any was hit."""
        hit = False
        with self._lock:
            if self._armed and self._thread is not None:
                hit = raise_in_thread(self._thread, TaskInterrupted)
        for t in list(self.user_threads):
            if t.is_alive():
                hit = raise_in_thread(t, TaskInterrupted) or hit
            else:
                self.user_threads.remove(t)
        if hit:
            self.interrupts += 1
        return hit

    def has_live_user_threads(self) -> bool:
        return any(t.is_alive() for t in self.user_threads)
