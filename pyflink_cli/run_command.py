"""``pyflink run`` and ``pyflink info``: install a context environment and invoke the program.

The context environment's executor submits each ``env.execute()`` to the target: the
configured JobManager (remote) or the embedded mini cluster (local). For an attached remote
run it waits, streaming what the job prints on the TaskManagers to this terminal, then
reports the job id, final state and runtime; a failed job exits 1 with the user's traceback
(paths of the TaskManagers' copies of the job's files replaced by the user's own).

Before the program runs, PyFlink's package names are mapped onto this engine
(``runtime.compat``), so job files written for PyFlink (``from pyflink.datastream import
...``) run unmodified; a PyFlink name that does not exist here fails at its import with one
line saying so.
"""
from __future__ import annotations

import contextlib
import json
import re
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflink_cli.frontend import CliError, CliFrontend, fail
from pyflink_cli.program import PackagedProgram
from runtime.configuration import options as opts

if TYPE_CHECKING:
    from runtime.datastream.python_dependencies import PythonDependencies


@dataclass
class RunRequest:
    """What ``pyflink run``/``info`` were asked to run, from Flink's options."""

    job_file: str | None
    module: str | None
    args: list[str]
    pyfiles: str | None
    requirements: tuple[str, str | None] | None
    archives: list[tuple[str, str]]
    executable: str | None
    entry_point: str | None
    shutdown_on_attached_exit: bool
    json_out: bool
    verbose: bool

    @classmethod
    def from_cli(cls, positional: list[str], python: str | None, py_module: str | None, py_files: str | None,
                 py_requirements: str | None, py_archives: str | None, py_executable: str | None,
                 entry_point: str | None, sae: bool, json_out: bool, verbose: bool) -> RunRequest:
        args = list(positional)
        if args and args[0] == "--":
            args = args[1:]
        if python and py_module:
            fail("give the job either as -py/--python FILE or as -pym/--pyModule MODULE, not both")
        job_file = python
        if not python and not py_module:
            if not args:
                fail("no job given: pyflink run JOB.py [ARGS...], or -py JOB.py, or -pym MODULE")
            job_file = args.pop(0)
        if args and args[0] == "--":
            args = args[1:]
        return cls(job_file, py_module, args, py_files, _requirements(py_requirements), _archives(py_archives),
                   py_executable, entry_point, sae, json_out, verbose)

    def program(self) -> PackagedProgram:
        if self.module:
            return PackagedProgram.from_module(self.module, self.args, self.pyfiles, self.entry_point)
        assert self.job_file is not None
        return PackagedProgram.create(self.job_file, self.args, self.pyfiles, self.entry_point)


def _requirements(value: str | None) -> tuple[str, str | None] | None:
    if not value:
        return None
    from runtime.datastream.python_dependencies import PythonDependencyError, check_requirements
    path, _, cache = value.partition("#")
    try:
        return check_requirements(path, cache or None)
    except PythonDependencyError as exc:
        fail(f"-pyreq: {exc}")


def _archives(value: str | None) -> list[tuple[str, str]]:
    from runtime.datastream.python_dependencies import PythonDependencyError, archive_target, check_archive
    out = []
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        path, _, target = item.partition("#")
        try:
            out.append((check_archive(path), archive_target(path, target or None)))
        except PythonDependencyError as exc:
            fail(f"-pyarch: {exc}")
    return out


class ContextExecutor:
    """PipelineExecutor installed for the program: remembers every job it submitted."""

    def __init__(self, frontend: CliFrontend, program: PackagedProgram, request: RunRequest,
                 submitted: list[dict]) -> None:
        self.frontend = frontend
        self.program = program
        self.request = request
        self.submitted = submitted
        self.attached = frontend.config.get(opts.EXECUTION_ATTACHED)
        self._archive: bytes | None = None
        #: live status lines of the attached jobs (on a terminal only; stopped at the end)
        self.progress: list[Any] = []

    def submit(self, job_graph: Any, detached: bool = False,
               python_dependencies: PythonDependencies | None = None):
        from pyflink_cli.client import ClusterClient
        from runtime.common.job_client import JobClient
        from runtime.datastream.python_dependencies import PythonDependencies
        client = ClusterClient(self.frontend)
        deps = python_dependencies or PythonDependencies()
        extra = [Path(f) for f in deps.files]  # env.add_python_file(...)
        archives = self.request.archives + deps.archives
        requirements = deps.requirements or self.request.requirements
        if self._archive is None or extra or deps.archives or deps.requirements:
            self._archive = self.program.archive(extra, archives, _install(requirements))
        _check_executable(deps.executable or self.request.executable)
        job_id = str(client.submit_job(job_graph, self._archive,
                                   timeout=self.frontend.config.get(opts.CLIENT_TIMEOUT) / 1000.0))
        if not self.request.json_out:
            print(f"Job has been submitted with JobID {job_id}")
            sys.stdout.flush()
        progress = None if detached else self._progress(client, job_id, job_graph)
        job_client = JobClient(client, job_id, progress.writer() if progress is not None else None)
        if progress is not None:
            job_client.on_poll = progress.on_poll
        self.submitted.append({"jid": job_id, "name": job_graph.name, "attached": not detached,
                               "client": job_client})
        return job_client


    def _progress(self, client: Any, job_id: str, job_graph: Any) -> Any:
        """On a terminal, the live status of an attached job (state, time, slots); else None."""
        from pyflink_cli.progress import JobProgress, progress_enabled
        if not progress_enabled(self.request.json_out):
            return None
        progress = JobProgress(client, job_id, job_graph.name, job_graph.slots_needed())
        self.progress.append(progress)
        return progress

    def stop_progress(self) -> None:
        for progress in self.progress:
            progress.stop()


