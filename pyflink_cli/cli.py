"""The ``pyflink`` command: Flink's CLI (run, info, list, cancel, ...) plus the cluster
scripts (cluster, jobmanager, taskmanager) as subcommands, and ``compat`` (the ``pyflink.*``
import mapping for ``python job.py``).

Every command accepts ``-h``/``--help``, ``--conf-dir`` and ``-D key=value``; the client
commands also ``-m``/``--jobmanager HOST:PORT``. Errors are one line on stderr with a
non-zero exit code, usage errors included; ``--verbose`` adds tracebacks.
"""
from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Optional

import typer

from pyflink_cli.frontend import CliError, fail
from pyflink_cli.options import CONTEXT, ConfDir, Dyn, JobManager, Json, Verbose, frontend

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings=CONTEXT, rich_markup_mode=None,
                  help="pyflink: a pure-Python stream processor with Flink's programming and operating model.")
cluster_app = typer.Typer(no_args_is_help=True, context_settings=CONTEXT,
                          help="Start, stop and inspect the local standalone cluster.")
jobmanager_app = typer.Typer(no_args_is_help=True, context_settings=CONTEXT, help="Run a JobManager (no TaskManagers).")
taskmanager_app = typer.Typer(no_args_is_help=True, context_settings=CONTEXT, help="Add or remove TaskManagers.")
compat_app = typer.Typer(no_args_is_help=True, context_settings=CONTEXT,
                         help="The pyflink.* import mapping for `python job.py` (install, uninstall, status).")
app.add_typer(cluster_app, name="cluster")
app.add_typer(jobmanager_app, name="jobmanager")
app.add_typer(taskmanager_app, name="taskmanager")
app.add_typer(compat_app, name="compat")


def _version(value: bool) -> None:
    if value:
        from pyflink_cli.version import version_line
        print(version_line())
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[Optional[bool], typer.Option(
        "--version", "-V", callback=_version, is_eager=True, help="print the version and exit")] = None) -> None:
    """pyflink: a pure-Python stream processor with Flink's programming and operating model."""


# ---------------------------------------------------------------------------------- run
_RUN_HELP = """Run a job program: its env.execute() submits to the cluster (or the embedded one with -t local).

The job is JOB_FILE, or the file given with -py/--python, or the module given with
-pym/--pyModule; everything else on the line that is not an option of `pyflink run` is
passed to the program as its arguments (sys.argv[1:]); put them after `--` when they
could clash with these options.
"""


