from enum import Enum


class TimeDomain(Enum):
    """Which clock fired a timer (``OnTimerContext.time_domain()``)."""
    EVENT_TIME = 0
    PROCESSING_TIME = 1
