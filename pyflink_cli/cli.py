"""The ``pyflink`` command: Flink's CLI (run, info, list, cancel, ...) plus the cluster
scripts (cluster, jobmanager, taskmanager) as subcommands.

Every command accepts ``--conf-dir`` and ``-D key=value``. Errors are one line on stderr
with exit code 1; ``--verbose`` adds tracebacks.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated, Any, Optional

import typer

from pyflink_cli.frontend import CliError, CliFrontend, fail

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="pyflink: a pure-Python stream processor with Flink's programming and operating model.")
cluster_app = typer.Typer(no_args_is_help=True, help="Start, stop and inspect the local standalone cluster.")
jobmanager_app = typer.Typer(no_args_is_help=True, help="Run a JobManager (no TaskManagers).")
taskmanager_app = typer.Typer(no_args_is_help=True, help="Add or remove TaskManagers.")
app.add_typer(cluster_app, name="cluster")
app.add_typer(jobmanager_app, name="jobmanager")
app.add_typer(taskmanager_app, name="taskmanager")

ConfDir = Annotated[Optional[str], typer.Option("--conf-dir", help="configuration directory (flink-conf.toml)")]
Dyn = Annotated[Optional[list[str]], typer.Option("-D", help="configuration override key=value (repeatable)")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="show tracebacks")]


def _frontend(conf_dir: str | None, dynamic: list[str] | None, **overrides: Any) -> CliFrontend:
    return CliFrontend.load(conf_dir, dynamic, {k.replace("_", "."): v for k, v in overrides.items()})


def _ms(ts: int | None) -> str:
    if not ts or ts < 0:
        return "-"
    return datetime.fromtimestamp(ts / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _console():
    from rich.console import Console
    return Console(highlight=False)


# ---------------------------------------------------------------------------------- run
@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(ctx: typer.Context,
        job_file: Annotated[str, typer.Argument(help="the job's Python file")],
        parallelism: Annotated[Optional[int], typer.Option("-p", "--parallelism", help="default parallelism")] = None,
        detached: Annotated[bool, typer.Option("-d", "--detached", help="submit and return the job id")] = False,
        pyfiles: Annotated[Optional[str], typer.Option("--pyfiles", "-pyfs", help="extra .py files/dirs, comma separated")] = None,
        target: Annotated[Optional[str], typer.Option("--target", "-t", help="remote (default) or local")] = None,
        conf_dir: ConfDir = None, dynamic: Dyn = None, verbose: Verbose = False) -> None:
    """Run a job program: its env.execute() submits to the cluster (or the embedded one with --target local)."""
    from pyflink_cli.run_command import run_program
    overrides = {"parallelism.default": parallelism, "execution.target": target,
                 "execution.attached": False if detached else None}
    frontend = CliFrontend.load(conf_dir, dynamic, overrides)
    code = run_program(frontend, job_file, list(ctx.args), pyfiles, verbose)
    raise typer.Exit(code)


@app.command()
def info(job_file: Annotated[str, typer.Argument(help="the job's Python file")],
         args: Annotated[Optional[list[str]], typer.Argument(help="program arguments")] = None,
         parallelism: Annotated[Optional[int], typer.Option("-p", "--parallelism")] = None,
         conf_dir: ConfDir = None, dynamic: Dyn = None, verbose: Verbose = False) -> None:
    """Print the job's execution plan as JSON without running it."""
    from pyflink_cli.run_command import plan_program
    frontend = CliFrontend.load(conf_dir, dynamic, {"parallelism.default": parallelism})
    raise typer.Exit(plan_program(frontend, job_file, list(args or []), verbose))


