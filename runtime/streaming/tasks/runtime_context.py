"""StreamingRuntimeContext: what a task tells its user functions about where they run.

It implements PyFlink's ``RuntimeContext`` interface (``runtime.datastream.functions``
registers it as such) without depending on the DataStream API.
"""
from __future__ import annotations

from typing import Any


class StreamingRuntimeContext:
    """The RuntimeContext a task hands to its functions' ``open`` (Flink's
    StreamingRuntimeContext): subtask identity, job parameters, metrics, and keyed state of
    the operator's backend (attached by keyed operators)."""

    def __init__(self, task_name: str, subtask_index: int, parallelism: int, attempt_number: int = 0,
                 max_parallelism: int = 128, job_id: str = "", job_parameters: dict | None = None) -> None:
        self._task_name = task_name
        self._subtask_index = subtask_index
        self._parallelism = parallelism
        self._attempt_number = attempt_number
        self._max_parallelism = max_parallelism
        self._job_id = job_id
        self._job_parameters = dict(job_parameters or {})
        self._state_backend: Any = None  # attached by keyed operators
        self._metrics: Any = None  # the operator's metric group, attached by the operator chain

    def get_task_name(self) -> str:
        return self._task_name

    def get_number_of_parallel_subtasks(self) -> int:
        return self._parallelism

    def get_max_number_of_parallel_subtasks(self) -> int:
        return self._max_parallelism

    def get_index_of_this_subtask(self) -> int:
        return self._subtask_index

    def get_attempt_number(self) -> int:
        return self._attempt_number

    def get_task_name_with_subtasks(self) -> str:
        return f"{self._task_name} ({self._subtask_index + 1}/{self._parallelism})#{self._attempt_number}"

    def get_job_parameter(self, key: str, default_value: str) -> str:
        return self._job_parameters.get(key, default_value)

    def get_metrics_group(self) -> Any:
        """The operator's metric group (Flink's OperatorMetricGroup); metrics and groups added
        to it are reported under the operator's scope."""
        if self._metrics is None:  # a chain run without metrics: an unreported group
            from runtime.metrics.metric_group import MetricGroup
            self._metrics = MetricGroup([self._task_name, str(self._subtask_index)])
        return self._metrics

    # keyed state accessors (state backend attached by keyed operators)
    def _backend(self) -> Any:
        if self._state_backend is None:
            raise RuntimeError("keyed state is only available on a KeyedStream (after key_by)")
        return self._state_backend

    def get_state(self, state_descriptor):
        return self._backend().get_state(state_descriptor)

    def get_list_state(self, state_descriptor):
        return self._backend().get_list_state(state_descriptor)

    def get_map_state(self, state_descriptor):
        return self._backend().get_map_state(state_descriptor)

    def get_reducing_state(self, state_descriptor):
        return self._backend().get_reducing_state(state_descriptor)

    def get_aggregating_state(self, state_descriptor):
        return self._backend().get_aggregating_state(state_descriptor)
