"""DispatcherGateway: the Dispatcher's RPC face (Flink's DispatcherGateway), used by the CLI
(through ``runtime.rpc.client.SyncGateway``), job programs, the REST endpoint and the
entrypoint. Everything in it is typed with ``runtime.messages``; the Dispatcher endpoint
implements it.

The message types of the methods (a job graph, job details, the monitoring answers the REST
side asks for, log chunks) are imported when a caller first uses such a method: a client
command starts a new interpreter and calls one or two of them (``run -d`` only
``submit_job``), and importing them all would cost it more than its RPC round trip."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from runtime.common.job import JobID
from runtime.util.lazy_names import import_on_first_use

if TYPE_CHECKING:
    from runtime.jobgraph.job_graph import JobGraph
    from runtime.messages.archived_execution_graph import ExecutionGraphInfo
    from runtime.messages.checkpoint_stats import CheckpointStatistics
    from runtime.messages.job_messages import JobDetails, JobDetailsInfo, JobPollResult
    from runtime.messages.log_messages import JobOutput, JobOutputCursor, LogFileChunk, LogFileType, LogInfo
    from runtime.messages.taskmanager_messages import ClusterOverview, TaskManagerInfo

NAME = "dispatcher"

#: the names above under TYPE_CHECKING -> their modules (runtime.rpc.signatures resolves a
#: method's annotations through the module's __getattr__)
_ON_FIRST_USE = {
    "JobGraph": "runtime.jobgraph.job_graph",
    "ExecutionGraphInfo": "runtime.messages.archived_execution_graph",
    "CheckpointStatistics": "runtime.messages.checkpoint_stats",
    "ClusterOverview": "runtime.messages.taskmanager_messages",
    "TaskManagerInfo": "runtime.messages.taskmanager_messages",
    **dict.fromkeys(("JobDetails", "JobDetailsInfo", "JobPollResult"), "runtime.messages.job_messages"),
    **dict.fromkeys(("JobOutput", "JobOutputCursor", "LogFileChunk", "LogFileType", "LogInfo"),
                    "runtime.messages.log_messages"),
}


def __getattr__(name: str) -> Any:
    return import_on_first_use(globals(), _ON_FIRST_USE, name)


class DispatcherGateway(Protocol):
    async def submit_job(self, job_graph: JobGraph, archive: bytes | None = None) -> JobID:
        """Persist the graph (refused if invalid, naming the field) and run it."""

    async def list_jobs(self) -> list[JobDetails]: ...

    async def resolve_job_id(self, prefix: str) -> JobID:
        """The job whose id starts with ``prefix`` (an error if none or several)."""

    async def request_job(self, job_id: str) -> JobDetailsInfo: ...

    async def request_execution_graph_info(self, job_id: str) -> ExecutionGraphInfo:
        """The job's vertices, subtasks, plan, configuration, checkpoints and failures, while it
        runs and after it ended (from the job store)."""

    async def cancel_job(self, job_id: str) -> JobDetails:
        """Record the job as CANCELED for good and start cancelling its tasks; returns at
        once (state CANCELLING until the tasks are gone, then CANCELED)."""

    async def poll_job(self, job_id: str, offset: int = 0, collect_offset: int = 0, timeout: float = 1.0,
                       ack: int | None = None) -> JobPollResult: ...

    async def trigger_savepoint(self, job_id: str, target_directory: str | None = None) -> str:
        """Take a savepoint of a running job; returns its directory."""

    async def stop_with_savepoint(self, job_id: str, target_directory: str | None = None, drain: bool = False) -> str:
        """Take a savepoint and stop the job with it (FINISHED); returns the savepoint's directory."""

    async def request_checkpoint_stats(self, job_id: str) -> CheckpointStatistics: ...

    async def cluster_overview(self) -> ClusterOverview: ...

    async def list_task_managers(self) -> list[TaskManagerInfo]: ...

    async def request_job_output(self, job_id: str, cursor: JobOutputCursor, max_bytes: int = ...) -> JobOutput:
        """What the job printed on the TaskManagers that hold some of it, after ``cursor``
        (``pyflink logs``; also for detached and finished jobs); at most ``max_bytes``, by
        default and at most ``log_messages.MAX_CHUNK_BYTES``."""

    async def request_sink_records(self, job_id: str) -> int | None:
        """Records the job's sinks have taken in so far (None: not known yet, or no metrics)."""

    async def request_task_manager_log_list(self, taskmanager_id: str) -> list[LogInfo]:
        """A TaskManager's .log and .out files (LookupError: no such TaskManager)."""

    async def request_task_manager_log_file(self, taskmanager_id: str, file_type: LogFileType, name: str,
                                            offset: int, max_bytes: int) -> LogFileChunk:
        """A chunk of a TaskManager's log, stdout or listed file (LookupError: unknown file)."""

    async def shutdown_cluster(self) -> list[JobID]:
        """Cancel every job for good (recorded before anything else), then stop the cluster.
        Returns the jobs that were running."""