_INSTALLED: dict[tuple[str, str | None], Path] = {}


def _install(requirements: tuple[str, str | None] | None) -> Path | None:
    """Install the requirements once per run into a directory shipped with the job."""
    if requirements is None:
        return None
    if requirements not in _INSTALLED:
        import tempfile

        from runtime.datastream.python_dependencies import PythonDependencyError, install_requirements
        target = Path(tempfile.mkdtemp(prefix="pyflink-requirements-"))
        try:
            install_requirements(requirements[0], requirements[1], target)
        except PythonDependencyError as exc:
            raise CliError(str(exc)) from None
        _INSTALLED[requirements] = target
    return _INSTALLED[requirements]


def _check_executable(executable: str | None) -> None:
    if not executable:
        return
    from runtime.datastream.python_dependencies import PythonDependencyError, check_executable
    try:
        warning = check_executable(executable)
    except PythonDependencyError as exc:
        raise CliError(str(exc)) from None
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


class LocalContextExecutor:
    """``--target local``: the embedded mini cluster, recording submissions."""

    def __init__(self, frontend: CliFrontend, request: RunRequest, submitted: list[dict]) -> None:
        from runtime.minicluster.mini_cluster import MiniClusterExecutor
        self.inner = MiniClusterExecutor(frontend.config)
        self.attached = True  # the job runs in this process: always wait for it
        self.request = request
        self.submitted = submitted

    def submit(self, job_graph: Any, detached: bool = False,
               python_dependencies: PythonDependencies | None = None):
        from runtime.datastream.python_dependencies import PythonDependencies, PythonDependencyError, prepare_in_process
        deps = python_dependencies.copy() if python_dependencies else PythonDependencies()
        deps.archives = self.request.archives + deps.archives
        deps.requirements = deps.requirements or self.request.requirements
        _check_executable(deps.executable or self.request.executable)
        deps.executable = None
        try:
            prepare_in_process(deps)
        except PythonDependencyError as exc:
            raise CliError(str(exc)) from None
        # an embedded job lives in this process: the run waits for it whatever -d says
        client = self.inner.submit(job_graph, False)
        self.submitted.append({"jid": client.get_job_id().to_hex_string(), "name": job_graph.name,
                               "attached": True, "client": None})
        return client


def _install_context(frontend: CliFrontend, executor_factory: Any) -> None:
    from runtime.compat import install
    from runtime.datastream import stream_execution_environment as see
    install()  # job files written for PyFlink import pyflink.datastream / pyflink.common
    see._context_executor_factory = executor_factory
    see._context_configuration = frontend.config


def _uninstall_context() -> None:
    from runtime.datastream import stream_execution_environment as see
    see._context_executor_factory = None
    see._context_configuration = None


def user_traceback(text: str, program: PackagedProgram, job_id: str) -> str:
    """A traceback reported by a TaskManager, with the paths of its copy of the job's files
    (``.../blobs/<job id>/<name>``) replaced by the files the user submitted."""
    pattern = re.compile(r'File "([^"]*/blobs/' + re.escape(job_id) + r'/)([^"]+)"')

    def original(match: re.Match) -> str:
        source = program.sources.get(match.group(2))
        return f'File "{source}"' if source else match.group(0)

    return pattern.sub(original, text)


def _program_failure(exc: BaseException, program: PackagedProgram, verbose: bool) -> None:
    """One line naming where the user's program failed (the deepest frame in its files)."""
    from runtime.compat.unsupported import NotSupportedError
    if verbose:
        traceback.print_exc()
        return
    files = {str(program.entry)} | {str(p.resolve()) for p in program.pyfiles if p.is_file()}
    tb = traceback.extract_tb(exc.__traceback__)
    frame = next((f for f in reversed(tb) if f.filename in files), None)
    where = f"{frame.filename}:{frame.lineno}" if frame else None
    if isinstance(exc, NotSupportedError):
        print(f"error: {where + ': ' if where else ''}{exc}", file=sys.stderr)
        return
    print(f"error: the program failed{' at ' + where if where else ''}: {type(exc).__name__}: {exc} "
          "(run with --verbose for the traceback)", file=sys.stderr)


class _Terminated(BaseException):
    """SIGTERM/SIGHUP while a program runs attached (with -sae): treated like Ctrl-C."""


