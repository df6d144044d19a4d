"""Names a module provides on first use (a PEP 562 module ``__getattr__``).

A client command starts a new interpreter, and every module it imports is paid for on
every invocation. A gateway Protocol names the message types of all its methods, but one
command calls one or two of them: the types of the others are declared under
``TYPE_CHECKING`` and imported when something first asks the module for them, e.g.
``runtime.rpc.signatures`` resolving a method's annotations to decode its result.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

__all__ = ["ModuleNames", "import_on_first_use"]


def import_on_first_use(namespace: dict[str, Any], table: Mapping[str, str], name: str) -> Any:
    """The body of a module's ``__getattr__``: ``name`` from the module ``table[name]``,
    kept in ``namespace`` (the module's globals) so the next lookup is an ordinary one."""
    try:
        source = table[name]
    except KeyError:
        raise AttributeError(f"module {namespace.get('__name__')!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(source), name)
    namespace[name] = value
    return value


class ModuleNames(Mapping[str, Any]):
    """A module's names as ``eval`` sees them, including those its ``__getattr__`` provides:
    the local namespace for ``typing.get_type_hints`` of a function defined in it (eval
    looks a name up here first, then in the function's globals and the builtins)."""

    def __init__(self, module: ModuleType | None) -> None:
        self._module = module

    def __getitem__(self, name: str) -> Any:
        if self._module is None:
            raise KeyError(name)
        try:
            return getattr(self._module, name)
        except AttributeError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(vars(self._module) if self._module is not None else ())

    def __len__(self) -> int:
        return len(vars(self._module)) if self._module is not None else 0
