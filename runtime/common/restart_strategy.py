"""PyFlink's ``pyflink.common.restart_strategy``: restart strategy configurations.

Each configuration knows the ``restart-strategy.*`` options it stands for
(:meth:`RestartStrategyConfiguration.to_configuration`); a job applies one with
``env.configure(RestartStrategies.fixed_delay_restart(3, 1000).to_configuration())``, or
sets the options in the cluster's configuration. (PyFlink 2 has no setter that takes these
objects any more; they are kept for code that builds them.)
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

__all__ = ["RestartStrategies", "RestartStrategyConfiguration"]


def _ms(value: Any, what: str) -> int:
    if isinstance(value, _dt.timedelta):
        return int(value.total_seconds() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{what} must be an int (milliseconds) or a datetime.timedelta, got {type(value).__name__}")


class RestartStrategyConfiguration:
    """Base of the restart strategy configurations."""

    def __init__(self, j_restart_strategy_configuration: Any) -> None:
        self._options: dict[str, str] = dict(j_restart_strategy_configuration or {})

    def get_description(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self._options.items())

    def to_configuration(self) -> Any:
        """The strategy as ``restart-strategy.*`` options."""
        from runtime.common.configuration import Configuration
        return Configuration.from_dict(self._options)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RestartStrategyConfiguration) and other._options == self._options

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._options.items())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_description()})"


class RestartStrategies:
    """Factories of the restart strategy configurations."""

    class NoRestartStrategyConfiguration(RestartStrategyConfiguration):
        def __init__(self, j_restart_strategy: Any = None) -> None:
            super().__init__({"restart-strategy.type": "none"})

    class FixedDelayRestartStrategyConfiguration(RestartStrategyConfiguration):
        def __init__(self, restart_attempts: int | None = None, delay_between_attempts_interval: Any = None,
                     j_restart_strategy: Any = None) -> None:
            self._attempts = int(restart_attempts or 0)
            self._delay = _ms(delay_between_attempts_interval or 0, "delay_between_attempts_interval")
            super().__init__({"restart-strategy.type": "fixed-delay",
                              "restart-strategy.fixed-delay.attempts": str(self._attempts),
                              "restart-strategy.fixed-delay.delay": f"{self._delay} ms"})

        def get_restart_attempts(self) -> int:
            return self._attempts

        def get_delay_between_attempts_interval(self) -> _dt.timedelta:
            return _dt.timedelta(milliseconds=self._delay)

    class FailureRateRestartStrategyConfiguration(RestartStrategyConfiguration):
        def __init__(self, max_failure_rate: int | None = None, failure_interval: Any = None,
                     delay_between_attempts_interval: Any = None, j_restart_strategy: Any = None) -> None:
            self._rate = int(max_failure_rate or 0)
            self._interval = _ms(failure_interval or 0, "failure_interval")
            self._delay = _ms(delay_between_attempts_interval or 0, "delay_between_attempts_interval")
            super().__init__({"restart-strategy.type": "failure-rate",
                              "restart-strategy.failure-rate.max-failures-per-interval": str(self._rate),
                              "restart-strategy.failure-rate.failure-rate-interval": f"{self._interval} ms",
                              "restart-strategy.failure-rate.delay": f"{self._delay} ms"})

        def get_max_failure_rate(self) -> int:
            return self._rate

        def get_failure_interval(self) -> _dt.timedelta:
            return _dt.timedelta(milliseconds=self._interval)

        def get_delay_between_attempts_interval(self) -> _dt.timedelta:
            return _dt.timedelta(milliseconds=self._delay)

    class FallbackRestartStrategyConfiguration(RestartStrategyConfiguration):
        """Use the cluster's configured strategy."""

        def __init__(self, j_restart_strategy: Any = None) -> None:
            super().__init__({})

    @staticmethod
    def no_restart() -> RestartStrategies.NoRestartStrategyConfiguration:
        return RestartStrategies.NoRestartStrategyConfiguration()

    @staticmethod
    def fall_back_restart() -> RestartStrategies.FallbackRestartStrategyConfiguration:
        return RestartStrategies.FallbackRestartStrategyConfiguration()

    @staticmethod
    def fixed_delay_restart(restart_attempts: int, delay_between_attempts: Any
                            ) -> RestartStrategies.FixedDelayRestartStrategyConfiguration:
        return RestartStrategies.FixedDelayRestartStrategyConfiguration(restart_attempts, delay_between_attempts)

    @staticmethod
    def failure_rate_restart(failure_rate: int, failure_interval: Any, delay_interval: Any
                             ) -> RestartStrategies.FailureRateRestartStrategyConfiguration:
        return RestartStrategies.FailureRateRestartStrategyConfiguration(failure_rate, failure_interval, delay_interval)
