"""What the JobManager says about jobs: results, overviews, details, output polls (Flink's
JobResult, JobDetails, JobDetailsInfo and the client's result polling)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from runtime.common.job import ExecutionState, JobID, JobStatus
from runtime.messages.ids import ResourceID

__all__ = ["JobDetails", "JobDetailsInfo", "JobPollResult", "JobResult", "JobVertexDetails", "SubtaskDetails",
           "now_ms"]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class JobResult:
    """A job's terminal outcome, as the job result store keeps it (a job with a result is
    never run again)."""

    job_id: JobID
    name: str
    state: JobStatus
    start_time: int
    end_time: int
    failure: str | None = None
    #: ExecutionState name -> number of tasks in it when the job ended
    tasks: dict[ExecutionState, int] = field(default_factory=dict)

    @property
    def duration(self) -> int:
        return max(0, (self.end_time if self.end_time > 0 else now_ms()) - self.start_time)


@dataclass
class JobDetails:
    """One line of ``pyflink list`` / ``/jobs/overview``."""

    job_id: JobID
    name: str
    state: JobStatus
    start_time: int
    end_time: int = -1
    tasks: dict[ExecutionState, int] = field(default_factory=dict)

    @property
    def duration(self) -> int:
        return max(0, (self.end_time if self.end_time > 0 else now_ms()) - self.start_time)

    @staticmethod
    def of(result: JobResult) -> JobDetails:
        return JobDetails(result.job_id, result.name, result.state, result.start_time, result.end_time,
                          dict(result.tasks))


@dataclass
class SubtaskDetails:
    subtask: int
    status: ExecutionState
    attempt: int
    taskmanager_id: ResourceID | None = None


@dataclass
class JobVertexDetails:
    id: int
    name: str
    parallelism: int
    status: ExecutionState
    subtasks: list[SubtaskDetails] = field(default_factory=list)
    #: Flink's 32-hex JobVertexID of the vertex (``JobVertex.hex_id``), as REST shows it
    hex_id: str = ""


@dataclass
class JobDetailsInfo:
    """``/jobs/<id>``: the overview, the vertices with their subtasks, status timestamps and
    the plan."""

    details: JobDetails
    failure: str | None = None
    vertices: list[JobVertexDetails] = field(default_factory=list)
    timestamps: dict[JobStatus, int] = field(default_factory=dict)
    plan_json: str = "{}"


@dataclass
class JobPollResult:
    """One long poll of an attached client: new printed output, collected results, and the
    result once the job has ended (and the Dispatcher has recorded it)."""

    status: JobStatus
    output: str = ""
    offset: int = 0
    #: output is left to read (a burst is streamed over several polls)
    more: bool = False
    collected: list[bytes] = field(default_factory=list)
    collect_offset: int = 0
    result: JobResult | None = None
