"""TaskDeploymentDescriptor: everything a TaskManager needs to run one subtask attempt
(Flink's ``org.apache.flink.runtime.deployment``).

Built by the scheduler from the ExecutionGraph, decoded and validated by the TaskExecutor
(``runtime.messages.codec``) before the task is created.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from runtime.common.job import JobID
from runtime.jobgraph.job_graph import MAX_PARALLELISM_CAP
from runtime.messages.checkpoint_messages import TaskRestore
from runtime.messages.ids import AllocationID, ExecutionAttemptID, JobMasterId, ResourceID

__all__ = ["InputChannelDeploymentDescriptor", "InputGateDeploymentDescriptor", "JobMasterAddress",
           "ResultPartitionDeploymentDescriptor", "TaskDeploymentDescriptor", "result_partition_id"]

_PARTITION_ID = re.compile(r"[0-9a-f]{32}:[0-9a-f]{32}:\d{1,9}")


def result_partition_id(job_id: JobID, producer: ExecutionAttemptID, edge_id: int) -> str:
    """The id of the partition one producer attempt writes for one edge (job:attempt:edge),
    also what a consumer asks a remote TaskManager for."""
    return f"{job_id}:{producer}:{edge_id}"


@dataclass(frozen=True)
class JobMasterAddress:
    """Where a JobMaster is reached (its RPC endpoint name) and its fencing token."""

    target: str
    token: JobMasterId

    def validate(self) -> None:
        if not re.fullmatch(r"jobmaster-[0-9a-f]{32}", self.target):
            raise ValueError(f"target: {self.target!r:.60} is not a JobMaster endpoint name")


@dataclass
class ResultPartitionDeploymentDescriptor:
    edge: int
    partition_id: str
    num_subpartitions: int

    def validate(self) -> None:
        if not _PARTITION_ID.fullmatch(self.partition_id):
            raise ValueError(f"partition_id: malformed {self.partition_id!r:.80}")
        if not 1 <= self.num_subpartitions <= MAX_PARALLELISM_CAP:
            raise ValueError(f"num_subpartitions: {self.num_subpartitions} is out of range")


@dataclass
class InputChannelDeploymentDescriptor:
    partition_id: str
    subpartition: int
    #: TaskManager producing the partition, and its data address (for a remote channel)
    location: ResourceID
    address: str

    def validate(self) -> None:
        if not _PARTITION_ID.fullmatch(self.partition_id):
            raise ValueError(f"partition_id: malformed {self.partition_id!r:.80}")
        if not 0 <= self.subpartition < MAX_PARALLELISM_CAP:
            raise ValueError(f"subpartition: {self.subpartition} is out of range")
        if len(self.address) > 512:
            raise ValueError("address: too long")


@dataclass
class InputGateDeploymentDescriptor:
    edge: int
    input_index: int
    channels: list[InputChannelDeploymentDescriptor]

    def validate(self) -> None:
        if self.input_index not in (0, 1):
            raise ValueError(f"input_index: {self.input_index} is not 0 or 1")
        if not self.channels:
            raise ValueError("channels: an input gate needs at least one channel")


@dataclass
class TaskDeploymentDescriptor:
    job_id: JobID
    execution_id: ExecutionAttemptID
    allocation_id: AllocationID
    vertex_id: int
    task_name: str
    subtask_index: int
    parallelism: int
    max_parallelism: int
    attempt: int
    #: cloudpickled operator chain of the vertex (loaded only here, on the TaskManager)
    chain: bytes
    jobmaster: JobMasterAddress
    outputs: list[ResultPartitionDeploymentDescriptor] = field(default_factory=list)
    inputs: list[InputGateDeploymentDescriptor] = field(default_factory=list)
    #: job configuration (option key -> string), turned into a typed TaskConfig by the task
    config: dict[str, str] = field(default_factory=dict)
    job_parameters: dict[str, str] = field(default_factory=dict)
    #: the state to start from (a checkpoint or savepoint); None: an empty start
    restore: TaskRestore | None = None
    #: the job's name (the task's metrics carry it as Flink's <job_name> scope variable)
    job_name: str = ""
    #: the vertex's JobVertexID as Flink shows it (32 hex; the <task_id> of its metrics)
    vertex_hex_id: str = ""

    def validate(self) -> None:
        if not 1 <= self.max_parallelism <= MAX_PARALLELISM_CAP:
            raise ValueError(f"max_parallelism: {self.max_parallelism} is out of range")
        if not 1 <= self.parallelism <= self.max_parallelism:
            raise ValueError(f"parallelism: {self.parallelism} is out of range")
        if not 0 <= self.subtask_index < self.parallelism:
            raise ValueError(f"subtask_index: {self.subtask_index} is not below the parallelism")
        if self.attempt < 0:
            raise ValueError(f"attempt: {self.attempt} is negative")
        if not self.chain:
            raise ValueError("chain: empty")
