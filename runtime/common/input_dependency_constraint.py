"""PyFlink's ``pyflink.common.input_dependency_constraint`` (a batch scheduling hint of
Flink 1.x; accepted, the scheduler here deploys a job's tasks together)."""
from enum import Enum

__all__ = ["InputDependencyConstraint"]


class InputDependencyConstraint(Enum):
    """Schedule a task when ANY of its inputs, or ALL of them, are consumable."""

    ANY = 0
    ALL = 1
