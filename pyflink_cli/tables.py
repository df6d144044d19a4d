"""What the cluster and job commands print for people (and their ``--json`` documents).

Tables are laid out for the terminal's width (80 columns when stdout is not a terminal).
Job ids are never cut: their column does not wrap or shrink; names and other free-text
columns fold onto more lines instead. They are laid out here rather than with rich: two
spaces between columns is all they need, and importing rich would cost `pyflink list`
more than its round trip to the JobManager.
"""
from __future__ import annotations

import shutil
import sys
import time
from datetime import datetime

from pyflink_cli.frontend import CliFrontend


def _ms(ts: int | None) -> str:
    if not ts or ts < 0:
        return "-"
    return datetime.fromtimestamp(ts / 1000).strftime("%Y-%m-%d %H:%M:%S")


def table(headers: list[str], rows: list[list[str]], fold: int | None = None) -> str:
    """Columns two spaces apart, each as wide as its widest cell, the header bold on a
    terminal. Column ``fold`` (free text) gets the width the others leave and folds longer
    cells onto more lines; the other columns never wrap."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    if fold is not None:
        others = sum(w for i, w in enumerate(widths) if i != fold) + 2 * (len(headers) - 1)
        room = shutil.get_terminal_size((80, 24)).columns - others
        widths[fold] = max(len(headers[fold]), min(widths[fold], room))
    header = "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()
    lines = [f"\033[1m{header}\033[0m" if sys.stdout.isatty() else header]
    for row in rows:
        cells = [[c] for c in row]
        if fold is not None and len(row[fold]) > widths[fold]:
            import textwrap
            cells[fold] = textwrap.wrap(row[fold], widths[fold]) or [""]
        for n in range(max(len(c) for c in cells)):
            lines.append("  ".join((c[n] if n < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines)


def print_jobs(jobs: list[dict]) -> None:
    rows = [[_ms(j.get("start-time")), j["jid"], j.get("name") or "", j["state"]] for j in jobs]
    print(table(["Start Time", "Job ID", "Name", "State"], rows, fold=2))


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
    print(f"JobManager {frontend.jobmanager_address}: {overview['taskmanagers']} TaskManager(s), "
          f"{overview['slots-available']}/{overview['slots-total']} slots free; jobs: "
          f"{overview['jobs-running']} running, {overview['jobs-finished']} finished, "
          f"{overview['jobs-cancelled']} cancelled, {overview['jobs-failed']} failed")
    rows = []
    for tm in tms:
        hb = tm.get("timeSinceLastHeartbeat")  # Flink's field: the last heartbeat's timestamp (ms)
        rows.append([tm["id"], str(tm.get("pid")), f"{tm.get('freeSlots')}/{tm.get('slotsNumber')}",
                     f"{max(0.0, time.time() - hb / 1000):.1f} s ago" if hb else "-"])
    print(table(["TaskManager", "PID", "Slots (free/total)", "Last heartbeat"], rows, fold=3))
