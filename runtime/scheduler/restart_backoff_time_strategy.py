"""RestartBackoffTimeStrategy (Flink's): after a failure, may the job restart, and after how long?

``restart-strategy.type`` picks one: ``none``; ``fixed-delay`` (``attempts`` restarts, each
after ``delay``); ``exponential-delay`` (the pause starts at ``initial-backoff`` and grows by
``backoff-multiplier`` up to ``max-backoff``, with ``jitter-factor`` randomness; after
``reset-backoff-threshold`` without failure it starts over; at most
``attempts-before-reset-backoff`` restarts in a row); ``failure-rate`` (fails the job once
more than ``max-failures-per-interval`` failures fall into one ``failure-rate-interval``).
Unset, it is exponential-delay when checkpointing is on and none otherwise, as in Flink.
"""
from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable

from runtime.configuration import options as opts
from runtime.configuration.configuration import Configuration


class RestartBackoffTimeStrategy:
    name = "none"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock

    def notify_failure(self) -> None:
        """A failure happened now."""

    def can_restart(self) -> bool:
        return False

    def backoff_ms(self) -> int:
        return 0

    def describe(self) -> str:
        return "no restarts (restart-strategy.type: none)"


class NoRestartBackoffTimeStrategy(RestartBackoffTimeStrategy):
    pass


class FixedDelayRestartBackoffTimeStrategy(RestartBackoffTimeStrategy):
    name = "fixed-delay"

    def __init__(self, attempts: int, delay_ms: int, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.attempts = attempts
        self.delay_ms = delay_ms
        self.failures = 0

    def notify_failure(self) -> None:
        self.failures += 1

    def can_restart(self) -> bool:
        return self.failures <= self.attempts

    def backoff_ms(self) -> int:
        return self.delay_ms

    def describe(self) -> str:
        return f"fixed-delay: {self.attempts} restart(s), {self.delay_ms} ms apart"


class ExponentialDelayRestartBackoffTimeStrategy(RestartBackoffTimeStrategy):
    name = "exponential-delay"

    def __init__(self, initial_ms: int, max_ms: int, multiplier: float, reset_threshold_ms: int, jitter: float,
                 attempts_before_reset: int, clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        super().__init__(clock)
        self.initial_ms = initial_ms
        self.max_ms = max_ms
        self.multiplier = multiplier
        self.reset_threshold_ms = reset_threshold_ms
        self.jitter = jitter
        self.attempts_before_reset = attempts_before_reset
        self.rng = rng or random.Random()
        self.current_ms = 0.0
        self.attempts = 0
        self.last_failure: float | None = None

    def notify_failure(self) -> None:
        now = self.clock()
        if self.last_failure is not None and (now - self.last_failure) * 1000 >= self.reset_threshold_ms + \
                self.current_ms:
            self.current_ms = 0.0   # long enough without failure: start over
            self.attempts = 0
        self.last_failure = now
        self.attempts += 1
        if self.current_ms == 0.0:
            self.current_ms = float(self.initial_ms)
        else:
            self.current_ms = min(self.current_ms * self.multiplier, float(self.max_ms))

    def can_restart(self) -> bool:
        return self.attempts <= self.attempts_before_reset

    def backoff_ms(self) -> int:
        spread = self.current_ms * self.jitter
        value = self.current_ms + (self.rng.uniform(-spread, spread) if spread else 0.0)
        return max(0, min(int(value), self.max_ms))

    def describe(self) -> str:
        return (f"exponential-delay: {self.initial_ms} ms growing x{self.multiplier:g} up to {self.max_ms} ms, "
                f"at most {self.attempts_before_reset} restart(s) in a row")


class FailureRateRestartBackoffTimeStrategy(RestartBackoffTimeStrategy):
    name = "failure-rate"

    def __init__(self, max_failures: int, interval_ms: int, delay_ms: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.max_failures = max_failures
        self.interval_ms = interval_ms
        self.delay_ms = delay_ms
        self.failures: deque[float] = deque()

    def notify_failure(self) -> None:
        now = self.clock()
        self.failures.append(now)
        while self.failures and (now - self.failures[0]) * 1000 > self.interval_ms:
            self.failures.popleft()

    def can_restart(self) -> bool:
        return len(self.failures) <= self.max_failures

    def backoff_ms(self) -> int:
        return self.delay_ms

    def describe(self) -> str:
        return f"failure-rate: at most {self.max_failures} failure(s) per {self.interval_ms} ms"


def create_restart_strategy(config: Configuration) -> RestartBackoffTimeStrategy:
    """Flink's RestartBackoffTimeStrategyFactoryLoader, for one job's configuration."""
    kind = config.get(opts.RESTART_STRATEGY)
    if not kind:
        kind = "exponential-delay" if config.get(opts.CHECKPOINTING_INTERVAL) > 0 else "none"
    if kind == "fixed-delay":
        return FixedDelayRestartBackoffTimeStrategy(config.get(opts.RESTART_FIXED_DELAY_ATTEMPTS),
                                                    config.get(opts.RESTART_FIXED_DELAY_DELAY))
    if kind == "exponential-delay":
        return ExponentialDelayRestartBackoffTimeStrategy(
            config.get(opts.RESTART_EXPONENTIAL_INITIAL_BACKOFF), config.get(opts.RESTART_EXPONENTIAL_MAX_BACKOFF),
            config.get(opts.RESTART_EXPONENTIAL_MULTIPLIER), config.get(opts.RESTART_EXPONENTIAL_RESET_THRESHOLD),
            config.get(opts.RESTART_EXPONENTIAL_JITTER), config.get(opts.RESTART_EXPONENTIAL_ATTEMPTS))
    if kind == "failure-rate":
        return FailureRateRestartBackoffTimeStrategy(config.get(opts.RESTART_FAILURE_RATE_MAX_FAILURES),
                                                     config.get(opts.RESTART_FAILURE_RATE_INTERVAL),
                                                     config.get(opts.RESTART_FAILURE_RATE_DELAY))
    return NoRestartBackoffTimeStrategy()
