"""PyFlink's ``pyflink.common.serializer``: the ``TypeSerializer`` interface.

A TypeSerializer writes one element to a binary stream and reads it back. PyFlink uses them
for its Python/Java bridge (window types); this engine moves Python objects without them,
and keeps the interface for code written against it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, BinaryIO, Generic, TypeVar

T = TypeVar("T")

__all__ = ["TypeSerializer"]


class TypeSerializer(ABC, Generic[T]):
    @abstractmethod
    def serialize(self, element: T, stream: BinaryIO) -> None: ...

    @abstractmethod
    def deserialize(self, stream: BinaryIO) -> T: ...

    def _get_coder(self) -> Any:
        from runtime.compat.unsupported import java_only
        java_only("TypeSerializer._get_coder()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.__class__)

    def __hash__(self) -> int:
        return hash(self.__class__)

    def __repr__(self) -> str:
        return self.__class__.__name__


class VoidNamespaceSerializer(TypeSerializer):
    """Serializer of the void namespace (keyed state outside windows): writes nothing."""

    def serialize(self, element: Any, stream: BinaryIO) -> None:
        pass

    def deserialize(self, stream: BinaryIO) -> Any:
        return None
