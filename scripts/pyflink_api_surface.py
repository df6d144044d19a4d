"""Extract the public API surface of Apache Flink's PyFlink as data.

Run with the interpreter of a virtual environment that has ``apache-flink`` installed::

    python -m venv /tmp/apache && /tmp/apache/bin/pip install apache-flink==2.3.0
    /tmp/apache/bin/python scripts/pyflink_api_surface.py > tests/data/pyflink_api_2_3.json

It imports every module of ``pyflink.datastream`` and ``pyflink.common`` (no JVM is started:
importing PyFlink's modules does not need one) and records, for each public name, what a job
written for PyFlink can rely on: the module path, the kind (class, function, enum, module,
constant), the signature (parameter names, kinds and defaults; annotations are kept as text
for reading but not compared), the Generic type parameters, the base classes, the members
and the nested classes (recursively). ``tests/test_pyflink_api_surface.py`` checks this
package against the file.

Public names of a module: its ``__all__`` plus the public classes and functions it defines
itself (PyFlink leaves many names users import out of ``__all__``, e.g.
``pyflink.common.typeinfo.RowTypeInfo``). TypeVars are type parameters, not names.
The script reads PyFlink's objects through ``inspect`` only; it copies no code.
"""
from __future__ import annotations

import enum
import importlib
import inspect
import json
import pkgutil
import sys
import typing
from typing import Any

PACKAGES = ("pyflink.datastream", "pyflink.common")
_SIMPLE = (type(None), bool, int, float, str)
#: every class met, keyed by its defining module and qualified name (entries refer to these)
_CLASSES: dict[str, Any] = {}


def render_default(value: Any) -> str:
    """A comparable rendering of a default value: literals as ``repr``, enum members as
    ``Class.MEMBER``, any other object as ``<TypeName>``."""
    if isinstance(value, _SIMPLE):
        return repr(value)
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, (tuple, list)) and all(isinstance(v, _SIMPLE) for v in value):
        return repr(list(value))
    return f"<{type(value).__name__}>"


