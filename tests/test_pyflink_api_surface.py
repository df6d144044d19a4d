"""PyFlink 2.3's public DataStream API surface exists here, name for name.

``tests/data/pyflink_api_2_3.json`` was extracted from apache-flink 2.3.0 by
``scripts/pyflink_api_surface.py`` (module paths, names, kinds, signatures, Generic parameters,
base classes, members, nested classes). For every PyFlink module ``pyflink.X`` the module
``runtime.X`` must exist, and in it every name with the same kind; classes must have the same
Generic parameters, every member and nested class (inherited ones included), and methods the
same parameters (names, kinds, defaults). The only exceptions are the entries of
``runtime.compat.unsupported`` (each with its reason, also listed in
``docs/pyflink-compatibility.md``), and constructors that take Java objects (``j_*``
parameters: PyFlink wraps a Java object there; such classes are built by the API, not by jobs).
"""
from __future__ import annotations

import enum
import importlib
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from pyflink_api_surface import render_signature  # noqa: E402

from runtime.compat import unsupported  # noqa: E402

DATA = json.loads((Path(__file__).parent / "data" / "pyflink_api_2_3.json").read_text())
CLASSES: dict[str, Any] = DATA["classes"]
MODULES: dict[str, Any] = DATA["modules"]


def ours(module: str) -> str:
    return "runtime" + module[len("pyflink"):]


def _members(key: str) -> dict[str, Any]:
    """A PyFlink class's members and nested classes, its PyFlink bases' included."""
    entry = CLASSES[key]
    out: dict[str, Any] = {}
    for base in entry.get("bases", []):
        out.update(_members(base))
    out.update(entry.get("members", {}))
    out.update(entry.get("nested", {}))
    return out


_JAVA_WRAPPERS = {"pyflink.datastream.functions.JavaFunctionWrapper", "pyflink.common.utils.JavaObjectWrapper"}


def _wraps_java(key: str) -> bool:
    """A PyFlink class whose constructor takes a Java object (JavaFunctionWrapper /
    JavaObjectWrapper subclasses whose constructor is their base's)."""
    entry = CLASSES.get(key, {})
    return any(b in _JAVA_WRAPPERS or _wraps_java(b) for b in entry.get("bases", []))


def _java_constructor(key: str, signature: str | None) -> bool:
    """Constructors that take Java objects: a ``j_*`` parameter, or a Java wrapper's
    ``(source)``/``(sink)``/``(source_func)`` style parameter."""
    if not signature:
        return False
    if re.search(r"\bj_\w+", signature):
        return True
    return _wraps_java(key) and signature.count(",") == 1 and not re.search(r"part_prefix", signature)


def _without_self(signature: str) -> str:
    return re.sub(r"^\(self(, )?", "(", signature)


