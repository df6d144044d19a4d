"""TaskContext: what a StreamTask gives each operator of its chain (identity of the subtask,
the typed task configuration, the keyed state backend, the RuntimeContext for user functions,
and the hooks an operator needs from its task)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.metrics.task_metric_group import TaskMetricGroup
from runtime.streaming.tasks.runtime_context import StreamingRuntimeContext
from runtime.streaming.tasks.task_config import TaskConfig


def _no_publish(kind: str, payload: Any) -> None:
    return None


@dataclass
class TaskContext:
    job_id: str
    task_name: str
    subtask_index: int
    parallelism: int
    max_parallelism: int
    attempt: int
    runtime_context: StreamingRuntimeContext
    task_config: TaskConfig = field(default_factory=TaskConfig)
    keyed_state_backend: Any = None
    #: ships job data (collected results) to the JobMaster: publish(kind, payload)
    publish: Callable[[str, Any], None] = _no_publish
    #: threads an operator starts to run user code (a SourceFunction's ``run``): the task
    #: interrupts them too when it is cancelled
    user_threads: list[threading.Thread] = field(default_factory=list)
    #: runs first in each such thread, as in the task's own (binds what it prints to the job)
    thread_hook: Callable[[], None] | None = None
    #: the task's metric group (None when a chain runs without metrics, as in unit tests)
    metrics: TaskMetricGroup | None = None
