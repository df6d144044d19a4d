"""``pyflink run`` and ``pyflink info``: install a context environment and invoke the program.

The context environment's executor submits each ``env.execute()`` to the target: the
configured JobManager (remote) or the embedded mini cluster (local). For an attached remote
run it waits, streaming what the job prints on the TaskManagers to this terminal, then
reports the job id, final state and runtime; a failed job exits 1 with the user's traceback.
"""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

from pyflink_cli.frontend import CliError, CliFrontend, fail
from pyflink_cli.program import PackagedProgram
from runtime.configuration import options as opts


class ContextExecutor:
    """PipelineExecutor installed for the program: remembers every job it submitted."""

    def __init__(self, frontend: CliFrontend, program: PackagedProgram, submitted: list[dict]) -> None:
        self.frontend = frontend
        self.program = program
        self.submitted = submitted
        self.attached = frontend.config.get(opts.EXECUTION_ATTACHED)
        self._archive: bytes | None = None

    def submit(self, job_graph: Any, detached: bool = False, python_files: list[str] | None = None):
        from pyflink_cli.client import ClusterClient
        from runtime.common.job_client import JobClient
        client = ClusterClient(self.frontend)
        extra = [Path(f) for f in python_files or []]  # env.add_python_file(...)
        if self._archive is None or extra:
            self._archive = self.program.archive(extra)
        job_id = str(client.submit_job(job_graph, self._archive,
                                       timeout=self.frontend.config.get(opts.CLIENT_TIMEOUT) / 1000.0))
        print(f"Job has been submitted with JobID {job_id}")
        sys.stdout.flush()
        job_client = JobClient(client, job_id)
        self.submitted.append({"jid": job_id, "name": job_graph.name, "attached": not detached,
                               "client": job_client})
        return job_client


class LocalContextExecutor:
    """``--target local``: the embedded mini cluster, recording submissions."""

    def __init__(self, frontend: CliFrontend, submitted: list[dict]) -> None:
        from runtime.minicluster.mini_cluster import MiniClusterExecutor
        self.inner = MiniClusterExecutor(frontend.config)
        self.attached = True  # the job runs in this process: always wait for it
        self.submitted = submitted

    def submit(self, job_graph: Any, detached: bool = False, python_files: list[str] | None = None):
        # an embedded job lives in this process: the run waits for it whatever -d says
        client = self.inner.submit(job_graph, False, python_files)
        self.submitted.append({"jid": client.get_job_id().to_hex_string(), "name": job_graph.name,
                               "attached": True})
        return client


def _install_context(frontend: CliFrontend, executor_factory: Any) -> None:
    from runtime.datastream import stream_execution_environment as see
    see._context_executor_factory = executor_factory
    see._context_configuration = frontend.config


def _uninstall_context() -> None:
    from runtime.datastream import stream_execution_environment as see
    see._context_executor_factory = None
    see._context_configuration = None


def run_program(frontend: CliFrontend, job_file: str, args: list[str], pyfiles: str | None, verbose: bool) -> int:
    from runtime.common.job_client import JobExecutionException
    from runtime.graph.stream_graph import GraphError
    try:
        program = PackagedProgram.create(job_file, args, pyfiles)
    except CliError as exc:
        fail(str(exc))
    submitted: list[dict] = []
    local = frontend.config.get(opts.EXECUTION_TARGET) == "local"
    if local:
        executor: Any = LocalContextExecutor(frontend, submitted)
    else:
        from pyflink_cli.client import ClusterClient
        ClusterClient(frontend).close()  # fail fast, before running user code, if no cluster is there
        executor = ContextExecutor(frontend, program, submitted)
    _install_context(frontend, lambda: executor)
    try:
        program.invoke()
    except JobExecutionException as exc:
        sys.stdout.flush()
        print(f"Job with JobID {exc.job_id} has finished with state {exc.state}.", file=sys.stderr)
        if exc.cause:
            print(exc.cause.rstrip(), file=sys.stderr)
        return 1
    except GraphError as exc:
        fail(f"invalid job: {exc}")
    except SystemExit as exc:
        if exc.code not in (0, None):
            return exc.code if isinstance(exc.code, int) else 1
    except BrokenPipeError:
        raise  # handled by the CLI's main: stdout's reader went away
    except KeyboardInterrupt:
        ids = ", ".join(s["jid"] for s in submitted)
        print(f"\ninterrupted; submitted jobs keep running ({ids or 'none'}); cancel with `pyflink cancel ID`",
              file=sys.stderr)
        return 130
    except BaseException as exc:  # the user's program failed on the client side
        if verbose:
            traceback.print_exc()
        else:
            tb = traceback.extract_tb(exc.__traceback__)
            where = next((f"{f.filename}:{f.lineno}" for f in reversed(tb) if f.filename == str(program.entry)), None)
            print(f"error: the program failed{' at ' + where if where else ''}: {type(exc).__name__}: {exc} "
                  "(run with --verbose for the traceback)", file=sys.stderr)
        return 1
    finally:
        _uninstall_context()
    sys.stdout.flush()
    if not submitted:
        fail(f"the program {job_file} did not call execute(): no job was submitted")
    for job in submitted:
        final = getattr(job.get("client"), "final", None)
        if job.get("attached") and final is not None:
            print(f"Job with JobID {job['jid']} has finished with state {final.state.name}.")
            print(f"Job Runtime: {final.duration} ms")
    return 0


def plan_program(frontend: CliFrontend, job_file: str, args: list[str], verbose: bool) -> int:
    """Run the program with an executor that captures the job graph instead of submitting."""
    from runtime.graph.stream_graph import GraphError
    try:
        program = PackagedProgram.create(job_file, args, pyfiles=None)
    except CliError as exc:
        fail(str(exc))
    plans: list[dict] = []

    class _PlanExecutor:
        attached = False

        def submit(self, job_graph: Any, detached: bool = False, python_files: list[str] | None = None):
            plans.append({"jid": str(job_graph.job_id), "name": job_graph.name, "plan": job_graph.plan,
                          "vertices": [{"id": v.id, "name": v.name, "parallelism": v.parallelism,
                                        "operators": v.operators} for v in job_graph.vertices]})
            raise _PlanCaptured()

    _install_context(frontend, lambda: _PlanExecutor())
    try:
        program.invoke()
    except _PlanCaptured:
        pass
    except GraphError as exc:
        fail(f"invalid job: {exc}")
    except BaseException as exc:
        if verbose:
            traceback.print_exc()
        print(f"error: the program failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        _uninstall_context()
    if not plans:
        fail(f"the program {job_file} did not call execute(): there is no plan to show")
    p = plans[0]
    print(json.dumps(dict(p["plan"], name=p["name"], vertices=p["vertices"]), indent=2))
    return 0


class _PlanCaptured(BaseException):
    """Stops the program at its first execute(): info only needs the graph."""
