"""PackagedProgram: the user's job (a file or a module) plus ``-pyfs``, archives and installed
requirements, packed for the TaskManagers, and the invocation of the program's entry point
(Flink's ``PackagedProgram``).

The entry file is checked (exists, parses) before anything runs. The entry point is, in
this order: the function named by ``-c``; a top-level ``main()`` taking no required arguments
(the module is imported under its own name and ``main()`` called); otherwise the file runs
as ``__main__`` (as ``python job.py`` would), or with ``-pym`` the module runs as
``python -m MODULE`` would. Either way ``sys.argv`` is the program and its arguments and the
program's directory and the ``-pyfs`` entries are on ``sys.path``.

The archive maps each shipped file to the path it came from (``sources``), so tracebacks that
TaskManagers report from their copies name the user's own files.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect
import io
import os
import runpy
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflink_cli.frontend import CliError

_ZIP_SUFFIXES = (".zip", ".egg", ".whl", ".jar")


@dataclass
class PackagedProgram:
    entry: Path
    args: list[str]
    pyfiles: list[Path] = field(default_factory=list)
    module: str | None = None                 # -pym: the module run as __main__
    entry_point: str | None = None            # -c: the function to call
    #: archive name -> the path it was read from (for tracebacks from TaskManagers)
    sources: dict[str, str] = field(default_factory=dict)
    #: the entry file's syntax tree (parsed once, to find main() and the -c entry point)
    tree: ast.Module = field(default_factory=lambda: ast.Module(body=[], type_ignores=[]), repr=False)

    @classmethod
    def create(cls, entry: str, args: list[str], pyfiles: str | None, entry_point: str | None = None) -> PackagedProgram:
        path = Path(entry)
        if not path.exists():
            raise CliError(f"job file '{entry}' does not exist")
        if not path.is_file():
            raise CliError(f"job file '{entry}' is not a file")
        program = cls(path.resolve(), list(args), _pyfiles(pyfiles), entry_point=entry_point)
        program.tree = program._parse()
        program._check_entry_point()
        return program

    @classmethod
    def from_module(cls, module: str, args: list[str], pyfiles: str | None,
                    entry_point: str | None = None) -> PackagedProgram:
        """``-pym MODULE``: found on the ``-pyfs`` entries, the current directory and sys.path."""
        files = _pyfiles(pyfiles)
        search = [str(p.resolve() if p.is_dir() else p.resolve().parent) for p in files] + [os.getcwd()]
        saved = list(sys.path)
        sys.path[:0] = [p for p in search if p not in sys.path]
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError) as exc:
            raise CliError(f"-pym: cannot find module '{module}': {exc}") from None
        finally:
            sys.path[:] = saved
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            raise CliError(f"-pym: no Python module '{module}' on the -pyfs entries, the current directory or "
                           "sys.path")
        origin = Path(spec.origin)
        if spec.submodule_search_locations is not None:  # a package: run its __main__
            main = origin.parent / "__main__.py"
            if not main.is_file():
                raise CliError(f"-pym: '{module}' is a package without a __main__.py")
            origin = main
        program = cls(origin.resolve(), list(args), files, module=module, entry_point=entry_point)
        program.tree = program._parse()
        program._check_entry_point()
        return program

    def _parse(self) -> ast.Module:
        try:
            source = self.entry.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read job file '{self.entry}': {exc}") from None
        try:
            return ast.parse(source, filename=str(self.entry))
        except SyntaxError as exc:
            raise CliError(f"syntax error in {self.entry}, line {exc.lineno}: {exc.msg}") from None

    def _check_entry_point(self) -> None:
        if self.entry_point is None:
            return
        if not self.entry_point.isidentifier():
            raise CliError(f"-c/--class: '{self.entry_point}' is not a function name")
        if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == self.entry_point
                   for n in self.tree.body):
            raise CliError(f"-c/--class: {self.entry} defines no top-level '{self.entry_point}'")

    def has_main(self) -> bool:
        return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "main" for n in self.tree.body)

    @property
    def root(self) -> Path:
        """The sys.path entry the program is imported from (a -pym module's package root)."""
        if self.module:
            depth = self.module.count(".") + (1 if self.entry.name == "__main__.py" else 0)
            base = self.entry.parent
            for _ in range(depth):
                base = base.parent
            return base
        return self.entry.parent

    # ------------------------------------------------------------------ the archive
    def archive(self, extra: list[Path] | None = None, archives: list[tuple[str, str]] | None = None,
                requirements_dir: Path | None = None) -> bytes:
        """Zip of the entry file (or module), the pyfiles, the job's archives (each under its
        target directory) and the installed requirements, shipped through the blob server
        and unpacked on each TaskManager's sys.path. A directory is a sys.path entry (as with
        Flink's ``--pyFiles``): its contents go to the archive root, so what imports on the
        client imports the same way on the TaskManagers; a .zip/.egg/.whl is unpacked there."""
        buf = io.BytesIO()
        written: set[str] = set()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            def add(path: Path, name: str) -> None:
                if name not in written:
                    written.add(name)
                    zf.write(path, name)
                    self.sources[name] = str(path)

            def add_bytes(name: str, data: bytes, origin: str) -> None:
                if name not in written:
                    written.add(name)
                    zf.writestr(name, data)
                    self.sources[name] = origin

            if self.module:
                add(self.entry, str(self.entry.relative_to(self.root)))
                for init in _package_inits(self.entry, self.root):
                    add(init, str(init.relative_to(self.root)))
            else:
                add(self.entry, self.entry.name)
            for p in self.pyfiles + list(extra or []):
                if p.is_dir():
                    for f in sorted(p.rglob("*")):
                        if f.is_file() and "__pycache__" not in f.parts:
                            add(f, str(f.relative_to(p)))
                elif p.suffix.lower() in _ZIP_SUFFIXES and zipfile.is_zipfile(p):
                    with zipfile.ZipFile(p) as lib:
                        for info in lib.infolist():
                            if not info.is_dir():
                                add_bytes(info.filename, lib.read(info), f"{p}/{info.filename}")
                else:
                    add(p, p.name)
            for path, name in self.local_modules():
                add(path, name)
            if archives:
                from runtime.datastream.python_dependencies import archive_members
                for archive, target in archives:
                    for name, data in archive_members(archive):
                        add_bytes(f"{target}/{name}", data, f"{archive}#{name}")
            if requirements_dir is not None:
                for f in sorted(requirements_dir.rglob("*")):
                    if f.is_file() and "__pycache__" not in f.parts:
                        add(f, str(f.relative_to(requirements_dir)))
        return buf.getvalue()

    def local_modules(self) -> list[tuple[Path, str]]:
        """Modules the program imported from its own directory (``import helpers`` next to
        ``job.py``): they import on the client because that directory is on sys.path, so
        they are shipped too and import the same way on the TaskManagers."""
        base = self.root.resolve()
        prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
        # cheap string tests first: a client has imported some 300 modules, and resolving
        # each path would cost `run` several milliseconds
        skip = tuple({str(p) + os.sep for p in prefixes} | {sys.prefix + os.sep, sys.base_prefix + os.sep})
        out = []
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if not file or not file.endswith(".py") or name.split(".")[0] in ("runtime", "pyflink_cli", "pyflink"):
                continue  # the engine itself is installed on every TaskManager
            if file.startswith(skip) or f"{os.sep}site-packages{os.sep}" in file:
                continue
            path = Path(file).resolve()
            if not path.is_file():
                continue  # imported from a zip on sys.path (-pyfs lib.zip): shipped as that zip's contents
            if path == self.entry or base not in path.parents or "site-packages" in path.parts \
                    or any(p in path.parents for p in prefixes):
                continue
            out.append((path, str(path.relative_to(base))))
        return sorted(out)

    # ------------------------------------------------------------------ running it
    def invoke(self) -> None:
        """Run the program in this process, as ``python job.py ARGS`` (or ``python -m``) would."""
        saved_argv, saved_path = sys.argv, list(sys.path)
        sys.argv = [str(self.entry)] + self.args
        for p in reversed(self.pyfiles):
            sys.path.insert(0, str(p.resolve() if p.is_dir() else p.resolve() if p.suffix.lower() in _ZIP_SUFFIXES
                                   else p.resolve().parent))
        sys.path.insert(0, str(self.root))
        try:
            if self.entry_point is not None:
                _call(getattr(self._import_module(), self.entry_point), self.entry_point)
                return
            if self.has_main():
                module = self._import_module()
                main = getattr(module, "main", None)
                if callable(main) and _no_required_args(main):
                    main()
                    return
            if self.module:
                runpy.run_module(self.module, run_name="__main__", alter_sys=True)
            else:
                runpy.run_path(str(self.entry), run_name="__main__")
        finally:
            sys.argv = saved_argv
            sys.path[:] = saved_path

    def _import_module(self) -> Any:
        if self.module:
            return importlib.import_module(self.module)
        name = self.entry.stem
        spec = importlib.util.spec_from_file_location(name, self.entry)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        # the job's functions and classes travel by value, as from a script run as __main__:
        # importing the job file on a TaskManager would run its top-level code again there
        # (reading sys.argv, building a second job, ...)
        import cloudpickle
        cloudpickle.register_pickle_by_value(module)
        spec.loader.exec_module(module)
        return module


def _pyfiles(pyfiles: str | None) -> list[Path]:
    files: list[Path] = []
    for item in (pyfiles or "").split(","):
        item = item.strip()
        if not item:
            continue
        p = Path(item)
        if not p.exists():
            raise CliError(f"-pyfs/--pyFiles entry '{item}' does not exist")
        files.append(p)
    return files


def _package_inits(entry: Path, root: Path) -> list[Path]:
    out = []
    d = entry.parent
    while d != root and root in d.parents:
        init = d / "__init__.py"
        if init.is_file():
            out.append(init)
        d = d.parent
    return out


def _call(entry: Any, name: str) -> None:
    fn: Any = entry
    main = getattr(entry, "main", None) if inspect.isclass(entry) else None
    if callable(main):
        fn = main  # Flink's -c names a class with a main(): a class whose main() is static here
    if not callable(fn):
        raise CliError(f"-c/--class: '{name}' is not callable")
    if not _no_required_args(fn):
        raise CliError(f"-c/--class: {name}() needs arguments; the entry point is called without any")
    fn()


def _no_required_args(fn: Any) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in sig.parameters.values())
