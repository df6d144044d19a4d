"""OutputTag: names a side output. A process function emits to it with ``yield tag, value``
(PyFlink's convention) or ``ctx.output(tag, value)``."""
from __future__ import annotations

from typing import Any


class OutputTag:
    def __init__(self, tag_id: str, type_info: Any = None) -> None:
        if not tag_id:
            raise ValueError("OutputTag needs a non-empty tag_id")
        self.tag_id = tag_id
        self.type_info = type_info

    def get_id(self) -> str:
        return self.tag_id

    def get_java_output_tag(self) -> Any:
        from runtime.compat.unsupported import java_only
        java_only("OutputTag.get_java_output_tag()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OutputTag) and other.tag_id == self.tag_id

    def __hash__(self) -> int:
        return hash(("OutputTag", self.tag_id))

    def __repr__(self) -> str:
        return f"OutputTag({self.tag_id!r})"
