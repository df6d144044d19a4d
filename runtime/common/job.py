"""Job identity, job/task states and the result of an execution, as in Flink.

These types cross every boundary in the system (CLI ↔ Dispatcher ↔ JobMaster ↔
TaskExecutor ↔ REST), so they are plain values: enums whose ``value`` is the state's
name (what Flink's REST API and CLI print, e.g. ``"RUNNING"``), and a ``JobID`` that
serialises as its 32-character hex string.

PyFlink's enums use small integers as values; nothing in PyFlink's public API exposes
those numbers, and string values make JSON and log output self-describing, so this
module uses the names instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import Enum
from functools import total_ordering
from typing import Any

__all__ = [
    "JobID",
    "JobStatus",
    "ExecutionState",
    "JobExecutionResult",
    "RuntimeExecutionMode",
]

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_MASK64 = (1 << 64) - 1


@total_ordering
class JobID:
    """A 128-bit job identifier, shown as 32 lowercase hex digits (Flink's ``JobID``).

    The hex form is the upper 64 bits followed by the lower 64 bits, each big-endian,
    which is how Flink's ``AbstractID.toHexString`` lays them out; so an id printed by
    a real Flink cluster parses to the same two halves here.
    """

    __slots__ = ("_value",)

    def __init__(self, lower_part: int | None = None, upper_part: int | None = None) -> None:
        """Build from Java's two 64-bit halves, or a random id when both are omitted."""
        if lower_part is None and upper_part is None:
            self._value = int.from_bytes(os.urandom(16), "big")
            return
        if lower_part is None or upper_part is None:
            raise ValueError("JobID needs both lower_part and upper_part, or neither")
        self._value = ((upper_part & _MASK64) << 64) | (lower_part & _MASK64)

    @staticmethod
    def generate() -> JobID:
        """A new random id."""
        return JobID()

    @staticmethod
    def from_hex(hex_string: str) -> JobID:
        """Parse a 32-digit hex id (either case); anything else is a ``ValueError``
        naming the bad input, since ids usually come from a user's command line."""
        if not isinstance(hex_string, str):
            raise TypeError(f"JobID hex must be a str, got {type(hex_string).__name__}")
        text = hex_string.strip()
        if not _HEX32.fullmatch(text):
            raise ValueError(
                f"Cannot parse JobID from {hex_string!r}: expected 32 hexadecimal "
                f"characters, got {len(text)} characters"
                if len(text) != 32
                else f"Cannot parse JobID from {hex_string!r}: not a hexadecimal string"
            )
        job_id = JobID.__new__(JobID)
        job_id._value = int(text, 16)
        return job_id

    # Flink's Java name, for code ported from the Java API.
    from_hex_string = from_hex

    @staticmethod
    def from_bytes(data: bytes) -> JobID:
        """Build from the 16-byte binary form (Java's ``JobID(byte[])``)."""
        if len(data) != 16:
            raise ValueError(f"JobID needs 16 bytes, got {len(data)}")
        job_id = JobID.__new__(JobID)
        job_id._value = int.from_bytes(data, "big")
        return job_id

    def to_hex_string(self) -> str:
        """The 32-digit lowercase hex form."""
        return f"{self._value:032x}"

    def to_bytes(self) -> bytes:
        """The 16-byte binary form."""
        return self._value.to_bytes(16, "big")

    def get_lower_part(self) -> int:
        """The lower 64 bits (as an unsigned int)."""
        return self._value & _MASK64

    def get_upper_part(self) -> int:
        """The upper 64 bits (as an unsigned int)."""
        return self._value >> 64

    def __str__(self) -> str:
        return f"{self._value:032x}"

    def __repr__(self) -> str:
        return f"JobID('{self._value:032x}')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobID) and self._value == other._value

    def __lt__(self, other: JobID) -> bool:
        if not isinstance(other, JobID):
            return NotImplemented
        return self._value < other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        return JobID.from_hex, (self.to_hex_string(),)


class JobStatus(Enum):
    """The states of a job (Flink's ``JobStatus``)."""

    INITIALIZING = "INITIALIZING"
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    FAILING = "FAILING"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELED = "CANCELED"
    FINISHED = "FINISHED"
    RESTARTING = "RESTARTING"
    SUSPENDED = "SUSPENDED"
    RECONCILING = "RECONCILING"

    def is_globally_terminal_state(self) -> bool:
        """True when the job is done for good on every JobManager (FAILED, CANCELED,
        FINISHED): its result is final and it must never be recovered and rerun."""
        return self in _GLOBALLY_TERMINAL

    def is_terminal_state(self) -> bool:
        """True when this JobManager is done with the job: the globally terminal states
        plus SUSPENDED (another JobManager may still resume a suspended job)."""
        return self in _GLOBALLY_TERMINAL or self is JobStatus.SUSPENDED

    def __str__(self) -> str:
        return self.value

    def result(self, timeout: float | None = None) -> JobStatus:
        """``job_client.get_job_status().result()`` as in PyFlink: the status is already known."""
        return self


_GLOBALLY_TERMINAL = frozenset({JobStatus.FAILED, JobStatus.CANCELED, JobStatus.FINISHED})


class ExecutionState(Enum):
    """The states of one execution attempt of a task (Flink's ``ExecutionState``)."""

    CREATED = "CREATED"
    SCHEDULED = "SCHEDULED"
    DEPLOYING = "DEPLOYING"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    RECONCILING = "RECONCILING"
    INITIALIZING = "INITIALIZING"

    def is_terminal(self) -> bool:
        """True for FINISHED, CANCELED and FAILED: the attempt will not change again."""
        return self in _EXECUTION_TERMINAL

    def __str__(self) -> str:
        return self.value


_EXECUTION_TERMINAL = frozenset(
    {ExecutionState.FINISHED, ExecutionState.CANCELED, ExecutionState.FAILED}
)


class RuntimeExecutionMode(Enum):
    """How a job executes (Flink's ``execution.runtime-mode``): STREAMING processes
    records as they come; BATCH may exploit bounded inputs; AUTOMATIC picks BATCH
    when every source is bounded."""

    STREAMING = "STREAMING"
    BATCH = "BATCH"
    AUTOMATIC = "AUTOMATIC"

    def __str__(self) -> str:
        return self.value


class JobExecutionResult:
    """What ``env.execute()`` returns once an attached job finishes: its id, the net
    runtime in milliseconds, and the final accumulator values."""

    __slots__ = ("_job_id", "_net_runtime", "_accumulators")

    def __init__(
        self,
        job_id: JobID,
        net_runtime: int,
        accumulators: Mapping[str, Any] | None = None,
    ) -> None:
        self._job_id = job_id
        self._net_runtime = int(net_runtime)
        self._accumulators: dict[str, Any] = dict(accumulators) if accumulators else {}

    def get_job_id(self) -> JobID:
        """The id the runtime assigned to the job."""
        return self._job_id

    def is_job_execution_result(self) -> bool:
        """Always True: this is a full execution result, not a detached submission."""
        return True

    def get_job_execution_result(self) -> JobExecutionResult:
        """This object (PyFlink's API returns the execution result from a submission
        result; here they are the same thing)."""
        return self

    def result(self, timeout: float | None = None) -> JobExecutionResult:
        """PyFlink's ``JobClient`` methods return futures (``...get_job_execution_result()
        .result()``); ours are already complete, so ``result()`` is the value itself."""
        return self

    def get_net_runtime(self) -> int:
        """The job's execution time in milliseconds."""
        return self._net_runtime

    def get_accumulator_result(self, accumulator_name: str) -> Any:
        """The value of the named accumulator, or ``None`` if the job produced none."""
        return self._accumulators.get(accumulator_name)

    def get_all_accumulator_results(self) -> dict[str, Any]:
        """All accumulators as ``{name: value}`` (a copy; mutate freely)."""
        return dict(self._accumulators)

    def to_string(self) -> str:
        """Old PyFlink spelling of ``str(result)``."""
        return str(self)

    def __str__(self) -> str:
        """The text Java's ``JobExecutionResult.toString`` produces, which is what
        ``print(env.execute())`` shows in PyFlink."""
        lines = [
            "Program execution finished",
            f"Job with JobID {self._job_id} has finished.",
            f"Job Runtime: {self._net_runtime} ms",
        ]
        text = "\n".join(lines) + "\n"
        if self._accumulators:
            text += "Accumulator Results: \n"
            for name, value in self._accumulators.items():
                kind = type(value).__name__
                if isinstance(value, (list, tuple, set, frozenset, dict)):
                    text += f"- {name} ({kind}) [{len(value)} elements]\n"
                else:
                    text += f"- {name} ({kind}): {value}\n"
            text += "\n"
        return text

    def __repr__(self) -> str:
        return (
            f"JobExecutionResult(job_id={self._job_id}, net_runtime={self._net_runtime}, "
            f"accumulators={self._accumulators!r})"
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JobExecutionResult)
            and self._job_id == other._job_id
            and self._net_runtime == other._net_runtime
            and self._accumulators == other._accumulators
        )

    __hash__ = None  # type: ignore[assignment]  # mutable accumulators: not hashable

    def __reduce__(self) -> tuple[Any, ...]:
        return JobExecutionResult, (self._job_id, self._net_runtime, self._accumulators)