# ---------------------------------------------------------------------------------- jobs
@app.command("list")
def list_jobs(running: Annotated[bool, typer.Option("-r", "--running", help="running jobs only")] = False,
              scheduled: Annotated[bool, typer.Option("-s", "--scheduled", help="scheduled (not yet running) jobs only")] = False,
              all_jobs: Annotated[bool, typer.Option("-a", "--all", help="include finished, cancelled and failed jobs")] = False,
              json_out: Json = False, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """List jobs (running and scheduled by default)."""
    from pyflink_cli.client import ClusterClient
    frontend = _frontend(conf_dir, dynamic)
    client = ClusterClient(frontend)
    from runtime.messages import flink_json
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
    from rich.table import Table
    table = Table(box=None, header_style="bold")
    for col in ("Start Time", "Job ID", "Name", "State"):
        table.add_column(col)
    for j in shown:
        table.add_row(_ms(j.get("start-time")), j["jid"], j.get("name") or "", j["state"])
    _console().print(table)


@app.command()
def cancel(job_id: Annotated[str, typer.Argument(help="job id or a unique prefix of it")],
           wait: Annotated[Optional[float], typer.Option(
               "--timeout", help="seconds to wait for CANCELED (default: task.cancellation.timeout + 10 s)")] = None,
           json_out: Json = False, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Cancel a running job and wait until it is CANCELED (it never runs again, whatever its tasks do)."""
    from pyflink_cli.cancel_command import cancel_job
    raise typer.Exit(cancel_job(_frontend(conf_dir, dynamic), job_id, wait, json_out))


@app.command()
def stop(job_id: Annotated[str, typer.Argument(help="job id or a unique prefix of it")],
         savepoint_path: Annotated[Optional[str], typer.Option("--savepoint-path", "-p")] = None,
         conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Stop a job with a savepoint (needs checkpointing, not available yet)."""
    fail("stop-with-savepoint needs checkpoints and savepoints, which this version does not have yet; "
         f"use `pyflink cancel {job_id}` to stop the job without a savepoint")


@app.command()
def savepoint(job_id: Annotated[str, typer.Argument()],
              target_directory: Annotated[Optional[str], typer.Argument()] = None,
              conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Trigger a savepoint (not available yet)."""
    fail("savepoints need checkpointing, which this version does not have yet")


# ---------------------------------------------------------------------------------- cluster
def _print_started(frontend: CliFrontend, started: dict, what: str) -> None:
    ov = started["overview"]
    print(f"Started {what}: JobManager at {frontend.jobmanager_address} (pid {started['pid']})"
          + (f", REST http://{frontend.config.get(__import__('runtime.configuration.options', fromlist=['x']).REST_ADDRESS)}:{started['rest_port']}"
             if started.get("rest_port") else ""))
    print(f"TaskManagers: {ov.taskmanagers} ({ov.slots_total} slots)"
          + "".join(f"\n  {tm.id} pid {tm.pid} slots {tm.slots_number}" for tm in started["taskmanagers"]))
    print(f"Logs: {frontend.log_dir}")
    from pyflink_cli.cluster import dashboard_url
    url = dashboard_url(frontend, started.get("rest_port"))
    if url:
        print(f"Dashboard: {url}")


@cluster_app.command("start")
def cluster_start(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Start a JobManager and `taskmanager.count` TaskManagers in the background."""
    from pyflink_cli import cluster
    frontend = _frontend(conf_dir, dynamic)
    _print_started(frontend, cluster.start_jobmanager(frontend, with_taskmanagers=True), "cluster")


@cluster_app.command("stop")
def cluster_stop(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Cancel running jobs and stop every process of the cluster."""
    from pyflink_cli import cluster
    frontend = _frontend(conf_dir, dynamic)
    result = cluster.stop_cluster(frontend)
    if result["jobmanager"] is None and not result["taskmanagers"]:
        print(f"No cluster running (no live processes in {frontend.pid_dir}).")
        return
    parts = []
    if result["jobmanager"] is not None:
        parts.append(f"JobManager pid {result['jobmanager']}")
    parts.append(f"{len(result['taskmanagers'])} TaskManager(s)")
    if result["cancelled"]:
        parts.append(f"cancelled {len(result['cancelled'])} job(s)")
    print("Stopped cluster: " + ", ".join(parts) + ".")


@cluster_app.command("status")
def cluster_status(json_out: Json = False, conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Show TaskManagers, slots and job counts."""
    from pyflink_cli.client import ClusterClient
    frontend = _frontend(conf_dir, dynamic)
    client = ClusterClient(frontend)
    from runtime.messages import flink_json
    ov = client.cluster_overview()
    overview = flink_json.cluster_overview(ov)
    if json_out:
        print(json.dumps(overview))
        return
    tms = [flink_json.task_manager(tm) for tm in client.list_task_managers()]
    from rich.table import Table
    console = _console()
    console.print(f"JobManager {frontend.jobmanager_address}: {overview['taskmanagers']} TaskManager(s), "
                  f"{overview['slots-available']}/{overview['slots-total']} slots free; jobs: "
                  f"{overview['jobs-running']} running, {overview['jobs-finished']} finished, "
                  f"{overview['jobs-cancelled']} cancelled, {overview['jobs-failed']} failed")
    table = Table(box=None, header_style="bold")
    for col in ("TaskManager", "PID", "Slots (free/total)", "Last heartbeat"):
        table.add_column(col)
    for tm in tms:
        hb = tm.get("timeSinceLastHeartbeat")
        table.add_row(tm["id"], str(tm.get("pid")), f"{tm.get('freeSlots')}/{tm.get('slotsNumber')}",
                      f"{hb / 1000:.1f} s ago" if hb is not None else "-")
    console.print(table)


@jobmanager_app.command("start")
def jobmanager_start(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Start a JobManager in the background without local TaskManagers."""
    from pyflink_cli import cluster
    frontend = _frontend(conf_dir, dynamic)
    _print_started(frontend, cluster.start_jobmanager(frontend, with_taskmanagers=False), "JobManager")


@jobmanager_app.command("start-foreground")
def jobmanager_start_foreground(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Run the JobManager (without TaskManagers) in this terminal until Ctrl-C."""
    from pyflink_cli import cluster
    # like Flink's jobmanager.sh: the JobManager alone (`cluster start` forks TaskManagers)
    cluster.exec_foreground(_frontend(conf_dir, dynamic), "runtime.entrypoint.cluster_entrypoint",
                            ["-D", "taskmanager.count=0"])


@jobmanager_app.command("stop")
def jobmanager_stop(conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Stop the JobManager (TaskManagers started separately keep running and re-register later)."""
    from pyflink_cli import cluster
    pid = cluster.stop_jobmanager(_frontend(conf_dir, dynamic))
    print("No JobManager running." if pid is None else f"Stopped JobManager (pid {pid}).")


@taskmanager_app.command("start")
def taskmanager_start(jobmanager: Annotated[Optional[str], typer.Option("--jobmanager", help="HOST:PORT of the JobManager")] = None,
                      conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Start a TaskManager in the background that joins the JobManager."""
    from pyflink_cli import cluster
    started = cluster.start_taskmanager(_frontend(conf_dir, dynamic), jobmanager)
    print(f"Started TaskManager (pid {started['pid']}) for JobManager {started['jobmanager']}; log {started['log_file']}")


@taskmanager_app.command("start-foreground")
def taskmanager_start_foreground(jobmanager: Annotated[Optional[str], typer.Option("--jobmanager")] = None,
                                 conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Run a TaskManager in this terminal."""
    from pyflink_cli import cluster
    extra = ["--jobmanager", jobmanager] if jobmanager else []
    cluster.exec_foreground(_frontend(conf_dir, dynamic), "runtime.taskexecutor.task_manager_runner", extra)


@taskmanager_app.command("stop")
def taskmanager_stop(all_tms: Annotated[bool, typer.Option("--all", help="stop every TaskManager of this pid dir")] = False,
                     conf_dir: ConfDir = None, dynamic: Dyn = None) -> None:
    """Stop the most recently started TaskManager (or all with --all)."""
    from pyflink_cli import cluster
    pids = cluster.stop_taskmanager(_frontend(conf_dir, dynamic), all_tms)
    print("No TaskManager running." if not pids else f"Stopped TaskManager(s): pid {', '.join(map(str, pids))}.")


def _quiet_stdout() -> None:
    """The reader of our stdout went away (``| head``): stop writing, as Unix tools do."""
    import os
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main() -> None:
    verbose = "--verbose" in sys.argv or "-v" in sys.argv
    try:
        app()
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    except Exception as exc:  # an unexpected failure: one line unless --verbose
        if verbose:
            raise
        print(f"error: {type(exc).__name__}: {exc} (run with --verbose for details)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
