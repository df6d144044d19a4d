"""TaskMetricGroup (Flink's): the metric group of one subtask attempt on a TaskManager, and
the operator groups of its chain below it (Flink's InternalOperatorMetricGroup).

Created by the TaskExecutor when it deploys the task (the scope names the job, the vertex,
the subtask and the attempt) and closed when the task has ended and its final IOMetrics are
taken, so a finished task's metrics stop being reported."""
from __future__ import annotations

import hashlib
from dataclasses import replace

from runtime.metrics.metric_dump import MetricScope, MetricScopeKind
from runtime.metrics.metric_group import MetricGroup
from runtime.metrics.task_io_metrics import TaskIOMetrics


class TaskMetricGroup:
    def __init__(self, scope: MetricScope, registry: object) -> None:
        assert scope.kind is MetricScopeKind.TASK
        self.scope = scope
        self.registry = registry
        self.group = MetricGroup(scope, registry)
        self.io = TaskIOMetrics(self.group)
        self.operators: list[MetricGroup] = []

    def operator(self, name: str, operator_id: str) -> MetricGroup:
        """The group of one operator of the chain (two operators of one name stay apart by id)."""
        taken = {g.scope.operator_name for g in self.operators if g.scope is not None}
        shown = name if name not in taken else f"{name}_{len(self.operators)}"
        # Flink's OperatorID: 32 hex characters, stable for the operator's uid
        hex_id = hashlib.md5(f"{self.scope.task_id}/{operator_id or shown}".encode(), usedforsecurity=False).hexdigest()
        scope = replace(self.scope, kind=MetricScopeKind.OPERATOR, operator_id=hex_id, operator_name=shown)
        group = MetricGroup(scope, self.registry)
        self.operators.append(group)
        return group

    def close(self) -> None:
        for g in self.operators:
            g.close()
        self.group.close()