def render_signature(fn: Any) -> str | None:
    """``(self, func, output_type=None, *args, **kwargs)``: names, kinds and defaults of the
    parameters, without annotations (this package annotates differently). ``None`` when
    the callable has no inspectable signature."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    parts = []
    star_done = False
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            parts.append("*" + p.name)
            star_done = True
            continue
        if p.kind is p.VAR_KEYWORD:
            parts.append("**" + p.name)
            continue
        if p.kind is p.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        text = p.name
        if p.default is not p.empty:
            text += "=" + render_default(p.default)
        parts.append(text)
    positional_only = [p for p in sig.parameters.values() if p.kind is p.POSITIONAL_ONLY]
    if positional_only:
        parts.insert(len(positional_only), "/")
    return "(" + ", ".join(parts) + ")"


def _is_pyflink(obj: Any) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("pyflink")


def _class_key(cls: type) -> str:
    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in _CLASSES:
        _CLASSES[key] = {}  # placeholder while the entry is built (classes may refer to each other)
        _CLASSES[key] = _class_entry(cls)
    return key


def _generic_params(cls: type) -> list[str]:
    params = getattr(cls, "__parameters__", None) or ()
    return [getattr(p, "__name__", str(p)) for p in params]


def _member_kind(owner: type, name: str) -> tuple[str, Any]:
    for klass in owner.__mro__:
        if name in vars(klass):
            raw = vars(klass)[name]
            break
    else:
        return "attribute", getattr(owner, name)
    if isinstance(raw, staticmethod):
        return "staticmethod", raw.__func__
    if isinstance(raw, classmethod):
        return "classmethod", raw.__func__
    if isinstance(raw, property):
        return "property", raw
    if inspect.isclass(raw):
        return "class", raw
    if inspect.isfunction(raw):
        return "method", raw
    if isinstance(owner, enum.EnumMeta) and isinstance(raw, owner):
        return "enum_member", raw
    if isinstance(raw, enum.Enum):
        return "enum_member", raw
    return "attribute", raw


def _defining_class(owner: type, name: str) -> type | None:
    for klass in owner.__mro__:
        if name in vars(klass):
            return klass
    return None


def _class_entry(cls: type) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "enum" if isinstance(cls, enum.EnumMeta) else "class",
        "qualname": cls.__qualname__,
        "defined_in": cls.__module__,
        # PyFlink bases by key (their members are theirs: only own members are listed here)
        "bases": [_class_key(b) for b in cls.__bases__ if _is_pyflink(b)],
        "other_bases": [b.__qualname__ for b in cls.__bases__ if not _is_pyflink(b) and b is not object],
        "generic": _generic_params(cls),
        "abstract": sorted(getattr(cls, "__abstractmethods__", ()) or ()),
    }
    init = _defining_class(cls, "__init__")
    if init is not None and _is_pyflink(init):
        entry["init"] = render_signature(cls.__init__)
    members: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    if isinstance(cls, enum.EnumMeta):
        entry["enum_members"] = [m.name for m in cls]
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        owner = _defining_class(cls, name)
        if owner is None or not _is_pyflink(owner):
            continue
        if owner is not cls and any(_is_pyflink(b) and hasattr(b, name) for b in cls.__bases__):
            continue  # inherited from a PyFlink base: listed there
        kind, obj = _member_kind(cls, name)
        if kind == "enum_member":
            continue
        if kind == "class":
            if not _is_pyflink(obj):
                continue
            key = _class_key(obj)
            nested[name] = {"kind": "enum" if isinstance(obj, enum.EnumMeta) else "class", "ref": key}
            continue
        m: dict[str, Any] = {"kind": kind, "defined_by": owner.__qualname__}
        if kind in ("method", "staticmethod", "classmethod"):
            m["signature"] = render_signature(obj)
        members[name] = m
    entry["members"] = members
    if nested:
        entry["nested"] = nested
    return entry


def _entry(module: Any, name: str, obj: Any) -> dict[str, Any] | None:
    if isinstance(obj, typing.TypeVar):
        return None
    if inspect.ismodule(obj):
        return {"kind": "module", "target": obj.__name__}
    if inspect.isclass(obj):
        key = _class_key(obj)
        return {"kind": "enum" if isinstance(obj, enum.EnumMeta) else "class", "ref": key}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return {"kind": "function", "defined_in": getattr(obj, "__module__", None), "signature": render_signature(obj)}
    if isinstance(obj, enum.Enum):
        return {"kind": "enum_member", "value": f"{type(obj).__name__}.{obj.name}"}
    if isinstance(obj, _SIMPLE):
        return {"kind": "constant", "value": obj}
    return {"kind": "object", "type": type(obj).__name__}


def public_names(module: Any) -> list[str]:
    names = set(getattr(module, "__all__", None) or ())
    for name, obj in vars(module).items():
        if name.startswith("_") or isinstance(obj, typing.TypeVar):
            continue
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and getattr(obj, "__module__", None) == module.__name__:
            names.add(name)
    return sorted(names)


def modules() -> list[str]:
    out = []
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        out.append(pkg_name)
        out.extend(m.name for m in pkgutil.walk_packages(pkg.__path__, pkg_name + "."))
    return sorted(out)


def extract() -> dict[str, Any]:
    import pyflink.version

    result: dict[str, Any] = {"pyflink_version": pyflink.version.__version__, "modules": {}, "classes": _CLASSES}
    for mod_name in modules():
        module = importlib.import_module(mod_name)
        names: dict[str, Any] = {}
        exported = set(getattr(module, "__all__", None) or ())
        for name in public_names(module):
            obj = getattr(module, name, None)
            if obj is None and name not in vars(module):
                continue
            entry = _entry(module, name, obj)
            if entry is None:
                continue
            entry["in_all"] = name in exported
            names[name] = entry
        result["modules"][mod_name] = {
            "is_package": hasattr(module, "__path__"),
            "has_all": hasattr(module, "__all__"),
            "names": names,
        }
    return result


def main() -> None:
    json.dump(extract(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
