"""``import pyflink.datastream`` → the module ``runtime.datastream``: an import-system finder.

Why a finder and not a ``pyflink`` package of re-exports: the same job must also run on
Apache Flink, whose ``apache-flink`` distribution owns the ``pyflink`` package; a second
``pyflink`` package would clash with it in the same environment. The finder steps aside when
that package is installed (it asks the ordinary path finder first), and otherwise serves
``pyflink`` as a synthetic namespace whose submodules *are* the ``runtime`` modules:

* ``pyflink`` is a small synthetic package (no files);
* ``pyflink.X.Y`` is ``sys.modules["runtime.X.Y"]``: the very same module object, so
  ``pyflink.datastream.MapFunction is runtime.datastream.MapFunction`` and a class pickles
  by its ``runtime.`` name (TaskManagers resolve it without the finder);
* a PyFlink module listed in :mod:`runtime.compat.unsupported`, or one that has no
  counterpart here, raises :class:`~runtime.compat.unsupported.ModuleNotSupportedError` with
  the module's name and the reason.

Finder and loaders implement the import protocol (``find_spec``; ``create_module`` and
``exec_module``) without subclassing ``importlib.abc``, whose import costs more than the rest
of this module (it runs at every interpreter start once the ``.pth`` hook is installed).

The finder sits at the front of ``sys.meta_path`` so that it, not the path finder, resolves
``pyflink.X.Y`` (the path finder would load ``runtime/X/Y.py`` a second time under the other
name, giving every class two identities). Installing twice is harmless.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import types

TYPE_CHECKING = False  # typing itself is not imported: it would double this module's import cost
if TYPE_CHECKING:
    from typing import Any, NoReturn

_PREFIX = "pyflink"
_TARGET = "runtime"
#: PyFlink modules whose counterpart here has another name
_RENAMED = {
    "pyflink.metrics": "runtime.compat.pyflink_metrics",
    "pyflink.metrics.metricbase": "runtime.compat.pyflink_metrics",
    "pyflink.version": "runtime.compat.pyflink_version",
}
#: the PyFlink packages mapped onto this engine (anything else under pyflink is refused)
_MAPPED = ("pyflink.datastream", "pyflink.common", "pyflink.metrics", "pyflink.version")


def _is_mapped(fullname: str) -> bool:
    return any(fullname == p or fullname.startswith(p + ".") for p in _MAPPED)


def _target(fullname: str) -> str:
    renamed = _RENAMED.get(fullname)
    if renamed is not None:
        return renamed
    return _TARGET + fullname[len(_PREFIX):]


class _AliasLoader:
    """Hands out the already imported ``runtime`` module instead of a new one.

    The import system sets ``module.__spec__`` to the alias spec after ``create_module``;
    ``exec_module`` puts the module's own spec back, so the ``runtime`` module is unchanged
    (its name, file and spec stay its own).
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        if self._spec is not None:
            module.__spec__ = self._spec


class _NamespaceLoader:
    """The synthetic top-level ``pyflink`` package."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(_PREFIX)
        module.__path__ = []  # a package: submodules are found by the finder, not on disk
        module.__doc__ = ("PyFlink's package names mapped onto this engine (runtime.compat): "
                          "pyflink.datastream is runtime.datastream, pyflink.common is runtime.common.")
        module.__dict__["__pyflink_alias__"] = True
        module.__dict__["__getattr__"] = _top_level_getattr
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def _top_level_getattr(name: str) -> Any:
    if name == "__version__":
        return importlib.import_module(_RENAMED["pyflink.version"]).__version__
    if not name.startswith("_"):
        from runtime.compat.unsupported import module_reason
        if module_reason(f"{_PREFIX}.{name}") is not None or not _is_mapped(f"{_PREFIX}.{name}"):
            _refuse(f"{_PREFIX}.{name}")
    raise AttributeError(f"module {_PREFIX!r} has no attribute {name!r}")


def _refuse(fullname: str) -> NoReturn:
    from runtime.compat.unsupported import ModuleNotSupportedError, message, module_reason
    reason = module_reason(fullname)
    if reason is None:
        reason = ("it has no counterpart in this engine, which provides PyFlink's "
                  "pyflink.datastream, pyflink.common and pyflink.metrics APIs")
    raise ModuleNotSupportedError(message(f"module {fullname}", reason), name=fullname)


def real_pyflink_installed() -> bool:
    """Is a ``pyflink`` package (Apache Flink's) importable from ``sys.path``?"""
    return importlib.machinery.PathFinder.find_spec(_PREFIX) is not None


class PyFlinkAliasFinder:
    """Resolves ``pyflink`` and ``pyflink.*`` while Apache Flink's package is absent."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == _PREFIX:
            if real_pyflink_installed():
                return None
            namespace: Any = _NamespaceLoader()
            return importlib.machinery.ModuleSpec(_PREFIX, namespace, is_package=True)
        if not fullname.startswith(_PREFIX + "."):
            return None
        top = sys.modules.get(_PREFIX)
        if top is None or not getattr(top, "__pyflink_alias__", False):
            return None  # the real PyFlink is the one imported: not ours to resolve
        from runtime.compat.unsupported import module_reason
        if module_reason(fullname) is not None or not _is_mapped(fullname):
            _refuse(fullname)
        target_name = _target(fullname)
        try:
            found = importlib.util.find_spec(target_name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            _refuse(fullname)
        loader: Any = _AliasLoader(target_name)
        return importlib.machinery.ModuleSpec(fullname, loader, is_package=found.submodule_search_locations is not None)


_FINDER = PyFlinkAliasFinder()


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (idempotent, cheap: nothing is looked up
    until a job imports ``pyflink``)."""
    if not any(isinstance(f, PyFlinkAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _FINDER)


def serves_pyflink() -> bool:
    """Will ``import pyflink`` give this engine's modules (Apache Flink's ``pyflink`` is not
    installed, or not the one already imported)?"""
    module = sys.modules.get(_PREFIX)
    if module is not None:
        return bool(getattr(module, "__pyflink_alias__", False))
    return not real_pyflink_installed()


def uninstall() -> None:
    """Remove the finder and forget the ``pyflink.*`` aliases (the ``runtime`` modules stay)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, PyFlinkAliasFinder)]
    top = sys.modules.get(_PREFIX)
    if top is not None and getattr(top, "__pyflink_alias__", False):
        for name in [n for n in sys.modules if n == _PREFIX or n.startswith(_PREFIX + ".")]:
            del sys.modules[name]


def installed() -> bool:
    return any(isinstance(f, PyFlinkAliasFinder) for f in sys.meta_path)
