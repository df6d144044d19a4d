"""Metric values as they travel from the processes that own them to the JobManager's
MetricStore (Flink's MetricDump / MetricDumpSerialization and QueryScopeInfo).

A dump is one value of one metric with the scope it belongs to: the JobManager, a job on the
JobManager, a TaskManager, a task (one subtask of a vertex) or an operator in it. User metric
groups add name components (``get_metrics_group().add_group("g")``) and, for key/value groups,
labels.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class MetricScopeKind(enum.Enum):
    JOBMANAGER = "jobmanager"
    JOBMANAGER_JOB = "jobmanager_job"
    TASKMANAGER = "taskmanager"
    TASKMANAGER_JOB = "taskmanager_job"
    TASK = "taskmanager_job_task"
    OPERATOR = "taskmanager_job_task_operator"


@dataclass(frozen=True)
class MetricScope:
    kind: MetricScopeKind
    host: str = ""
    tm_id: str = ""
    job_id: str = ""
    job_name: str = ""
    task_id: str = ""            # the JobVertex id
    task_name: str = ""
    subtask_index: int = -1
    attempt: int = 0
    operator_id: str = ""
    operator_name: str = ""
    #: user groups below the scope (``add_group``), outermost first
    user: tuple[str, ...] = ()
    #: labels of user key/value groups (``add_group(key, value)``)
    user_labels: tuple[tuple[str, str], ...] = ()

    def labels(self) -> dict[str, str]:
        """Flink's scope variables (``<host>``, ``<job_id>``, ...) as Prometheus labels."""
        out = {"host": self.host}
        k = self.kind
        if k is not MetricScopeKind.JOBMANAGER and k is not MetricScopeKind.JOBMANAGER_JOB:
            out["tm_id"] = self.tm_id
        if k not in (MetricScopeKind.JOBMANAGER, MetricScopeKind.TASKMANAGER):
            out["job_id"] = self.job_id
            out["job_name"] = self.job_name
        if k in (MetricScopeKind.TASK, MetricScopeKind.OPERATOR):
            out.update(task_id=self.task_id, task_name=self.task_name, subtask_index=str(self.subtask_index),
                       task_attempt_num=str(self.attempt))
        if k is MetricScopeKind.OPERATOR:
            out.update(operator_id=self.operator_id, operator_name=self.operator_name)
        out.update(dict(self.user_labels))
        return out


@dataclass
class MetricDump:
    scope: MetricScope
    name: str
    #: counters and gauges: their value; meters: the rate (count in ``count``)
    value: float
    count: int | None = None


@dataclass
class MetricDumps:
    dumps: list[MetricDump] = field(default_factory=list)
    #: milliseconds since the epoch when the dump was taken
    timestamp: int = 0
