"""Window serializers (PyFlink's ``TimeWindowSerializer``, ``CountWindowSerializer``,
``GlobalWindowSerializer``), returned by ``WindowAssigner.get_window_serializer()``.

PyFlink needs them to move windows between Python and Java; here windows are picklable
Python objects and never serialized by these. They still encode and decode with Flink's
binary layout (big-endian longs), so code that uses them directly works.
"""
from __future__ import annotations

import struct
from typing import Any, BinaryIO

from runtime.common.serializer import TypeSerializer
from runtime.common.windowing import CountWindow, GlobalWindow, TimeWindow

_LONG = struct.Struct(">q")
_TWO_LONGS = struct.Struct(">qq")

__all__ = ["TimeWindowSerializer", "CountWindowSerializer", "GlobalWindowSerializer"]


class TimeWindowSerializer(TypeSerializer):
    def __init__(self) -> None:
        pass

    def serialize(self, element: TimeWindow, stream: BinaryIO) -> None:
        stream.write(_TWO_LONGS.pack(element.start, element.end))

    def deserialize(self, stream: BinaryIO) -> TimeWindow:
        start, end = _TWO_LONGS.unpack(stream.read(16))
        return TimeWindow(start, end)


class CountWindowSerializer(TypeSerializer):
    def __init__(self) -> None:
        pass

    def serialize(self, element: CountWindow, stream: BinaryIO) -> None:
        stream.write(_LONG.pack(element.id))

    def deserialize(self, stream: BinaryIO) -> CountWindow:
        return CountWindow(_LONG.unpack(stream.read(8))[0])


class GlobalWindowSerializer(TypeSerializer):
    def __init__(self) -> None:
        pass

    def serialize(self, element: Any, stream: BinaryIO) -> None:
        stream.write(b"\x00")

    def deserialize(self, stream: BinaryIO) -> GlobalWindow:
        stream.read(1)
        return GlobalWindow.get()