@contextlib.contextmanager
def _terminate_as_interrupt(enabled: bool):
    if not enabled:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Terminated()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _cancel_submitted(frontend: CliFrontend, submitted: list[dict]) -> None:
    """-sae: best-effort cancellation of the jobs this run submitted and still waits for."""
    from pyflink_cli.client import try_client
    gateway = try_client(frontend)
    for job in submitted:
        if not job.get("attached"):
            continue
        try:
            if gateway is None:
                raise RuntimeError("no JobManager reachable")
            gateway.cancel_job(job["jid"])
            print(f"cancelled job {job['jid']} (-sae: the client was terminated)", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - best effort, say what happened
            print(f"could not cancel job {job['jid']}: {exc}", file=sys.stderr)
    if gateway is not None:
        gateway.close()


def run_program(frontend: CliFrontend, request: RunRequest) -> int:
    from runtime.common.job_client import JobExecutionException
    from runtime.graph.stream_graph import GraphError
    try:
        program = request.program()
    except CliError as exc:
        fail(str(exc))
    submitted: list[dict] = []
    local = frontend.config.get(opts.EXECUTION_TARGET) == "local"
    if local:
        executor: Any = LocalContextExecutor(frontend, request, submitted)
    else:
        from pyflink_cli.client import ClusterClient
        ClusterClient(frontend).close()  # fail fast, before running user code, if no cluster is there
        executor = ContextExecutor(frontend, program, request, submitted)
    _install_context(frontend, lambda: executor)
    sae = request.shutdown_on_attached_exit and frontend.config.get(opts.EXECUTION_ATTACHED)
    out = sys.stdout
    try:
        with _terminate_as_interrupt(sae), contextlib.redirect_stdout(sys.stderr if request.json_out else out):
            try:
                program.invoke()
            finally:  # the live status goes before anything else is printed
                if isinstance(executor, ContextExecutor):
                    executor.stop_progress()
    except JobExecutionException as exc:
        sys.stdout.flush()
        print(f"Job with JobID {exc.job_id} has finished with state {exc.state}.", file=sys.stderr)
        if exc.cause:
            print(user_traceback(exc.cause, program, exc.job_id).rstrip(), file=sys.stderr)
        return 1
    except GraphError as exc:
        fail(f"invalid job: {exc}")
    except CliError as exc:
        fail(str(exc))
    except SystemExit as exc:
        if exc.code not in (0, None):
            return exc.code if isinstance(exc.code, int) else 1
    except BrokenPipeError:
        raise  # handled by the CLI's main: stdout's reader went away
    except (KeyboardInterrupt, _Terminated):
        if sae and submitted:
            _cancel_submitted(frontend, submitted)
            return 130
        ids = ", ".join(s["jid"] for s in submitted)
        print(f"\ninterrupted; submitted jobs keep running ({ids or 'none'}); cancel with `pyflink cancel ID`"
              " (or run with -sae to cancel them on interruption)", file=sys.stderr)
        return 130
    except BaseException as exc:  # the user's program failed on the client side
        _program_failure(exc, program, request.verbose)
        return 1
    finally:
        _uninstall_context()
    sys.stdout.flush()
    if not submitted:
        fail(f"the program {program.entry} did not call execute(): no job was submitted")
    if request.json_out:
        print(json.dumps({"jobs": [{"jid": s["jid"], "name": s["name"]} for s in submitted]}))
        return 0
    for job in submitted:
        final = getattr(job.get("client"), "final", None)
        if job.get("attached") and final is not None:
            print(f"Job with JobID {job['jid']} has finished with state {final.state.name}.")
            print(f"Job Runtime: {final.duration} ms")
    return 0


def plan_program(frontend: CliFrontend, request: RunRequest) -> int:
    """Run the program with an executor that captures the job graph instead of submitting."""
    from runtime.graph.stream_graph import GraphError
    try:
        program = request.program()
    except CliError as exc:
        fail(str(exc))
    plans: list[dict] = []

    class _PlanExecutor:
        attached = False

        def submit(self, job_graph: Any, detached: bool = False,
               python_dependencies: PythonDependencies | None = None):
            plans.append({"jid": str(job_graph.job_id), "name": job_graph.name, "plan": job_graph.plan,
                          "vertices": [{"id": v.id, "name": v.name, "parallelism": v.parallelism,
                                        "operators": v.operators} for v in job_graph.vertices]})
            raise _PlanCaptured()

    _install_context(frontend, lambda: _PlanExecutor())
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout is for the plan only
            program.invoke()
    except _PlanCaptured:
        pass
    except GraphError as exc:
        fail(f"invalid job: {exc}")
    except CliError as exc:
        fail(str(exc))
    except BaseException as exc:
        _program_failure(exc, program, request.verbose)
        return 1
    finally:
        _uninstall_context()
    if not plans:
        fail(f"the program {program.entry} did not call execute(): there is no plan to show")
    p = plans[0]
    print(json.dumps(dict(p["plan"], name=p["name"], vertices=p["vertices"]), indent=2))
    return 0


class _PlanCaptured(BaseException):
    """Stops the program at its first execute(): info only needs the graph."""
