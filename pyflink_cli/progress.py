"""What an attached ``pyflink run``, ``cluster start`` and ``cancel`` show while they wait, on a terminal.

A one-line live status on stderr (rich's ``Live`` with a spinner): the job's state and the
time since submission; while the job waits for slots (CREATED, RESTARTING) how many it needs
and how many the cluster has free; while it runs, the records its sinks wrote once the
metrics can say (``sink_records_out``). Nothing is shown unless stderr is a terminal, so
piped and scripted runs print exactly what they printed before. The job's own output still
goes to stdout: when stdout is the same terminal, the status line steps aside while it is
written. The line disappears when the job ends (transient).
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["JobProgress", "StatusLine", "WaitStatus", "progress_enabled", "sink_records_out"]

#: how often the free slots are asked for while a job waits for them
_OVERVIEW_INTERVAL = 1.0
#: how often the sinks' record count is asked for while a job runs
_RECORDS_INTERVAL = 1.0


def progress_enabled(json_out: bool = False) -> bool:
    """Live status only for a person at a terminal: stderr is a tty and no --json."""
    try:
        return not json_out and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def sink_records_out(client: Any, job_id: str) -> int | None:
    """Records the job's sinks have taken in so far (the sink operators' ``numRecordsIn``, as
    the REST endpoint's metrics have them), or None while that is unknown."""
    value = client.gateway.request_sink_records(job_id, timeout=2.0)
    return int(value) if value is not None else None


class StatusLine:
    """A transient rich live line on stderr; ``text()`` is asked at every refresh."""

    def __init__(self, text: Callable[[], str]) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner
        from rich.text import Text

        self._text = text
        self._spinner = Spinner("dots", Text(""))
        self._make_text = Text
        # what else is written to stderr meanwhile (an error line) is printed above the line
        self.live = Live(self, console=Console(stderr=True), transient=True, refresh_per_second=8,
                         redirect_stdout=False, redirect_stderr=True)
        self.started = False

    def __rich_console__(self, console: Any, options: Any) -> Any:
        self._spinner.update(text=self._make_text(self._text(), no_wrap=True, overflow="ellipsis"))
        yield self._spinner

    def start(self) -> None:
        if not self.started:
            self.started = True
            self.live.start(refresh=True)

    def stop(self) -> None:
        if self.started:
            self.started = False
            self.live.stop()


class _PausingWriter:
    """stdout for the job's output: the status line steps aside while text is written to the
    same terminal (a different stdout, a file or a pipe, is written as it is)."""

    def __init__(self, progress: JobProgress, out: TextIO | None) -> None:
        self.progress = progress
        self._out = out

    @property
    def out(self) -> TextIO:
        return self._out or sys.stdout

    def write(self, text: str) -> int:
        out = self.out
        try:
            same_terminal = out.isatty()
        except (AttributeError, ValueError):
            same_terminal = False
        if not same_terminal or not self.progress.line.started:
            return out.write(text)
        self.progress.line.stop()
        try:
            return out.write(text)
        finally:
            out.flush()
            self.progress.line.start()

    def flush(self) -> None:
        self.out.flush()


class JobProgress:
    """The live status of one attached job, fed by the client's polls (``JobClient.on_poll``)."""

    def __init__(self, client: Any, job_id: str, job_name: str, slots_needed: int) -> None:
        """``client``: the run's ClusterClient (its ``gateway`` is asked for the free slots)."""
        self.client = client
        self.job_id = job_id
        self.job_name = job_name
        self.slots_needed = slots_needed
        self.started_at = time.monotonic()
        self.state = "INITIALIZING"
        self.slots_free: int | None = None
        self.slots_total: int | None = None
        self.records_out: int | None = None
        self._next_overview = 0.0
        self._next_records = 0.0
        self.line = StatusLine(self.describe)
        self._refresh(time.monotonic())
        self.line.start()

    def writer(self, out: TextIO | None = None) -> _PausingWriter:
        """What the job prints goes here (``out``, default: the current sys.stdout)."""
        return _PausingWriter(self, out)

    def describe(self) -> str:
        elapsed = time.monotonic() - self.started_at
        head = f"Job {self.job_name} ({self.job_id[:8]}) {self.state}"
        detail = ""
        if self.state in ("INITIALIZING", "CREATED", "RESTARTING"):
            if self.slots_free is None or self.slots_total is None:
                detail = f": waiting for {self.slots_needed} slot(s)"
            else:
                detail = (f": waiting for slots (needs {self.slots_needed}; the cluster has {self.slots_total}, "
                          f"{self.slots_free} free)")
        elif self.state == "RUNNING" and self.records_out is not None:
            detail = f": {self.records_out:,} records out"
        return f"{head}{detail} · {elapsed:.1f} s"

    def on_poll(self, reply: Any) -> None:
        """Called with each poll's reply; keeps the status current and ends it with the job."""
        self.state = reply.status.name
        if reply.result is not None:
            self.stop()
            return
        self._refresh(time.monotonic())
        self.line.start()

    def _refresh(self, now: float) -> None:
        if self.state in ("INITIALIZING", "CREATED", "RESTARTING") and now >= self._next_overview:
            self._next_overview = now + _OVERVIEW_INTERVAL
            try:
                overview = self.client.gateway.cluster_overview(timeout=2.0)
                self.slots_free, self.slots_total = overview.slots_available, overview.slots_total
            except Exception:  # the status is best effort; the poll loop reports real errors
                self.slots_free = self.slots_total = None
        elif self.state == "RUNNING" and now >= self._next_records:
            self._next_records = now + _RECORDS_INTERVAL
            try:
                self.records_out = sink_records_out(self.client, self.job_id)
            except Exception:
                self.records_out = None

    def stop(self) -> None:
        self.line.stop()


class WaitStatus:
    """``with WaitStatus("Starting the cluster") as status: ... status.update("waiting for ...")``:
    a live line saying what a command waits for and for how long, on a terminal only."""

    def __init__(self, title: str, enabled: bool | None = None) -> None:
        self.title = title
        self.detail = ""
        self.started_at = time.monotonic()
        self.line = StatusLine(self.describe) if (progress_enabled() if enabled is None else enabled) else None

    def describe(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.title}{detail} · {time.monotonic() - self.started_at:.1f} s"

    def update(self, detail: str) -> None:
        self.detail = detail

    def __enter__(self) -> WaitStatus:
        if self.line is not None:
            self.line.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.line is not None:
            self.line.stop()
