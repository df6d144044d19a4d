"""Shared constants of the window operator's two paths: how window contents are kept
(an incremental reduce/aggregate, or the list of elements) and small markers."""
from __future__ import annotations

#: marks "no contents yet" (None is a legal aggregate)
MISSING = object()

REDUCE = "reduce"
AGGREGATE = "aggregate"
LIST = "list"


class TagRef:
    """Minimal stand-in for an OutputTag when only its id is known."""

    __slots__ = ("tag_id",)

    def __init__(self, tag_id: str) -> None:
        self.tag_id = tag_id
