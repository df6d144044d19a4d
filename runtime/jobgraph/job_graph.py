"""JobGraph, JobVertex, JobEdge: what a client submits and the JobManager persists and runs
(Flink's ``org.apache.flink.runtime.jobgraph``).

Plain data plus one opaque blob per vertex (the cloudpickled operator chain, which only
TaskManagers ever load). ``validate()`` is what makes a submission safe to persist: the
Dispatcher refuses a graph that fails it, naming the field, before anything is written, so
a malformed graph can never be recovered and replayed at the next start.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field

from runtime.common.job import JobID

__all__ = ["MAX_PARALLELISM_CAP", "DistributionPattern", "JobEdge", "JobGraph", "JobVertex", "ShipStrategy",
           "pointwise_pairs"]

#: Flink's upper bound for max parallelism (KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM)
MAX_PARALLELISM_CAP = 32768
#: the JobManager's configured cap (security.limits.max-parallelism), set at its start
_configured_cap = MAX_PARALLELISM_CAP


def set_max_parallelism_cap(cap: int) -> None:
    """Refuse graphs with a vertex whose max parallelism exceeds ``cap`` (the JobManager
    sets security.limits.max-parallelism here before it accepts submissions)."""
    global _configured_cap
    _configured_cap = max(1, min(int(cap), MAX_PARALLELISM_CAP))
_MAX_NAME = 4096
_MAX_VERTICES = 10000


class DistributionPattern(enum.Enum):
    """How producer subtasks connect to consumer subtasks of one edge."""

    ALL_TO_ALL = "ALL_TO_ALL"
    POINTWISE = "POINTWISE"


class ShipStrategy(enum.Enum):
    """The partitioner of an edge, as Flink's plans name it."""

    FORWARD = "FORWARD"
    REBALANCE = "REBALANCE"
    RESCALE = "RESCALE"
    SHUFFLE = "SHUFFLE"
    BROADCAST = "BROADCAST"
    HASH = "HASH"
    CUSTOM = "CUSTOM"

    @property
    def pattern(self) -> DistributionPattern:
        if self in (ShipStrategy.FORWARD, ShipStrategy.RESCALE):
            return DistributionPattern.POINTWISE
        return DistributionPattern.ALL_TO_ALL


@dataclass
class JobVertex:
    """One task of the job: a chain of operators run together, ``parallelism`` times."""

    id: int
    name: str
    operators: list[str]
    operator_ids: list[int]
    parallelism: int
    max_parallelism: int
    slot_sharing_group: str = "default"
    is_source: bool = False
    #: cloudpickled ChainSpec: opaque to the JobManager, loaded by TaskManagers only
    chain: bytes = b""
    #: the operators' uids (state of a savepoint is matched by them), in chain order
    operator_uids: list[str] = field(default_factory=list)

    @property
    def hex_id(self) -> str:
        """The vertex's id as Flink's REST API shows it (a JobVertexID: 32 hex characters).

        Derived from the head operator's uid (or its stream node id), so it is the same for
        every submission of the same program, as Flink's operator-hash-based ids are."""
        head = self.operator_uids[0] if self.operator_uids else f"node-{self.operator_ids[0] if self.operator_ids else self.id}"
        import hashlib  # lazily: loading OpenSSL costs a client command ~5 ms
        return hashlib.md5(f"{head}/{self.id}".encode(), usedforsecurity=False).hexdigest()


@dataclass
class JobEdge:
    id: int
    source: int
    target: int
    ship_strategy: ShipStrategy
    #: which input of a two-input operator the edge feeds (0 or 1)
    input_index: int = 0
    #: stream node (operator) at the target end, for plans
    target_node: int = 0

    @property
    def pattern(self) -> DistributionPattern:
        return self.ship_strategy.pattern


