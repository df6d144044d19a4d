"""The one codec for everything that crosses a process boundary on the control plane.

Messages are dataclasses (JobGraph, TaskDeploymentDescriptor, SlotReport, JobResult, ids,
...). On the wire they are plain msgpack data: a dataclass becomes a map of its fields, an
enum its name, an id its string. Decoding is driven by the receiving side's type hints (the
dataclass's fields, an RPC method's parameters), and it *validates*: a wrong type, a
missing field or a malformed id is refused with the path of the offending field
(``job_graph.vertices[2].parallelism: expected int, got str``). After a dataclass is built,
its ``validate()`` (if it has one) checks ranges and cross-field rules, so a message that
decodes is a message the receiver can act on. Nothing here ever executes what a peer sent:
opaque payloads stay ``bytes``.

Flink gets the same guarantees from Java's type system and its RPC's serializers; here the
type hints play that role.
"""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from typing import Any, Union

__all__ = ["MessageError", "from_wire", "register_scalar", "to_wire"]


class MessageError(ValueError):
    """A received message does not have the shape its receiver declares."""


#: types carried on the wire as one plain value: type -> (encode, decode)
_SCALARS: dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}


def register_scalar(cls: type, encode: Callable[[Any], Any], decode: Callable[[Any], Any]) -> None:
    """Carry ``cls`` as one plain value (ids: their string); ``decode`` raises ValueError
    for a malformed value."""
    _SCALARS[cls] = (encode, decode)


