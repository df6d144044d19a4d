"""Serialization helpers with PyFlink's names: ``pyflink.common.serialization``.

* :class:`Encoder` turns a record into the bytes a row-format ``FileSink`` writes.
  ``Encoder.simple_string_encoder(charset_name)`` writes each record's string form followed
  by ``"\\n"`` in that charset, as Flink's ``SimpleStringEncoder`` does. The string form of a
  record is Java's ``toString`` of the record as PyFlink would hand it to Java: the file sink
  renders it with :func:`runtime.common.formatting.make_formatter` for the stream's declared
  type (``str(record)`` for untyped streams), so ``Types.TUPLE`` records become ``(a,1)``.
* :class:`SimpleStringSchema`: strings to/from bytes in a charset (for connectors that use
  serialization schemas).

Unlike PyFlink's wrappers around Java objects, these are plain picklable Python objects.
A custom encoder can subclass :class:`Encoder` and override :meth:`Encoder.encode`.
"""
from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

__all__ = ["Encoder", "SerializationSchema", "DeserializationSchema", "SimpleStringSchema", "ByteArraySchema",
           "RowFieldExtractorSchema"]


def _check_charset(charset_name: str) -> str:
    try:
        return codecs.lookup(charset_name).name
    except LookupError:
        raise ValueError(f"unknown charset {charset_name!r}") from None


class Encoder:
    """Encodes one record into bytes (row formats of the file sink)."""

    def __init__(self, charset_name: str = "UTF-8") -> None:
        self.charset_name = charset_name
        self._codec = _check_charset(charset_name)

    @staticmethod
    def simple_string_encoder(charset_name: str = "UTF-8") -> Encoder:
        """The record's string form plus a line feed, encoded in ``charset_name``."""
        return SimpleStringEncoder(charset_name)

    def encode(self, element: Any) -> bytes:
        """Bytes for one record (override in a custom encoder)."""
        raise NotImplementedError

    def encode_batch(self, values: list, fmt: Callable[[Any], str] = str) -> list[bytes]:
        """Bytes for each record of a batch (the file sink calls this once per batch)."""
        encode = self.encode
        return [encode(v) for v in values]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.charset_name!r})"


class SimpleStringEncoder(Encoder):
    """Flink's ``SimpleStringEncoder``: ``toString()`` of the record, then ``"\\n"``."""

    #: the file sink writes a whole batch as one joined string when this is set
    joinable = True

    def encode(self, element: Any) -> bytes:
        return (str(element) + "\n").encode(self._codec, "replace")

    def encode_batch(self, values: list, fmt: Callable[[Any], str] = str) -> list[bytes]:
        codec = self._codec
        return [(fmt(v) + "\n").encode(codec, "replace") for v in values]

    def encode_joined(self, values: list, fmt: Callable[[Any], str] = str) -> bytes:
        """The whole batch as one byte string (one encode call per batch)."""
        return ("\n".join(map(fmt, values)) + "\n").encode(self._codec, "replace")


class SerializationSchema:
    """Turns a record into bytes (for connectors that write messages)."""

    def __init__(self, j_serialization_schema: Any = None) -> None:
        if j_serialization_schema is not None:
            from runtime.compat.unsupported import java_only
            java_only("SerializationSchema(<a Java schema>)")

    def serialize(self, element: Any) -> bytes:
        raise NotImplementedError


class DeserializationSchema:
    """Turns bytes into a record (for connectors that read messages)."""

    def __init__(self, j_deserialization_schema: Any = None) -> None:
        if j_deserialization_schema is not None:
            from runtime.compat.unsupported import java_only
            java_only("DeserializationSchema(<a Java schema>)")

    def deserialize(self, message: bytes) -> Any:
        raise NotImplementedError


class ByteArraySchema(SerializationSchema, DeserializationSchema):
    """Bytes in, bytes out (Flink's ``ByteArraySchema``)."""

    def __init__(self) -> None:
        pass

    def serialize(self, element: Any) -> bytes:
        return bytes(element)

    def deserialize(self, message: bytes) -> bytes:
        return bytes(message)

    def __repr__(self) -> str:
        return "ByteArraySchema()"


class RowFieldExtractorSchema(SerializationSchema):
    """Serializes one field of a Row: the field at ``field_index`` must be bytes (or a str,
    encoded as UTF-8); Flink's ``RowFieldExtractorSchema``."""

    def __init__(self, field_index: int) -> None:
        if not isinstance(field_index, int) or field_index < 0:
            raise ValueError(f"field_index must be a non-negative int, got {field_index!r}")
        self.field_index = field_index

    def serialize(self, element: Any) -> bytes:
        value = element[self.field_index]
        if isinstance(value, str):
            return value.encode("utf-8")
        if value is None:
            return b""
        return bytes(value)

    def __repr__(self) -> str:
        return f"RowFieldExtractorSchema({self.field_index})"


class SimpleStringSchema(SerializationSchema, DeserializationSchema):
    """Strings to bytes and back in a charset (default UTF-8), as Flink's ``SimpleStringSchema``."""

    def __init__(self, charset: str = "UTF-8") -> None:
        super().__init__()
        self.charset = charset
        self._codec = _check_charset(charset)

    def serialize(self, element: str) -> bytes:
        return element.encode(self._codec)

    def deserialize(self, message: bytes) -> str:
        return message.decode(self._codec)

    def __repr__(self) -> str:
        return f"SimpleStringSchema({self.charset!r})"


from runtime.compat.unsupported import module_getattr as _module_getattr  # noqa: E402

#: bulk writer factories (Parquet, ORC, Avro) explain themselves
__getattr__ = _module_getattr(__name__)
