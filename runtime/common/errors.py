"""Errors raised into a user's job that every layer may raise (the key selector runs in the
network's record writer, the other user functions in operators), and how they point at the
user's code."""
from __future__ import annotations

from typing import Any, NoReturn


class UserFunctionError(Exception):
    """Raised with the operator's name when a user function misbehaves in a way we detect."""


def user_code_location(fn: Any) -> tuple[str, int, str] | None:
    """(file, first line, name) of a user function: a function, a lambda, a bound method
    (``MyKeySelector().get_key``) or a callable object."""
    target = getattr(fn, "__func__", fn)
    code = getattr(target, "__code__", None)
    if code is None:
        call = type(fn).__dict__.get("__call__") or getattr(type(fn), "__call__", None)  # noqa: B004
        code = getattr(call, "__code__", None)
    if code is None:
        return None
    return code.co_filename, code.co_firstlineno, code.co_name


_ERROR = "__pyflink_user_error__"


def _raise_at(filename: str, line: int) -> str:
    """Source with ``raise <error>`` on line ``line``, as wide as the user's line there (same
    indentation, same length), so a traceback shows the user's line without carets under a
    part of it."""
    import linecache

    text = linecache.getline(filename, line).rstrip("\n")
    indent = len(text) - len(text.lstrip())
    width = len(text.strip())
    name = _ERROR + "_" * max(0, width - len("raise ") - len(_ERROR))
    if indent and line > 1:
        return "\n" * (line - 2) + "if 1:\n" + " " * indent + f"raise {name}\n"
    return "\n" * (line - 1) + f"raise {name}\n"


def raise_at_user_code(fn: Any, error: BaseException) -> NoReturn:
    """Raise ``error`` with a traceback whose only frame outside the engine is the user
    function's definition (its file, line and source line), so a failure the engine detects
    after the function returned (an unhashable key, a value of the wrong type) is reported at
    the user's code and not in engine frames. Falls back to a plain raise."""
    where = user_code_location(fn)
    if where is None or where[0].startswith("<"):
        raise error
    filename, line, name = where
    code = compile(_raise_at(filename, max(line, 1)), filename, "exec")
    try:
        code = code.replace(co_name=name)
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - older code objects
        pass
    names = {n: error for n in code.co_names if n.startswith(_ERROR)}
    exec(code, names)
    raise error  # pragma: no cover - exec raised