# ------------------------------------------------------------------------------ encoding
def to_wire(value: Any) -> Any:
    """Plain msgpack-able data for ``value`` (dataclasses, enums, ids, containers)."""
    if value is None or type(value) in (bool, int, float, str, bytes):
        return value
    scalar = _SCALARS.get(type(value))
    if scalar is not None:
        return scalar[0](value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_wire(getattr(value, f.name)) for f in _fields(type(value))}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {to_wire(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (bool, int, float, str, bytes)):  # subclasses (IntEnum handled above)
        return value
    raise TypeError(f"cannot put a {type(value).__name__} on the wire")


# ------------------------------------------------------------------------------ decoding
def from_wire(tp: Any, data: Any, path: str = "value") -> Any:
    """Build a ``tp`` from plain wire data, validating as it goes (see the module doc)."""
    return _decoder(tp)(data, path)


_DECODERS: dict[Any, Callable[[Any, str], Any]] = {}


def _decoder(tp: Any) -> Callable[[Any, str], Any]:
    try:
        return _DECODERS[tp]
    except (KeyError, TypeError):
        pass
    dec = _build(tp)
    try:
        _DECODERS[tp] = dec
    except TypeError:  # unhashable annotation: do not cache
        pass
    return dec


def _type_name(data: Any) -> str:
    return "null" if data is None else type(data).__name__


def _build(tp: Any) -> Callable[[Any, str], Any]:
    if tp is Any or tp is object:
        return lambda data, path: data
    if tp is None or tp is type(None):
        def dec_none(data: Any, path: str) -> None:
            if data is not None:
                raise MessageError(f"{path}: expected null, got {_type_name(data)}")
        return dec_none
    if tp in _SCALARS:
        decode = _SCALARS[tp][1]

        def dec_scalar(data: Any, path: str) -> Any:
            if isinstance(data, tp):
                return data
            try:
                return decode(data)
            except (ValueError, TypeError) as exc:
                raise MessageError(f"{path}: {exc}") from None
        return dec_scalar
    if tp is bool:
        def dec_bool(data: Any, path: str) -> bool:
            if type(data) is not bool:
                raise MessageError(f"{path}: expected bool, got {_type_name(data)}")
            return data
        return dec_bool
    if tp is int:
        def dec_int(data: Any, path: str) -> int:
            if type(data) is not int:
                raise MessageError(f"{path}: expected int, got {_type_name(data)}")
            return data
        return dec_int
    if tp is float:
        def dec_float(data: Any, path: str) -> float:
            if type(data) not in (float, int):
                raise MessageError(f"{path}: expected float, got {_type_name(data)}")
            return float(data)
        return dec_float
    if tp is str:
        def dec_str(data: Any, path: str) -> str:
            if type(data) is not str:
                raise MessageError(f"{path}: expected str, got {_type_name(data)}")
            return data
        return dec_str
    if tp is bytes:
        def dec_bytes(data: Any, path: str) -> bytes:
            if isinstance(data, bytes):
                return data
            if isinstance(data, (bytearray, memoryview)):
                return bytes(data)
            raise MessageError(f"{path}: expected bytes, got {_type_name(data)}")
        return dec_bytes
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        def dec_enum(data: Any, path: str) -> Any:
            if isinstance(data, tp):
                return data
            if type(data) is str and data in tp.__members__:
                return tp[data]
            raise MessageError(f"{path}: expected one of {', '.join(tp.__members__)}, got {data!r:.60}")
        return dec_enum
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        nullable = len(options) < len(args)
        if len(options) == 1:
            inner = _decoder(options[0])

            def dec_optional(data: Any, path: str) -> Any:
                if data is None and nullable:
                    return None
                return inner(data, path)
            return dec_optional
        decoders = [_decoder(a) for a in options]

        def dec_union(data: Any, path: str) -> Any:
            if data is None and nullable:
                return None
            for d in decoders:
                try:
                    return d(data, path)
                except MessageError:
                    continue
            raise MessageError(f"{path}: {_type_name(data)} matches none of {tp}")
        return dec_union
    if origin in (list, typing.List) or origin is typing.Sequence:  # noqa: UP006
        item = _decoder(args[0] if args else Any)

        def dec_list(data: Any, path: str) -> list:
            if not isinstance(data, (list, tuple)):
                raise MessageError(f"{path}: expected a list, got {_type_name(data)}")
            return [item(v, f"{path}[{i}]") for i, v in enumerate(data)]
        return dec_list
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])

            def dec_var_tuple(data: Any, path: str) -> tuple:
                if not isinstance(data, (list, tuple)):
                    raise MessageError(f"{path}: expected a list, got {_type_name(data)}")
                return tuple(item(v, f"{path}[{i}]") for i, v in enumerate(data))
            return dec_var_tuple
        items = [_decoder(a) for a in args]

        def dec_tuple(data: Any, path: str) -> tuple:
            if not isinstance(data, (list, tuple)) or len(data) != len(items):
                raise MessageError(f"{path}: expected a list of {len(items)} items, got {_type_name(data)}")
            return tuple(d(v, f"{path}[{i}]") for i, (d, v) in enumerate(zip(items, data)))
        return dec_tuple
    if origin in (dict, typing.Dict) or origin is typing.Mapping:  # noqa: UP006
        kdec = _decoder(args[0] if args else Any)
        vdec = _decoder(args[1] if len(args) > 1 else Any)

        def dec_dict(data: Any, path: str) -> dict:
            if not isinstance(data, dict):
                raise MessageError(f"{path}: expected a map, got {_type_name(data)}")
            return {kdec(k, f"{path} key"): vdec(v, f"{path}[{k!r:.40}]") for k, v in data.items()}
        return dec_dict
    if origin is typing.Literal:
        allowed = args

        def dec_literal(data: Any, path: str) -> Any:
            if data not in allowed:
                raise MessageError(f"{path}: expected one of {allowed}, got {data!r:.60}")
            return data
        return dec_literal
    raise TypeError(f"no wire decoder for {tp!r}")


def _fields(cls: type) -> tuple[dataclasses.Field, ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


def _dataclass_decoder(cls: type) -> Callable[[Any, str], Any]:
    hints = typing.get_type_hints(cls)
    plan: list[tuple[str, Callable[[Any, str], Any], bool]] = []

    def dec(data: Any, path: str) -> Any:
        if isinstance(data, cls):
            return data
        if not plan:  # built lazily: dataclasses may refer to each other (or themselves)
            for f in _fields(cls):
                required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                plan.append((f.name, _decoder(hints[f.name]), required))
        if not isinstance(data, dict):
            raise MessageError(f"{path}: expected a {cls.__name__} (a map), got {_type_name(data)}")
        kwargs = {}
        for name, field_dec, required in plan:
            if name in data:
                kwargs[name] = field_dec(data[name], f"{path}.{name}")
            elif required:
                raise MessageError(f"{path}.{name}: missing")
        unknown = set(data) - {p[0] for p in plan}
        if unknown:
            raise MessageError(f"{path}: unknown field(s) {', '.join(sorted(map(str, unknown)))[:200]}")
        try:
            obj = cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise MessageError(f"{path}: {exc}") from None
        validate = getattr(obj, "validate", None)
        if validate is not None:
            try:
                validate()
            except ValueError as exc:
                raise MessageError(f"{path}: {exc}") from None
        return obj
    return dec