def _raw_member(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _generic(cls: Any) -> list[str]:
    return [getattr(p, "__name__", str(p)) for p in getattr(cls, "__parameters__", ()) or ()]


def check_class(key: str, cls: Any, where: str, problems: list[str], seen: set[tuple[str, int]]) -> None:
    if (key, id(cls)) in seen:
        return
    seen.add((key, id(cls)))
    entry = CLASSES[key]
    if not inspect.isclass(cls):
        problems.append(f"{where}: expected a class, found {type(cls).__name__}")
        return
    if entry["kind"] == "enum":
        if not issubclass(cls, enum.Enum):
            problems.append(f"{where}: expected an Enum")
        else:
            missing = [m for m in entry.get("enum_members", []) if m not in cls.__members__]
            if missing:
                problems.append(f"{where}: enum members missing: {missing}")
    if entry.get("generic") and _generic(cls) != entry["generic"]:
        problems.append(f"{where}: Generic parameters {_generic(cls)}, PyFlink has {entry['generic']}")
    init = entry.get("init")
    if init is not None and not _java_constructor(key, init):
        mine = render_signature(cls)
        if mine != _without_self(init):
            problems.append(f"{where}(): constructor {mine}, PyFlink has {_without_self(init)}")
    for name, member in sorted(_members(key).items()):
        path = f"{where}.{name}"
        reason = unsupported.name_reason(f"{entry['defined_in']}.{entry['qualname']}.{name}")
        if not hasattr(cls, name):
            # listed members may be absent; Java-only get_java_* members must exist (and raise)
            if reason is None or name.startswith(unsupported.JAVA_MEMBER_PREFIX):
                problems.append(f"{path}: missing")
            continue
        if "ref" in member:
            check_class(member["ref"], getattr(cls, name), path, problems, seen)
            continue
        kind = member["kind"]
        raw = _raw_member(cls, name)
        if kind in ("method", "staticmethod", "classmethod"):
            want = {"method": (lambda r: inspect.isfunction(r)), "staticmethod": (lambda r: isinstance(r, staticmethod)),
                    "classmethod": (lambda r: isinstance(r, classmethod))}[kind]
            if raw is None or not want(raw):
                problems.append(f"{path}: expected a {kind}, found {type(raw).__name__}")
                continue
            fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
            mine = render_signature(fn)
            if mine != member["signature"] and member["signature"] is not None:
                problems.append(f"{path}{mine}: PyFlink has {path}{member['signature']}")
        elif kind == "property" and not isinstance(raw, property):
            problems.append(f"{path}: expected a property, found {type(raw).__name__}")


def check_module(module_name: str) -> list[str]:
    problems: list[str] = []
    info = MODULES[module_name]
    try:
        module = importlib.import_module(ours(module_name))
    except ImportError as exc:
        return [f"{ours(module_name)} does not import: {exc}"]
    seen: set[tuple[str, int]] = set()
    for name, entry in sorted(info["names"].items()):
        where = f"{ours(module_name)}.{name}"
        reason = unsupported.name_reason(f"{module_name}.{name}")
        if reason is not None:
            # listed: using it must fail with the reason, not with a bare AttributeError
            try:
                getattr(module, name)
            except unsupported.NotSupportedError:
                continue
            except AttributeError:
                problems.append(f"{where}: listed as not supported, but fails with a bare AttributeError")
                continue
            continue  # present as a stub that raises when used
        if not hasattr(module, name):
            problems.append(f"{where}: missing")
            continue
        obj = getattr(module, name)
        kind = entry["kind"]
        if kind in ("class", "enum"):
            check_class(entry["ref"], obj, where, problems, seen)
        elif kind == "function":
            mine = render_signature(obj)
            if mine != entry["signature"]:
                problems.append(f"{where}{mine}: PyFlink has {where}{entry['signature']}")
        elif kind == "module" and not inspect.ismodule(obj):
            problems.append(f"{where}: expected a module")
    return problems


SUPPORTED_MODULES = sorted(m for m in MODULES if unsupported.module_reason(m) is None)
UNSUPPORTED_MODULES = sorted(m for m in MODULES if unsupported.module_reason(m) is not None)


@pytest.mark.parametrize("module_name", SUPPORTED_MODULES)
def test_module_surface_matches_pyflink(module_name):
    problems = check_module(module_name)
    assert not problems, f"{len(problems)} difference(s) from PyFlink 2.3:\n" + "\n".join(problems)


@pytest.mark.parametrize("module_name", UNSUPPORTED_MODULES)
def test_unsupported_module_fails_with_its_reason(module_name):
    from runtime.compat import pyflink_alias
    pyflink_alias.install()
    if not pyflink_alias.serves_pyflink():
        pytest.fail("Apache Flink's pyflink is installed in the test environment; the mapping steps aside")
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module(module_name)
    assert isinstance(info.value, unsupported.NotSupportedError)
    # the module, or the listed package it belongs to (imported first), is named
    listed = next(p for p in unsupported.UNSUPPORTED_MODULES if module_name == p or module_name.startswith(p + "."))
    assert f"module {listed} is not supported" in str(info.value)
    assert unsupported.module_reason(module_name) in str(info.value)


def test_every_not_supported_entry_is_documented():
    doc = (ROOT / "docs" / "pyflink-compatibility.md").read_text()
    missing = [name for name in list(unsupported.UNSUPPORTED_MODULES) + list(unsupported.UNSUPPORTED_NAMES)
               if f"`{name}`" not in doc]
    assert not missing, f"docs/pyflink-compatibility.md does not list: {missing}"


def test_not_supported_entries_are_pyflink_names():
    """The list names only things PyFlink 2.3 has (no stale or misspelt entries)."""
    known = set(MODULES)
    for module_name, info in MODULES.items():
        for name, entry in info["names"].items():
            known.add(f"{module_name}.{name}")
            if "ref" in entry:
                cls = CLASSES[entry["ref"]]
                for member in _members(entry["ref"]):
                    known.add(f"{cls['defined_in']}.{cls['qualname']}.{member}")
    for key in CLASSES:
        for member in _members(key):
            known.add(f"{key}.{member}")
    outside = {"pyflink.table", "pyflink.java_gateway", "pyflink.pyflink_gateway_server", "pyflink.util",
               "pyflink.pyflink_callback_server", "pyflink.find_flink_home", "pyflink.fn_execution",
               "pyflink.serializers", "pyflink.gen_protos", "pyflink.shell", "pyflink.testing"}
    stale = [n for n in list(unsupported.UNSUPPORTED_MODULES) + list(unsupported.UNSUPPORTED_NAMES)
             if n not in known and n not in outside]
    assert not stale, f"not PyFlink 2.3 names: {stale}"


def surface_counts() -> dict[str, int]:
    """Figures for the docs and the report: PyFlink's public names and how many exist here."""
    total = present = listed = 0
    for module_name, info in MODULES.items():
        for name in info["names"]:
            total += 1
            if unsupported.module_reason(module_name) or unsupported.name_reason(f"{module_name}.{name}"):
                listed += 1
                continue
            try:
                module = importlib.import_module(ours(module_name))
            except ImportError:
                continue
            present += hasattr(module, name)
    return {"pyflink_names": total, "present": present, "not_supported": listed}


if __name__ == "__main__":
    print(surface_counts())
    for m in SUPPORTED_MODULES:
        for p in check_module(m):
            print(p)
