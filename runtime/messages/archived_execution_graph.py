"""A job's execution graph as a plain, serializable snapshot (Flink's ArchivedExecutionGraph,
ArchivedExecutionJobVertex, ArchivedExecution, ExceptionHistoryEntry and ExecutionGraphInfo).

The JobMaster builds one from its live scheduler whenever the REST API asks about a running
job, and once more when the job ends; the Dispatcher keeps the final one in its
ExecutionGraphInfoStore, so ``/jobs/:id``, its vertices, plan, exceptions, configuration,
checkpoints and final figures answer the same way while the job runs, after it ended, and
after a JobManager restart. Everything here is data; the REST layer turns it into Flink's
JSON (``runtime.messages.flink_json_jobs``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from runtime.common.job import ExecutionState, JobID, JobStatus
from runtime.messages.checkpoint_stats import CheckpointStatistics
from runtime.messages.job_messages import JobDetails
from runtime.metrics.io_metrics import IOMetrics

__all__ = ["ArchivedExecution", "ArchivedExecutionGraph", "ArchivedExecutionJobVertex", "ArchivedJobEdge",
           "ExceptionHistoryEntry", "ExecutionGraphInfo"]


@dataclass
class ArchivedExecution:
    """The current attempt of one subtask (Flink's ArchivedExecution)."""

    subtask: int
    attempt: int
    state: ExecutionState
    #: when the attempt entered each state it went through, in ms since the epoch
    state_timestamps: dict[ExecutionState, int] = field(default_factory=dict)
    #: the TaskManager's resource id, its host and data port (None/"": not deployed)
    taskmanager_id: str | None = None
    host: str = ""
    data_port: int = 0
    failure: str | None = None
    #: the index of the TaskManager slot it runs in (-1: none)
    slot_index: int = -1
    #: the attempt's final figures, reported with its terminal state (None: not (yet) reported)
    io_metrics: IOMetrics | None = None

    @property
    def endpoint(self) -> str:
        """``host:dataPort``, Flink's TaskManagerLocation endpoint ("(unassigned)" before deployment)."""
        return f"{self.host}:{self.data_port}" if self.host else "(unassigned)"

    @property
    def start_time(self) -> int:
        """Flink's rule: the attempt started when it was deployed (-1 before)."""
        return self.state_timestamps.get(ExecutionState.DEPLOYING, -1)

    @property
    def end_time(self) -> int:
        if not self.state.is_terminal():
            return -1
        return self.state_timestamps.get(self.state, -1)


@dataclass
class ArchivedExecutionJobVertex:
    """One JobVertex (an operator chain) with its subtasks (Flink's ArchivedExecutionJobVertex)."""

    id: int
    #: the 32-hex JobVertexID the REST API shows (``JobVertex.hex_id``)
    hex_id: str
    name: str
    parallelism: int
    max_parallelism: int
    slot_sharing_group: str
    #: the chained operators' names, head first
    operators: list[str] = field(default_factory=list)
    subtasks: list[ArchivedExecution] = field(default_factory=list)


@dataclass
class ArchivedJobEdge:
    """An edge between two vertices of the plan (Flink's plan ``inputs``)."""

    source: int
    target: int
    ship_strategy: str
    input_index: int = 0


@dataclass
class ExceptionHistoryEntry:
    """One failure (Flink's ExceptionHistoryEntry / RootExceptionHistoryEntry).

    A root entry is a failure the scheduler handled (restart or job failure); failures of
    other tasks that followed it before the job restarted or failed are its
    ``concurrent`` entries. Task failures name the task and the TaskManager it ran on;
    global failures (no slots, a failed restore, too many failed checkpoints) do not.
    """

    exception_name: str
    stacktrace: str
    timestamp: int
    task_name: str | None = None
    endpoint: str | None = None
    taskmanager_id: str | None = None
    failure_labels: dict[str, str] = field(default_factory=dict)
    concurrent: list[ExceptionHistoryEntry] = field(default_factory=list)


@dataclass
class ArchivedExecutionGraph:
    """Everything the job endpoints of the REST API show (Flink's ArchivedExecutionGraph)."""

    job_id: JobID
    name: str
    state: JobStatus
    #: when the job entered each status, in ms since the epoch
    status_timestamps: dict[JobStatus, int]
    start_time: int
    end_time: int = -1
    failure: str | None = None
    #: STREAMING or BATCH (``execution.runtime-mode`` as the job resolved it)
    job_type: str = "STREAMING"
    vertices: list[ArchivedExecutionJobVertex] = field(default_factory=list)
    edges: list[ArchivedJobEdge] = field(default_factory=list)
    #: the job's configuration (option key -> value) and its parameters
    job_config: dict[str, str] = field(default_factory=dict)
    job_parameters: dict[str, str] = field(default_factory=dict)
    restart_strategy: str = ""
    num_restarts: int = 0
    checkpoint_stats: CheckpointStatistics = field(default_factory=CheckpointStatistics)

    def vertex(self, hex_id: str) -> ArchivedExecutionJobVertex | None:
        for v in self.vertices:
            if v.hex_id == hex_id:
                return v
        return None

    def task_counts(self) -> dict[ExecutionState, int]:
        counts: dict[ExecutionState, int] = {}
        for v in self.vertices:
            for s in v.subtasks:
                counts[s.state] = counts.get(s.state, 0) + 1
        return counts

    def job_details(self) -> JobDetails:
        return JobDetails(self.job_id, self.name, self.state, self.start_time, self.end_time, self.task_counts())


@dataclass
class ExecutionGraphInfo:
    """The archived graph and its exception history, newest root failure first (Flink's
    ExecutionGraphInfo)."""

    archived_execution_graph: ArchivedExecutionGraph
    exception_history: list[ExceptionHistoryEntry] = field(default_factory=list)

    @property
    def job_id(self) -> JobID:
        return self.archived_execution_graph.job_id
