"""MetricStore (Flink's ``rest.handler.legacy.metrics.MetricStore``): the latest value of
every metric of the cluster, as the REST API and the dashboard read them.

The MetricFetcher fills it from the MetricDumps of the JobManager's own registry and of
every TaskManager's metric query; REST handlers only read it. Values are kept per
component, under Flink's metric names relative to the component:

* JobManager: ``Status.JVM.CPU.Load``, ``numRegisteredTaskManagers`` ...
* a job on the JobManager: ``uptime``, ``numRestarts``, ``lastCheckpointSize`` ...
* a TaskManager: ``Status.JVM.Memory.RSS``, ``Status.Slots.Free`` ...
* a subtask: ``numRecordsIn``, ``busyTimeMsPerSecond`` ...; the operators of its chain
  as ``<operator name>.numRecordsIn`` (user metric groups: ``<operator>.<group>.<name>``)

A vertex's metrics are its subtasks' with the subtask index in front (``0.numRecordsIn``,
``1.Map.numRecordsOut``), as Flink's ``/jobs/:jid/vertices/:vid/metrics`` lists them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from runtime.metrics.io_metrics import IOMetrics
from runtime.metrics.metric_dump import MetricDumps, MetricScope, MetricScopeKind


@dataclass
class ComponentMetricStore:
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class TaskMetricStore(ComponentMetricStore):
    """One subtask (its operators' metrics prefixed by the operator's name)."""

    attempt: int = 0
    tm_id: str = ""


class MetricStore:
    def __init__(self) -> None:
        self._jobmanager = ComponentMetricStore()
        self._jobmanager_jobs: dict[str, ComponentMetricStore] = {}
        self._taskmanagers: dict[str, ComponentMetricStore] = {}
        #: (job id, vertex id (32 hex), subtask index) -> store
        self._tasks: dict[tuple[str, str, int], TaskMetricStore] = {}

    # ------------------------------------------------------------------ filling
    def replace(self, jobmanager: MetricDumps | None, taskmanagers: dict[str, MetricDumps]) -> None:
        """Install a fresh fetch: TaskManagers that did not answer keep their last values
        (Flink's MetricStore keeps them until the TaskManager is removed)."""
        if jobmanager is not None:
            self._jobmanager = ComponentMetricStore()
            self._jobmanager_jobs = {}
            self._add(jobmanager)
        for tm_id, dumps in taskmanagers.items():
            self.remove_taskmanager(tm_id)
            self._add(dumps)

    def remove_taskmanager(self, tm_id: str) -> None:
        self._taskmanagers.pop(tm_id, None)
        for key in [k for k, v in self._tasks.items() if v.tm_id == tm_id]:
            del self._tasks[key]

    def retain_taskmanagers(self, tm_ids: set[str]) -> None:
        for tm_id in [t for t in self._taskmanagers if t not in tm_ids]:
            self.remove_taskmanager(tm_id)

    def _add(self, dumps: MetricDumps) -> None:
        for d in dumps.dumps:
            store, prefix = self._component(d.scope)
            name = ".".join((*d.scope.user, d.name))
            store.metrics[prefix + name] = d.value

    def _component(self, scope: MetricScope) -> tuple[ComponentMetricStore, str]:
        k = scope.kind
        if k is MetricScopeKind.JOBMANAGER:
            return self._jobmanager, ""
        if k is MetricScopeKind.JOBMANAGER_JOB:
            return self._jobmanager_jobs.setdefault(scope.job_id, ComponentMetricStore()), ""
        if k is MetricScopeKind.TASKMANAGER or k is MetricScopeKind.TASKMANAGER_JOB:
            return self._taskmanagers.setdefault(scope.tm_id, ComponentMetricStore()), ""
        key = (scope.job_id, scope.task_id, scope.subtask_index)
        store = self._tasks.get(key)
        if store is None or store.attempt < scope.attempt:
            store = self._tasks[key] = TaskMetricStore(attempt=scope.attempt, tm_id=scope.tm_id)
        prefix = f"{scope.operator_name}." if k is MetricScopeKind.OPERATOR else ""
        return store, prefix

    # ------------------------------------------------------------------ reading
    def jobmanager(self) -> dict[str, float]:
        return dict(self._jobmanager.metrics)

    def jobmanager_job(self, job_id: str) -> dict[str, float]:
        store = self._jobmanager_jobs.get(job_id)
        return dict(store.metrics) if store else {}

    def taskmanager(self, tm_id: str) -> dict[str, float]:
        store = self._taskmanagers.get(tm_id)
        return dict(store.metrics) if store else {}

    def task(self, job_id: str, vertex_id: str, subtask: int) -> dict[str, float]:
        store = self._tasks.get((job_id, vertex_id, subtask))
        return dict(store.metrics) if store else {}

    def vertex(self, job_id: str, vertex_id: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for (jid, vid, sub), store in self._tasks.items():
            if jid == job_id and vid == vertex_id:
                out.update({f"{sub}.{name}": value for name, value in store.metrics.items()})
        return out

    def subtasks(self, job_id: str, vertex_id: str) -> list[int]:
        return sorted(sub for (jid, vid, sub) in self._tasks if jid == job_id and vid == vertex_id)

    def io_metrics(self, job_id: str, vertex_id: str, subtask: int) -> IOMetrics | None:
        """A running subtask's figures as Flink's IOMetrics (None: nothing fetched yet)."""
        m = self.task(job_id, vertex_id, subtask)
        if not m:
            return None
        return IOMetrics(int(m.get("numRecordsIn", 0)), int(m.get("numRecordsOut", 0)),
                         int(m.get("numBytesIn", 0)), int(m.get("numBytesOut", 0)),
                         float(m.get("accumulatedBusyTime", 0.0)), float(m.get("accumulatedBackPressuredTime", 0.0)),
                         float(m.get("accumulatedIdleTime", 0.0)))
