"""A job's Python dependencies: files, archives, requirements and the interpreter
(PyFlink's ``add_python_file``/``add_python_archive``/``set_python_requirements``/
``set_python_executable`` and the CLI's ``-pyfs``/``-pyarch``/``-pyreq``/``-pyexec``).

What each means here, where user functions run inside the TaskManager processes:

* **files** are shipped in the job archive and imported from the job's directory on every
  TaskManager (that directory is on ``sys.path``).
* **archives** (zip or tar) are extracted into ``<target_dir>/`` of the job's directory
  (``target_dir`` defaults to the archive's file name, as in PyFlink), which is on
  ``sys.path``: the archive's modules import as ``target_dir.module`` and find the archive's
  files beside themselves (``os.path.dirname(__file__)``). Paths relative to the working
  directory do not reach them: tasks share their process's working directory (see
  docs/pyflink-compatibility.md).
* **requirements** are installed by the client with ``pip install --target`` into a
  directory that travels in the job archive (``requirements_cache_dir`` becomes pip's
  ``--find-links`` with ``--no-index``, as PyFlink uses it for offline installs). A failed
  install stops the submission with pip's reason and what to do.
* **the executable** cannot be chosen per job: TaskManagers run the interpreter they were
  started with. A ``python_exec`` of another Python version is refused with a message that
  says so; one of the same version is accepted (it is equivalent), and a path that does not
  exist on this machine (e.g. inside a shipped archive) is accepted with a warning.

For the embedded mini cluster (``python job.py``, ``pyflink run -t local``) the same
preparation happens in-process: archives are extracted and requirements installed into a
temporary directory that is put on ``sys.path``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_ARCHIVE_SUFFIXES = (".zip", ".jar", ".whl", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


class PythonDependencyError(Exception):
    """A dependency that cannot be prepared; the message says which and what to do."""


@dataclass
class PythonDependencies:
    files: list[str] = field(default_factory=list)
    archives: list[tuple[str, str]] = field(default_factory=list)   # (archive path, target dir)
    requirements: tuple[str, str | None] | None = None             # (requirements file, cache dir)
    executable: str | None = None

    def is_empty(self) -> bool:
        return not (self.files or self.archives or self.requirements or self.executable)

    def copy(self) -> PythonDependencies:
        """What one ``execute()`` ships (later ``add_python_file`` calls belong to later jobs)."""
        return PythonDependencies(list(self.files), list(self.archives), self.requirements, self.executable)


# ------------------------------------------------------------------------------ archives
def archive_target(archive_path: str, target_dir: str | None) -> str:
    """The directory an archive is extracted into: ``target_dir`` or the archive's file name."""
    name = target_dir or os.path.basename(archive_path.rstrip("/"))
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise PythonDependencyError(f"invalid target directory {name!r} for archive {archive_path}: "
                                    "give a plain directory name")
    return name


def check_archive(path: str) -> str:
    """The absolute path of a readable zip/tar archive, or a clear error."""
    if not os.path.isfile(path):
        raise PythonDependencyError(f"python archive {path} does not exist (or is not a file)")
    if not (zipfile.is_zipfile(path) or _is_tar(path)):
        raise PythonDependencyError(f"python archive {path} is not a zip or tar file "
                                    f"(supported: {', '.join(_ARCHIVE_SUFFIXES)})")
    return os.path.abspath(path)


