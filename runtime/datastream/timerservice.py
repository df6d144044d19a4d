"""PyFlink's ``pyflink.datastream.timerservice``: the ``TimerService`` interface that
``ctx.timer_service()`` returns in process functions.

The implementation is the task's ``runtime.streaming.timer_service.TimerServiceFacade``
(registered here as a virtual subclass, so ``isinstance(ctx.timer_service(), TimerService)``
holds and job code can annotate with PyFlink's name).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from runtime.streaming.timer_service import TimerServiceFacade

__all__ = ["TimerService"]


class TimerService(ABC):
    """Current processing time and watermark; event- and processing-time timers of the
    current key (keyed functions only)."""

    @abstractmethod
    def current_processing_time(self) -> int: ...

    @abstractmethod
    def current_watermark(self) -> int: ...

    @abstractmethod
    def register_processing_time_timer(self, timestamp: int) -> None: ...

    @abstractmethod
    def register_event_time_timer(self, timestamp: int) -> None: ...

    def delete_processing_time_timer(self, timestamp: int) -> None:
        raise NotImplementedError

    def delete_event_time_timer(self, timestamp: int) -> None:
        raise NotImplementedError


TimerService.register(TimerServiceFacade)
