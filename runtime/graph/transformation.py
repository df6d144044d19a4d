"""Transformations: what ``env.from_collection(...).map(...)...`` records, before any graph.

Partitioning calls (``key_by``, ``rebalance``, ...) and ``union`` are *virtual*: they carry
no operator and are resolved into edge properties when the StreamGraph is built.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

_ids = itertools.count(1)

CHAIN_ALWAYS = "ALWAYS"
CHAIN_HEAD = "HEAD"
CHAIN_NEVER = "NEVER"


@dataclass(eq=False)
class Transformation:
    name: str
    operator: Any = None                  # StreamOperator (None for virtual transformations)
    inputs: list[Transformation] = field(default_factory=list)
    parallelism: int | None = None        # None: the environment's default
    max_parallelism: int | None = None
    output_type: Any = None
    uid: str | None = None
    kind: str = "operator"                # operator | source | sink | partition | union | side_output
    partitioner: Any = None               # for kind == "partition"
    chaining: str = CHAIN_ALWAYS
    slot_sharing_group: str = "default"
    non_parallel: bool = False            # sources such as from_collection run with parallelism 1
    inherit_parallelism: bool = False     # default to the input's parallelism (timestamp assigners)
    bounded: bool = True
    two_input: bool = False               # inputs[0] / inputs[1] are the operator's first / second input
    output_tag: str | None = None         # for kind == "side_output": the tag id selected
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def is_virtual(self) -> bool:
        return self.kind in ("partition", "union", "side_output")