@app.command(help=_RUN_HELP, context_settings=dict(CONTEXT, allow_extra_args=True, ignore_unknown_options=True))
def run(ctx: typer.Context,
        job_file: Annotated[Optional[str], typer.Argument(
            metavar="JOB_FILE", help="the job's Python file (with -py/-pym: the first program argument)",
            show_default=False)] = None,
        args: Annotated[Optional[list[str]], typer.Argument(
            metavar="[ARGS]...", help="the program's arguments (sys.argv[1:])", show_default=False)] = None,
        python: Annotated[Optional[str], typer.Option("-py", "--python", metavar="FILE",
                                                      help="the job's Python file")] = None,
        py_module: Annotated[Optional[str], typer.Option("-pym", "--pyModule", metavar="MODULE",
                                                         help="run this Python module as the job (found on sys.path "
                                                              "and in the -pyfs entries)")] = None,
        py_files: Annotated[Optional[str], typer.Option("-pyfs", "--pyFiles", "--pyfiles", metavar="FILES",
                                                        help="comma-separated .py/.zip files and directories shipped "
                                                             "with the job and put on sys.path")] = None,
        py_requirements: Annotated[Optional[str], typer.Option(
            "-pyreq", "--pyRequirements", metavar="FILE[#CACHE_DIR]",
            help="requirements.txt the client installs (pip --target) into a directory shipped with the job; "
                 "#CACHE_DIR: install offline from that directory of packages")] = None,
        py_archives: Annotated[Optional[str], typer.Option(
            "-pyarch", "--pyArchives", metavar="ARCHIVE[#DIR],...",
            help="comma-separated zip/tar archives extracted into DIR (default: the archive's name) of the job's "
                 "directory on every TaskManager")] = None,
        py_executable: Annotated[Optional[str], typer.Option(
            "-pyexec", "--pyExecutable", metavar="PYTHON",
            help="the interpreter of the tasks; they run inside the TaskManagers, so another Python version than "
                 "theirs is refused")] = None,
        entry_point: Annotated[Optional[str], typer.Option(
            "-c", "--class", metavar="NAME", help="the program's entry point: a function of the job file/module to "
                                                  "call (default: main() if defined, else run as __main__)")] = None,
        parallelism: Annotated[Optional[int], typer.Option("-p", "--parallelism", help="default parallelism")] = None,
        detached: Annotated[bool, typer.Option("-d", "--detached", help="submit and return the job id")] = False,
        shutdown_on_attached_exit: Annotated[bool, typer.Option(
            "-sae", "--shutdownOnAttachedExit",
            help="attached run: cancel the submitted jobs if the client is interrupted (Ctrl-C, SIGTERM, SIGHUP)")] = False,
        target: Annotated[Optional[str], typer.Option("-t", "--target", metavar="remote|local",
                                                      help="remote (the cluster, default) or local (embedded)")] = None,
        jobmanager: JobManager = None,
        json_out: Annotated[bool, typer.Option("--json", help="with -d: print the submitted jobs as JSON")] = False,
        from_savepoint: Annotated[Optional[str], typer.Option(
            "-s", "--fromSavepoint", metavar="PATH",
            help="start from this savepoint (or retained checkpoint) directory")] = None,
        allow_non_restored: Annotated[bool, typer.Option(
            "-n", "--allowNonRestoredState", help="with -s: drop savepoint state that matches no operator")] = False,
        conf_dir: ConfDir = None, dynamic: Dyn = None, verbose: Verbose = False) -> None:
    from pyflink_cli.run_command import RunRequest, run_program
    if target is not None and target not in ("remote", "local"):
        fail(f"-t/--target must be remote or local, not {target!r} (this engine has no YARN or Kubernetes targets)")
    if json_out and not detached:
        fail("--json is for detached runs: use `pyflink run -d --json ...`")
    overrides = {"parallelism.default": parallelism, "execution.target": target,
                 "execution.attached": False if detached else None}
    if from_savepoint:
        import os
        if "://" not in from_savepoint:  # TaskManagers read it from elsewhere: no relative paths
            from_savepoint = os.path.abspath(os.path.expanduser(from_savepoint))
        dynamic = list(dynamic or []) + [f"execution.savepoint.path={from_savepoint}",
                                         f"execution.savepoint.ignore-unclaimed-state={str(allow_non_restored).lower()}"]
    fe = frontend(conf_dir, dynamic, jobmanager, **overrides)
    positional = ([job_file] if job_file is not None else []) + list(args or []) + list(ctx.args)
    request = RunRequest.from_cli(positional, python, py_module, py_files, py_requirements, py_archives,
                                  py_executable, entry_point, shutdown_on_attached_exit, json_out, verbose)
    raise typer.Exit(run_program(fe, request))


@app.command(context_settings=dict(CONTEXT, allow_extra_args=True, ignore_unknown_options=True))
def info(ctx: typer.Context,
         job_file: Annotated[Optional[str], typer.Argument(
             metavar="JOB_FILE", help="the job's Python file (with -py/-pym: the first program argument)",
             show_default=False)] = None,
         args: Annotated[Optional[list[str]], typer.Argument(
             metavar="[ARGS]...", help="the program's arguments (sys.argv[1:])", show_default=False)] = None,
         python: Annotated[Optional[str], typer.Option("-py", "--python", metavar="FILE")] = None,
         py_module: Annotated[Optional[str], typer.Option("-pym", "--pyModule", metavar="MODULE")] = None,
         py_files: Annotated[Optional[str], typer.Option("-pyfs", "--pyFiles", "--pyfiles", metavar="FILES")] = None,
         entry_point: Annotated[Optional[str], typer.Option("-c", "--class", metavar="NAME")] = None,
         parallelism: Annotated[Optional[int], typer.Option("-p", "--parallelism")] = None,
         jobmanager: JobManager = None,
         conf_dir: ConfDir = None, dynamic: Dyn = None, verbose: Verbose = False) -> None:
    """Print the job's execution plan as JSON without running it."""
    from pyflink_cli.run_command import RunRequest, plan_program
    fe = frontend(conf_dir, dynamic, jobmanager, **{"parallelism.default": parallelism})
    positional = ([job_file] if job_file is not None else []) + list(args or []) + list(ctx.args)
    request = RunRequest.from_cli(positional, python, py_module, py_files, None, None, None,
                                  entry_point, False, False, verbose)
    raise typer.Exit(plan_program(fe, request))