def _is_tar(path: str) -> bool:
    try:
        import tarfile  # only for archives (a job without them never loads it)
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def archive_members(path: str) -> Iterator[tuple[str, bytes]]:
    """(relative name, content) of every regular file in a zip or tar archive; names that
    would escape the target directory are refused."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield _safe_name(info.filename, path), zf.read(info)
        return
    import tarfile
    with tarfile.open(path) as tf:
        for member in tf.getmembers():
            if member.isfile():
                f = tf.extractfile(member)
                if f is not None:
                    yield _safe_name(member.name, path), f.read()


def _safe_name(name: str, archive: str) -> str:
    norm = os.path.normpath(name).replace("\\", "/")
    if norm.startswith("../") or norm == ".." or os.path.isabs(norm):
        raise PythonDependencyError(f"archive {archive} has an entry {name!r} outside its directory")
    return norm


def extract_archive(path: str, target: Path) -> None:
    for name, data in archive_members(path):
        out = target / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)


# -------------------------------------------------------------------------- requirements
def check_requirements(requirements_file: str, cache_dir: str | None) -> tuple[str, str | None]:
    if not os.path.isfile(requirements_file):
        raise PythonDependencyError(f"requirements file {requirements_file} does not exist")
    if cache_dir is not None and not os.path.isdir(cache_dir):
        raise PythonDependencyError(f"requirements cache directory {cache_dir} does not exist")
    return os.path.abspath(requirements_file), os.path.abspath(cache_dir) if cache_dir else None


def install_requirements(requirements_file: str, cache_dir: str | None, target: Path, timeout: float = 600.0) -> None:
    """``pip install --target`` the requirements (offline from ``cache_dir`` if given)."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-warn-script-location", "--target", str(target), "-r", requirements_file]
    if cache_dir:
        cmd += ["--no-index", "--find-links", cache_dir]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:  # pragma: no cover - sys.executable always exists
        raise PythonDependencyError(f"cannot run pip to install {requirements_file}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise PythonDependencyError(f"installing {requirements_file} with pip took more than {timeout:.0f} s; "
                                    "install the packages where the TaskManagers run "
                                    f"(`{sys.executable} -m pip install -r {requirements_file}`) and "
                                    "submit without the requirements") from None
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or proc.stdout).strip().splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"pip exited with code {proc.returncode}"
        raise PythonDependencyError(
            f"could not install the requirements in {requirements_file}: {reason}; fix the file, give a "
            "directory of downloaded packages as the requirements cache (pip download -d DIR -r FILE), or "
            f"install them where the TaskManagers run (`{sys.executable} -m pip install -r {requirements_file}`)")


# ---------------------------------------------------------------------------- executable
def check_executable(python_exec: str) -> str | None:
    """Refuse an interpreter of another Python version; return a warning to show when the
    executable cannot be checked here (it does not exist on this machine)."""
    path = python_exec if os.path.isabs(python_exec) or os.sep in python_exec else None
    if path is None:
        from shutil import which
        path = which(python_exec)
    if path is None or not os.path.exists(path):
        return (f"python executable {python_exec} is not on this machine; tasks run in the TaskManagers' "
                f"own interpreter (Python {sys.version_info[0]}.{sys.version_info[1]} here)")
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PythonDependencyError(f"cannot run python executable {python_exec}: {exc}") from None
    theirs = out.stdout.strip()
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if out.returncode != 0 or not theirs:
        raise PythonDependencyError(f"{python_exec} does not run as a Python interpreter")
    if theirs != ours:
        raise PythonDependencyError(
            f"python executable {python_exec} is Python {theirs}, but tasks run inside the TaskManagers, "
            f"whose interpreter is Python {ours}; start the cluster with that interpreter "
            f"(`{python_exec} -m pyflink_cli cluster start`) instead of choosing it per job")
    return None


# ------------------------------------------------------------------------- embedded use
def prepare_in_process(deps: PythonDependencies) -> list[str]:
    """Make the dependencies importable in this process (the embedded mini cluster): extract
    archives and install requirements into a temporary directory put on ``sys.path``.
    Returns the paths added."""
    added: list[str] = []
    if deps.executable:
        warning = check_executable(deps.executable)
        if warning:
            import logging  # here: a client command (run -d) imports this module and logs nothing
            logging.getLogger(__name__).warning(warning)
    if not deps.archives and not deps.requirements:
        return added
    base = Path(tempfile.mkdtemp(prefix="pyflink-job-deps-"))
    for archive, target in deps.archives:
        extract_archive(archive, base / target)
    if deps.requirements:
        site = base / "_requirements"
        install_requirements(deps.requirements[0], deps.requirements[1], site)
        added.append(str(site))
    added.append(str(base))
    for path in added:
        if path not in sys.path:
            sys.path.insert(0, path)
    return added
