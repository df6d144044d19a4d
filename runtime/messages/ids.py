"""Identifiers of the control plane (Flink's ResourceID, AllocationID, ExecutionAttemptID,
JobMasterId; the JobID is ``runtime.common.job.JobID``).

Each is a small frozen dataclass rather than a bare string so that an allocation id can
never be passed where an execution id is expected, and so that one received from a peer is
checked for its form when it is decoded (``runtime.messages.codec``): hex ids are 32
lowercase hex digits, a ResourceID is a short printable name. On the wire each is its string.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from runtime.common.job import JobID
from runtime.messages.codec import register_scalar

__all__ = ["AllocationID", "ExecutionAttemptID", "JobID", "JobMasterId", "ResourceID"]

_HEX32 = re.compile(r"[0-9a-f]{32}")
_RESOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


def _random_hex() -> str:
    return os.urandom(16).hex()


@dataclass(frozen=True, slots=True)
class _HexId:
    """The subclasses take everything from here (``__slots__ = ()`` keeps them slotted):
    dataclass's generated methods compare ``__class__`` first, so an AllocationID never
    equals an ExecutionAttemptID of the same digits, and ``repr`` names the subclass. Not
    decorating each one saves every client command three class generations (~1 ms)."""

    value: str

    def __post_init__(self) -> None:
        if type(self.value) is not str or not _HEX32.fullmatch(self.value):
            raise ValueError(f"malformed {type(self).__name__} {self.value!r:.40}: expected 32 hex digits")

    def __str__(self) -> str:
        return self.value

    @classmethod
    def generate(cls):  # type: ignore[no-untyped-def]
        return cls(_random_hex())


class AllocationID(_HexId):
    """One allocation of one slot to one job (changes on every allocation)."""

    __slots__ = ()


class ExecutionAttemptID(_HexId):
    """One attempt of one subtask; also names the result partitions the attempt produces."""

    __slots__ = ()


class JobMasterId(_HexId):
    """Fencing token of one JobMaster incarnation: calls meant for a previous one are refused."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ResourceID:
    """A TaskManager's identity (``tm-<host>-<pid>`` unless ``taskmanager.resource-id`` is set)."""

    value: str

    def __post_init__(self) -> None:
        if type(self.value) is not str or not _RESOURCE.fullmatch(self.value):
            raise ValueError(f"malformed ResourceID {self.value!r:.40}: expected up to 128 letters, "
                             "digits and ._:@-")

    def __str__(self) -> str:
        return self.value


for _cls in (AllocationID, ExecutionAttemptID, JobMasterId, ResourceID):
    register_scalar(_cls, str, _cls)
register_scalar(JobID, str, lambda v: JobID.from_hex(v) if type(v) is str and _HEX32.fullmatch(v) else _bad_job_id(v))


def _bad_job_id(value: object) -> JobID:
    raise ValueError(f"malformed JobID {value!r:.40}: expected 32 lowercase hex digits")