# ---------------------------------------------------------------------------------- jobs
@app.command("list")
def list_jobs(running: Annotated[bool, typer.Option("-r", "--running", help="running jobs only")] = False,
              scheduled: Annotated[bool, typer.Option("-s", "--scheduled", help="scheduled (not yet running) jobs only")] = False,
              all_jobs: Annotated[bool, typer.Option("-a", "--all", help="include finished, cancelled and failed jobs")] = False,
              json_out: Json = False, jobmanager: JobManager = None, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """List jobs (running and scheduled by default)."""
    from pyflink_cli.client import ClusterClient
    from pyflink_cli.tables import print_jobs
    from runtime.messages import flink_json
    client = ClusterClient(frontend(conf_dir, dynamic, jobmanager))
    jobs = [flink_json.job_details(j) for j in sorted(client.list_jobs(), key=lambda j: j.start_time)]
    terminal = {"FINISHED", "CANCELED", "FAILED"}
    scheduled_states = {"INITIALIZING", "CREATED"}
    if all_jobs:
        shown = jobs
    elif running and not scheduled:
        shown = [j for j in jobs if j["state"] not in terminal and j["state"] not in scheduled_states]
    elif scheduled and not running:
        shown = [j for j in jobs if j["state"] in scheduled_states]
    else:
        shown = [j for j in jobs if j["state"] not in terminal]
    if json_out:
        print(json.dumps({"jobs": shown}))
        return
    if not shown:
        print("No jobs." if all_jobs else "No scheduled jobs." if scheduled and not running else "No running jobs.")
        return
    print_jobs(shown)


@app.command()
def cancel(job_id: Annotated[str, typer.Argument(help="job id or a unique prefix of it")],
           wait: Annotated[Optional[float], typer.Option(
               "--timeout", help="seconds to wait for CANCELED (default: task.cancellation.timeout + 10 s)")] = None,
           json_out: Json = False, jobmanager: JobManager = None,
           conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Cancel a running job and wait until it is CANCELED (it never runs again, whatever its tasks do)."""
    from pyflink_cli.cancel_command import cancel_job
    raise typer.Exit(cancel_job(frontend(conf_dir, dynamic, jobmanager), job_id, wait, json_out))


@app.command()
def logs(job_id: Annotated[str, typer.Argument(help="job id or a unique prefix of it")],
         follow: Annotated[bool, typer.Option("-f", "--follow", help="follow a running job until it ends")] = False,
         jobmanager: JobManager = None, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Print what a job printed on the TaskManagers (also for detached and finished jobs)."""
    from pyflink_cli.logs_command import show_job_output
    raise typer.Exit(show_job_output(frontend(conf_dir, dynamic, jobmanager), job_id, follow))


@app.command()
def stop(job_id: Annotated[str, typer.Argument(help="job id or a unique prefix of it")],
         savepoint_path: Annotated[Optional[str], typer.Option(
             "--savepoint-path", "-p", help="savepoint directory (default: execution.checkpointing.savepoint-dir)")] = None,
         drain: Annotated[bool, typer.Option(
             "--drain", "-d", help="emit the final watermark first, so windows and timers fire")] = False,
         json_out: Json = False, jobmanager: JobManager = None,
           conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Stop a job with a savepoint: the job ends FINISHED and can be resumed with `run -s`."""
    from pyflink_cli.savepoint_command import stop_with_savepoint
    raise typer.Exit(stop_with_savepoint(frontend(conf_dir, dynamic, jobmanager), job_id, savepoint_path, drain, json_out))


@app.command()
def savepoint(job_id: Annotated[str, typer.Argument(help="job id or a unique prefix of it")],
              target_directory: Annotated[Optional[str], typer.Argument(
                  help="savepoint directory (default: execution.checkpointing.savepoint-dir)")] = None,
              json_out: Json = False, jobmanager: JobManager = None,
           conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Take a savepoint of a running job; it keeps running."""
    from pyflink_cli.savepoint_command import trigger_savepoint
    raise typer.Exit(trigger_savepoint(frontend(conf_dir, dynamic, jobmanager), job_id, target_directory, json_out))



# ---------------------------------------------------------------------------------- cluster
@cluster_app.command("start")
def cluster_start(json_out: Json = False, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Start a JobManager and `taskmanager.count` TaskManagers in the background."""
    from pyflink_cli import cluster
    from pyflink_cli.progress import WaitStatus
    from pyflink_cli.tables import print_started, started_json
    fe = frontend(conf_dir, dynamic)
    with WaitStatus("Starting the cluster", None if not json_out else False) as status:
        started = cluster.start_jobmanager(fe, with_taskmanagers=True, on_wait=status.update)
    print(json.dumps(started_json(fe, started)) if json_out else print_started(fe, started, "cluster"))


@cluster_app.command("stop")
def cluster_stop(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Cancel running jobs and stop every process of the cluster."""
    from pyflink_cli import cluster
    fe = frontend(conf_dir, dynamic)
    result = cluster.stop_cluster(fe)
    if result["jobmanager"] is None and not result["taskmanagers"]:
        print(f"No cluster running (no live processes in {fe.pid_dir}).")
        return
    parts = []
    if result["jobmanager"] is not None:
        parts.append(f"JobManager pid {result['jobmanager']}")
    parts.append(f"{len(result['taskmanagers'])} TaskManager(s)")
    if result["cancelled"]:
        parts.append(f"cancelled {len(result['cancelled'])} job(s)")
    print("Stopped cluster: " + ", ".join(parts) + ".")


@cluster_app.command("status")
def cluster_status(json_out: Json = False, jobmanager: JobManager = None, conf_dir: ConfDir = None,
                   dynamic: Dyn = None) -> None:
    """Show the JobManager, its TaskManagers, slots and job counts."""
    from pyflink_cli.client import ClusterClient
    from pyflink_cli.tables import print_status
    from runtime.messages import flink_json
    fe = frontend(conf_dir, dynamic, jobmanager)
    client = ClusterClient(fe)
    overview = flink_json.cluster_overview(client.cluster_overview())
    tms = [flink_json.task_manager(tm) for tm in client.list_task_managers()]
    if json_out:
        print(json.dumps(dict(overview, jobmanager=fe.jobmanager_address, **{"taskmanager-list": tms})))
        return
    print_status(fe, overview, tms)


@jobmanager_app.command("start")
def jobmanager_start(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Start a JobManager in the background without local TaskManagers."""
    from pyflink_cli import cluster
    from pyflink_cli.tables import print_started
    fe = frontend(conf_dir, dynamic)
    print(print_started(fe, cluster.start_jobmanager(fe, with_taskmanagers=False), "JobManager"))


@jobmanager_app.command("start-foreground")
def jobmanager_start_foreground(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Run the JobManager (without TaskManagers) in this terminal until Ctrl-C."""
    from pyflink_cli import cluster
    # like Flink's jobmanager.sh: the JobManager alone (`cluster start` forks TaskManagers)
    cluster.exec_foreground(frontend(conf_dir, dynamic), "runtime.entrypoint.cluster_entrypoint",
                            ["-D", "taskmanager.count=0"])


@jobmanager_app.command("stop")
def jobmanager_stop(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Stop the JobManager (TaskManagers started separately keep running and re-register later)."""
    from pyflink_cli import cluster
    pid = cluster.stop_jobmanager(frontend(conf_dir, dynamic))
    print("No JobManager running." if pid is None else f"Stopped JobManager (pid {pid}).")


@taskmanager_app.command("start")
def taskmanager_start(jobmanager: JobManager = None, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Start a TaskManager in the background that joins the JobManager."""
    from pyflink_cli import cluster
    fe = frontend(conf_dir, dynamic, jobmanager)
    started = cluster.start_taskmanager(fe, jobmanager)
    print(f"Started TaskManager (pid {started['pid']}) for JobManager {started['jobmanager']}; log {started['log_file']}")


@taskmanager_app.command("start-foreground")
def taskmanager_start_foreground(jobmanager: JobManager = None, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Run a TaskManager in this terminal."""
    from pyflink_cli import cluster
    extra = ["--jobmanager", jobmanager] if jobmanager else []
    cluster.exec_foreground(frontend(conf_dir, dynamic, jobmanager), "runtime.taskexecutor.task_manager_runner", extra)


@taskmanager_app.command("stop")
def taskmanager_stop(all_tms: Annotated[bool, typer.Option("--all", help="stop every TaskManager of this pid dir")] = False,
                     conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Stop the most recently started TaskManager (or all with --all)."""
    from pyflink_cli import cluster
    pids = cluster.stop_taskmanager(frontend(conf_dir, dynamic), all_tms)
    print("No TaskManager running." if not pids else f"Stopped TaskManager(s): pid {', '.join(map(str, pids))}.")


# ---------------------------------------------------------------------------------- compat
@compat_app.command("install")
def compat_install() -> None:
    """Map pyflink.datastream/pyflink.common onto this engine for every `python` of this environment
    (writes a one-line .pth hook into site-packages; it steps aside when Apache Flink's pyflink is installed)."""
    from runtime.compat.site_hook import install_pth
    try:
        path = install_pth()
    except OSError as exc:
        fail(f"cannot write the import hook: {exc}; run with a Python whose site-packages you can write to")
    print(f"Installed the pyflink.* import mapping for {sys.executable}: {path}")


@compat_app.command("uninstall")
def compat_uninstall() -> None:
    """Remove the .pth hook written by `pyflink compat install`."""
    from runtime.compat.site_hook import uninstall_pth
    path = uninstall_pth()
    print(f"Removed {path}." if path else f"No pyflink.* import hook installed for {sys.executable}.")


@compat_app.command("status")
def compat_status() -> None:
    """Show whether `python job.py` maps pyflink.* onto this engine here."""
    from runtime.compat.pyflink_alias import real_pyflink_installed
    from runtime.compat.site_hook import installed_pth, pth_path
    path = installed_pth()
    if real_pyflink_installed():
        print("Apache Flink's pyflink is installed in this environment: `import pyflink` gives Apache Flink's "
              "package (the mapping steps aside); `pyflink run` still maps it for its programs.")
    print(f"import hook: {path}" if path else f"import hook: not installed (`pyflink compat install` writes {pth_path()})")


def _quiet_stdout() -> None:
    """The reader of our stdout went away (``| head``): stop writing, as Unix tools do."""
    import os
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _usage_error(exc: Exception) -> int:
    """Click's usage errors (unknown option, missing or bad argument) as one line."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "pyflink"
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    print(f"error: {message} (see `{command} --help`)", file=sys.stderr)
    return int(getattr(exc, "exit_code", 2) or 2)


def _click_exceptions() -> Any:
    """Typer's click exceptions module (newer Typer vendors click as ``typer._click``)."""
    import importlib
    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # Typer on top of the click package
        return importlib.import_module("click.exceptions")


class _NeverRaised(Exception):
    pass


_ABORT: Any = getattr(typer, "Abort", _NeverRaised)


def _command_name(info: Any) -> str:
    return info.name or info.callback.__name__.lower().replace("_", "-")


def _only_invoked(typer_app: Any, words: list[str]) -> list[tuple[Any, list, list]]:
    """Keep only the command (or group) that ``words`` name, so that Typer builds the Click
    command of that one instead of inspecting the signature of every command (about a
    third of a client command's CPU time). Nothing is pruned when the first word is an
    option (``--help``, ``--version``) or names no command (the usage error then lists
    them all). Returns what to put back."""
    if not words or words[0].startswith("-"):
        return []
    for command in typer_app.registered_commands:
        if _command_name(command) == words[0]:
            saved = [(typer_app, typer_app.registered_commands, typer_app.registered_groups)]
            typer_app.registered_commands, typer_app.registered_groups = [command], []
            return saved
    for group in typer_app.registered_groups:
        if group.name == words[0]:
            saved = [(typer_app, typer_app.registered_commands, typer_app.registered_groups)]
            typer_app.registered_commands, typer_app.registered_groups = [], [group]
            return saved + _only_invoked(group.typer_instance, words[1:])
    return []


def main() -> None:
    click_exceptions = _click_exceptions()
    verbose = "--verbose" in sys.argv or "-v" in sys.argv
    pruned = _only_invoked(app, sys.argv[1:])
    try:
        code = app(standalone_mode=False)
    except click_exceptions.UsageError as exc:
        sys.exit(_usage_error(exc))
    except _ABORT:
        sys.exit(130)
    except click_exceptions.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code or 1)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    except SystemExit:
        raise
    except Exception as exc:  # an unexpected failure: one line unless --verbose
        if verbose:
            raise
        print(f"error: {type(exc).__name__}: {exc} (run with --verbose for details)", file=sys.stderr)
        sys.exit(1)
    finally:
        for typer_app, commands, groups in pruned:
            typer_app.registered_commands, typer_app.registered_groups = commands, groups
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
