"""RPC methods and gateway Protocols are typed; these helpers turn the declared types into
decoding (and so validation) of what crosses the wire: the arguments a server receives and
the results a caller gets back (``runtime.messages.codec`` does the work)."""
from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Callable
from typing import Any

from runtime.messages.codec import MessageError, from_wire
from runtime.util.lazy_names import ModuleNames

_PARAMS: dict[Any, tuple[list[tuple[str, Any, bool]], bool]] = {}


def _parameters(fn: Callable[..., Any]) -> tuple[list[tuple[str, Any, bool]], bool]:
    """(name, declared type, required) of an RPC method's parameters, and whether it takes **kwargs."""
    key = getattr(fn, "__func__", fn)
    cached = _PARAMS.get(key)
    if cached is None:
        try:
            hints = type_hints(key)
        except Exception:  # unresolvable annotations: treat as untyped
            hints = {}
        params = []
        var_kw = False
        for p in list(inspect.signature(key).parameters.values())[1:]:  # skip self
            if p.kind is p.VAR_KEYWORD:
                var_kw = True
            elif p.kind is not p.VAR_POSITIONAL:
                params.append((p.name, hints.get(p.name, Any), p.default is p.empty))
        cached = _PARAMS[key] = (params, var_kw)
    return cached


def decode_arguments(fn: Callable[..., Any], method: str, args: list, kwargs: dict) -> tuple[list, dict]:
    params, var_kw = _parameters(fn)
    if len(args) > len(params):
        raise MessageError(f"{method}: {len(args)} arguments for {len(params)} parameters")
    out_args = [from_wire(tp, a, f"{method}.{name}") for (name, tp, _), a in zip(params, args)]
    names = {name: tp for name, tp, _ in params}
    out_kwargs = {}
    for key, value in kwargs.items():
        if key not in names:
            if not var_kw:
                raise MessageError(f"{method}: unknown argument {str(key)[:60]!r}")
            out_kwargs[key] = value
            continue
        out_kwargs[key] = from_wire(names[key], value, f"{method}.{key}")
    for i, (name, _, required) in enumerate(params):
        if required and i >= len(args) and name not in kwargs:
            raise MessageError(f"{method}.{name}: missing")
    return out_args, out_kwargs


def type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations of an RPC method or a gateway Protocol's method. A gateway
    declares the message types of rarely used methods under ``TYPE_CHECKING`` and provides
    them through its module ``__getattr__`` (``runtime.util.lazy_names``), so they are
    imported only when a caller first uses such a method; this resolves them through it."""
    return typing.get_type_hints(fn, localns=ModuleNames(sys.modules.get(fn.__module__)))


_RESULTS: dict[tuple[type, str], Callable[[Any], Any] | None] = {}


def result_decoder(protocol: type | None, method: str) -> Callable[[Any], Any] | None:
    """Decoder of ``method``'s declared result in a gateway Protocol (None: untyped). Kept per
    (protocol, method): a gateway builds one on every attribute access, e.g. in each round of
    ``cluster start`` polling the cluster overview, and resolving the hints is the dear part."""
    if protocol is None:
        return None
    key = (protocol, method)
    try:
        return _RESULTS[key]
    except KeyError:
        pass
    fn = getattr(protocol, method, None)
    if fn is None:
        return None  # not cached: an unknown name is the caller's mistake, not a method
    try:
        tp = type_hints(fn).get("return", Any)
    except Exception:
        tp = Any
    decode = None if tp is Any else _result_decoder(tp, method)
    _RESULTS[key] = decode
    return decode


def _result_decoder(tp: Any, method: str) -> Callable[[Any], Any]:
    path = f"{method} result"
    return lambda raw: from_wire(tp, raw, path)
