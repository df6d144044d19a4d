"""What the cluster and job commands print for people (and their ``--json`` documents).

Tables are laid out for the terminal's width (80 columns when stdout is not a terminal).
Job ids are never cut: their column does not wrap or shrink; names and other free-text
columns fold onto more lines instead.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from pyflink_cli.frontend import CliFrontend


def _ms(ts: int | None) -> str:
    if not ts or ts < 0:
        return "-"
    return datetime.fromtimestamp(ts / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _console() -> Any:
    import shutil

    from rich.console import Console
    return Console(highlight=False, width=shutil.get_terminal_size((80, 24)).columns, soft_wrap=False)


def print_jobs(jobs: list[dict]) -> None:
    from rich.table import Table
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("Start Time", no_wrap=True)
    table.add_column("Job ID", no_wrap=True, min_width=32)
    table.add_column("Name", overflow="fold", ratio=1)
    table.add_column("State", no_wrap=True)
    for j in jobs:
        table.add_row(_ms(j.get("start-time")), j["jid"], j.get("name") or "", j["state"])
    _console().print(table)


def _flink_json(started: dict) -> dict:
    """The overview and TaskManagers of a start (typed messages) in Flink's REST field names."""
    from runtime.messages import flink_json
    return dict(started, overview=flink_json.cluster_overview(started["overview"]),
                taskmanagers=[flink_json.task_manager(tm) for tm in started["taskmanagers"]])


def print_started(frontend: CliFrontend, started: dict, what: str) -> str:
    from runtime.configuration import options as opts
    started = _flink_json(started)
    ov = started["overview"]
    rest = f", REST http://{frontend.config.get(opts.REST_ADDRESS)}:{started['rest_port']}" \
        if started.get("rest_port") else ""
    lines = [f"Started {what}: JobManager at {frontend.jobmanager_address} (pid {started['pid']}){rest}",
             f"TaskManagers: {ov['taskmanagers']} ({ov['slots-total']} slots)"]
    lines += [f"  {tm['id']} pid {tm['pid']} slots {tm['slotsNumber']}" for tm in started["taskmanagers"]]
    lines.append(f"Logs: {frontend.log_dir}")
    from pyflink_cli.cluster import dashboard_url
    url = dashboard_url(frontend, started.get("rest_port"))
    if url:
        lines.append(f"Dashboard: {url}")
    return "\n".join(lines)


def started_json(frontend: CliFrontend, started: dict) -> dict:
    from runtime.configuration import options as opts
    started = _flink_json(started)
    rest = started.get("rest_port")
    return {
        "jobmanager": {"address": frontend.jobmanager_address, "pid": started["pid"],
                       "rest": f"http://{frontend.config.get(opts.REST_ADDRESS)}:{rest}" if rest else None,
                       "log_file": str(started.get("log_file"))},
        "overview": started["overview"],
        "taskmanagers": started["taskmanagers"],
        "log_dir": str(frontend.log_dir),
    }


def print_status(frontend: CliFrontend, overview: dict, tms: list[dict]) -> None:
    from rich.table import Table
    console = _console()
    console.print(f"JobManager {frontend.jobmanager_address}: {overview['taskmanagers']} TaskManager(s), "
                  f"{overview['slots-available']}/{overview['slots-total']} slots free; jobs: "
                  f"{overview['jobs-running']} running, {overview['jobs-finished']} finished, "
                  f"{overview['jobs-cancelled']} cancelled, {overview['jobs-failed']} failed")
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("TaskManager", no_wrap=True)
    table.add_column("PID", no_wrap=True)
    table.add_column("Slots (free/total)", no_wrap=True)
    table.add_column("Last heartbeat", overflow="fold")
    for tm in tms:
        hb = tm.get("timeSinceLastHeartbeat")  # Flink's field: the last heartbeat's timestamp (ms)
        table.add_row(tm["id"], str(tm.get("pid")), f"{tm.get('freeSlots')}/{tm.get('slotsNumber')}",
                      f"{max(0.0, time.time() - hb / 1000):.1f} s ago" if hb else "-")
    console.print(table)
