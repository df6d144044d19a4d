"""PackagedProgram: the user's job file plus ``--pyfiles``, archived for the TaskManagers,
and the invocation of the program's entry point.

The entry file is checked (exists, parses) before anything runs. A module with a top-level
``main()`` that takes no required arguments is imported under its own name and ``main()`` is
called; any other script runs as ``__main__`` (as ``python job.py`` would). Either way
``sys.argv`` is the file and its arguments and the file's directory is on ``sys.path``.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect
import io
import runpy
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pyflink_cli.frontend import CliError


@dataclass
class PackagedProgram:
    entry: Path
    args: list[str]
    pyfiles: list[Path] = field(default_factory=list)

    @classmethod
    def create(cls, entry: str, args: list[str], pyfiles: str | None) -> PackagedProgram:
        path = Path(entry)
        if not path.exists():
            raise CliError(f"job file '{entry}' does not exist")
        if not path.is_file():
            raise CliError(f"job file '{entry}' is not a file")
        files: list[Path] = []
        for item in (pyfiles or "").split(","):
            item = item.strip()
            if not item:
                continue
            p = Path(item)
            if not p.exists():
                raise CliError(f"--pyfiles entry '{item}' does not exist")
            files.append(p)
        program = cls(path.resolve(), list(args), files)
        program.tree = program._parse()
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

    def has_main(self) -> bool:
        return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "main" for n in self.tree.body)

    def archive(self, extra: list[Path] | None = None) -> bytes:
        """Zip of the entry file and the pyfiles, shipped through the blob server and unpacked
        on each TaskManager's sys.path. A directory is a sys.path entry (as with Flink's
        ``--pyFiles``): its contents go to the archive root, so what imports on the client
        imports the same way on the TaskManagers."""
        buf = io.BytesIO()
        written: set[str] = set()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            def add(path: Path, name: str) -> None:
                if name not in written:
                    written.add(name)
                    zf.write(path, name)
            add(self.entry, self.entry.name)
            for p in self.pyfiles + list(extra or []):
                if p.is_dir():
                    for f in sorted(p.rglob("*")):
                        if f.is_file() and "__pycache__" not in f.parts:
                            add(f, str(f.relative_to(p)))
                else:
                    add(p, p.name)
            for path, name in self.local_modules():
                add(path, name)
        return buf.getvalue()

    def local_modules(self) -> list[tuple[Path, str]]:
        """Modules the program imported from its own directory (``import helpers`` next to
        ``job.py``): they import on the client because that directory is on sys.path, so
        they are shipped too and import the same way on the TaskManagers."""
        base = self.entry.parent.resolve()
        prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
        out = []
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if not file or not file.endswith(".py") or name.split(".")[0] in ("runtime", "pyflink_cli"):
                continue  # the engine itself is installed on every TaskManager
            path = Path(file).resolve()
            if path == self.entry or base not in path.parents or "site-packages" in path.parts \
                    or any(p in path.parents for p in prefixes):
                continue
            out.append((path, str(path.relative_to(base))))
        return sorted(out)

    def invoke(self) -> None:
        """Run the program in this process, as ``python job.py ARGS`` would."""
        directory = str(self.entry.parent)
        saved_argv, saved_path = sys.argv, list(sys.path)
        sys.argv = [str(self.entry)] + self.args
        for p in reversed(self.pyfiles):
            sys.path.insert(0, str(p.resolve() if p.is_dir() else p.resolve().parent))
        sys.path.insert(0, directory)
        try:
            if self.has_main():
                module = self._import_module()
                main = getattr(module, "main", None)
                if callable(main) and _no_required_args(main):
                    main()
                    return
            runpy.run_path(str(self.entry), run_name="__main__")
        finally:
            sys.argv = saved_argv
            sys.path[:] = saved_path

    def _import_module(self):
        name = self.entry.stem
        spec = importlib.util.spec_from_file_location(name, self.entry)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        # the job's functions and classes travel by value, as from a script run as __main__:
        # importing the job file on a TaskManager would run its top-level code again there
        # (reading sys.argv, building a second job, ...)
        import cloudpickle
        cloudpickle.register_pickle_by_value(module)
        spec.loader.exec_module(module)
        return module


def _no_required_args(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in sig.parameters.values())