@dataclass
class JobGraph:
    job_id: JobID
    name: str
    vertices: list[JobVertex]
    edges: list[JobEdge]
    #: job configuration as option key -> string value (parsed by typed ConfigOptions on use)
    config: dict[str, str] = field(default_factory=dict)
    #: every source is bounded
    bounded: bool = True
    #: the execution plan in Flink's JSON shape (for REST and ``pyflink info``)
    plan_json: str = "{}"
    job_parameters: dict[str, str] = field(default_factory=dict)

    def vertex(self, vertex_id: int) -> JobVertex:
        for v in self.vertices:
            if v.id == vertex_id:
                return v
        raise KeyError(vertex_id)

    @property
    def plan(self) -> dict:
        try:
            plan = json.loads(self.plan_json)
        except ValueError:
            return {}
        return plan if isinstance(plan, dict) else {}

    def validate(self, max_parallelism_cap: int | None = None) -> None:
        """Refuse a graph the JobManager could not run, naming the offending field."""
        if max_parallelism_cap is None:
            max_parallelism_cap = _configured_cap
        if len(self.name) > _MAX_NAME:
            raise ValueError(f"name: longer than {_MAX_NAME} characters")
        if not self.vertices:
            raise ValueError("vertices: the job graph has no vertices")
        if len(self.vertices) > _MAX_VERTICES:
            raise ValueError(f"vertices: more than {_MAX_VERTICES} vertices")
        ids: dict[int, JobVertex] = {}
        for i, v in enumerate(self.vertices):
            where = f"vertices[{i}]"
            if v.id in ids:
                raise ValueError(f"{where}.id: vertex id {v.id} appears twice")
            ids[v.id] = v
            if not 1 <= v.max_parallelism <= max_parallelism_cap:
                raise ValueError(f"{where}.max_parallelism: {v.max_parallelism} is not in 1..{max_parallelism_cap} "
                                 "(security.limits.max-parallelism)")
            if not 1 <= v.parallelism <= v.max_parallelism:
                raise ValueError(f"{where}.parallelism: {v.parallelism} is not in 1..{v.max_parallelism} "
                                 "(the vertex's max parallelism)")
            if len(v.name) > _MAX_NAME or len(v.slot_sharing_group) > 256:
                raise ValueError(f"{where}.name: too long")
            if not v.chain:
                raise ValueError(f"{where}.chain: the vertex has no operator chain")
            if v.operator_uids and len(v.operator_uids) != len(v.operators):
                raise ValueError(f"{where}.operator_uids: {len(v.operator_uids)} uids for {len(v.operators)} operators")
        edge_ids: set[int] = set()
        for i, e in enumerate(self.edges):
            where = f"edges[{i}]"
            if e.id in edge_ids:
                raise ValueError(f"{where}.id: edge id {e.id} appears twice")
            edge_ids.add(e.id)
            if e.source not in ids:
                raise ValueError(f"{where}.source: no vertex {e.source}")
            if e.target not in ids:
                raise ValueError(f"{where}.target: no vertex {e.target}")
            if e.source == e.target:
                raise ValueError(f"{where}: an edge from vertex {e.source} to itself")
            if e.input_index not in (0, 1):
                raise ValueError(f"{where}.input_index: {e.input_index} is not 0 or 1")
            if e.ship_strategy is ShipStrategy.FORWARD and ids[e.source].parallelism != ids[e.target].parallelism:
                raise ValueError(f"{where}.ship_strategy: a FORWARD edge needs equal parallelism on both ends")
        if any(len(k) > 1024 or len(v) > 65536 for k, v in self.config.items()):
            raise ValueError("config: key or value too long")
        self._check_acyclic()

    def _check_acyclic(self) -> None:
        succ: dict[int, list[int]] = {v.id: [] for v in self.vertices}
        indeg = {v.id: 0 for v in self.vertices}
        for e in self.edges:
            succ[e.source].append(e.target)
            indeg[e.target] += 1
        ready = [v for v, d in indeg.items() if d == 0]
        seen = 0
        while ready:
            v = ready.pop()
            seen += 1
            for t in succ[v]:
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
        if seen != len(indeg):
            raise ValueError("edges: the job graph has a cycle")

    def slot_sharing_groups(self) -> dict[str, int]:
        """group name -> slots it needs (its max parallelism): one slot holds one subtask of
        every vertex of the group."""
        groups: dict[str, int] = {}
        for v in self.vertices:
            groups[v.slot_sharing_group] = max(groups.get(v.slot_sharing_group, 0), v.parallelism)
        return groups

    def slots_needed(self) -> int:
        return sum(self.slot_sharing_groups().values())


def pointwise_pairs(producers: int, consumers: int) -> list[tuple[int, int]]:
    """(producer, consumer) subtask pairs of a POINTWISE edge, as Flink connects them:
    equal parallelism 1:1, otherwise contiguous fan-in or fan-out groups."""
    if producers == consumers:
        return [(i, i) for i in range(producers)]
    if producers > consumers:
        return [(p, p * consumers // producers) for p in range(producers)]
    return [(c * producers // consumers, c) for c in range(consumers)]
