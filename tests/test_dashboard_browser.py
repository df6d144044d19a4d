"""The web dashboard in a real browser (Debian's headless Chromium, driven over the Chrome
DevTools protocol by tests/cdp.py): the job graph of a running job is drawn with one node per
vertex and one labelled arrow per edge, its record counters move, cancelling from the page
ends the job (CANCELED), and a screenshot of the job page is written under the test's tmp dir.

Skipped only when no Chromium binary is installed (.ci/run installs Debian's ``chromium``).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cdp import Browser, chromium_binary
from conftest import ClusterEnv, wait_until, write_job
from helpers_cli import MONITORED_JOB, rest_get, submitted_job_id, wait_job_state

CHROMIUM = chromium_binary()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary on PATH: apt-get install chromium")

_VERTICES = "[...document.querySelectorAll('#job-graph svg .vertex')]"


def _running_job(env: ClusterEnv, jid: str) -> dict | None:
    job = rest_get(env, f"/jobs/{jid}")
    assert isinstance(job, dict)
    return job if all(v["status"] == "RUNNING" for v in job["vertices"]) else None


def _first_within(seconds: float, probe: Callable[[], object]) -> object:
    """The first non-None value ``probe`` gives within ``seconds`` (None if there was none)."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value is not None or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _source_records(browser: Browser) -> int | None:
    value = browser.evaluate(f"{_VERTICES}.map(g => g.dataset.recordsOut)[0]")
    return int(value) if value not in (None, "") else None


def test_dashboard_shows_a_running_job_and_cancels_it(running_cluster: ClusterEnv, tmp_path: Path):
    env = running_cluster
    assert CHROMIUM is not None
    jid = submitted_job_id(env.pyflink("run", "-d", "-p", "2", str(write_job(tmp_path, "ticks.py", MONITORED_JOB)),
                                       check=True))
    job = wait_until(lambda: _running_job(env, jid), 30, interval=0.1, message="the job's vertices RUNNING")
    assert isinstance(job, dict)
    vertex_ids = [v["id"] for v in job["vertices"]]
    edges = [(i["id"], n["id"], i["ship_strategy"]) for n in job["plan"]["nodes"] for i in n.get("inputs", [])]
    token = (env.keys_dir / "rest.token").read_text().strip()

    browser = Browser(CHROMIUM, tmp_path / "profile")
    try:
        browser.open_page(f"http://127.0.0.1:{env.rest_port}/#token={token}")
        # the overview lists the job among the running ones
        wait_until(lambda: browser.evaluate(f"!!document.querySelector('a[href=\"#/jobs/{jid}\"]')"), 20,
                   interval=0.1, message="the job on the overview page")
        assert browser.evaluate("location.hash") == "#/"  # the token left the address bar
        browser.evaluate(f"location.hash = '#/jobs/{jid}'")

        drawn = wait_until(lambda: browser.evaluate(f"{_VERTICES}.map(g => g.dataset.vertexId)") or None, 20,
                           interval=0.1, message="the job graph to be drawn")
        assert drawn == vertex_ids, drawn  # one node per vertex, nothing else
        assert browser.evaluate("document.querySelectorAll('#job-graph svg .edge').length") == len(edges)
        labels = browser.evaluate("[...document.querySelectorAll('#job-graph svg .edge-label')].map(t => t.textContent)")
        assert sorted(labels) == sorted(e[2] for e in edges)
        texts = browser.evaluate(f"{_VERTICES}.map(g => g.textContent)")
        for text, v in zip(texts, job["vertices"]):
            assert f"Parallelism: {v['parallelism']}" in text and "RUNNING" in text, text

        # the counters: the page shows what /jobs/:id reports, and it moves while the job runs
        def reported() -> int | None:
            m = rest_get(env, f"/jobs/{jid}")["vertices"][0]["metrics"]  # type: ignore[index]
            return m["write-records"] if m["write-records-complete"] else None
        if _first_within(10.0, reported) is not None:
            first = wait_until(lambda: _source_records(browser), 20, interval=0.2, message="a records counter")
            assert isinstance(first, int)
            wait_until(lambda: (_source_records(browser) or 0) > first, 20, interval=0.2,
                       message=f"the source's records out to grow past {first}")
        else:
            # no live figures from this cluster: the page says "unknown", never a made-up zero
            assert _source_records(browser) is None
            assert all("Records in: —" in t for t in browser.evaluate(f"{_VERTICES}.map(g => g.textContent)"))

        png = browser.screenshot(tmp_path / "dashboard.png")
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
        assert (tmp_path / "dashboard.png").stat().st_size == len(png)

        # cancel from the page: the button asks once more, then the job ends
        browser.evaluate("document.getElementById('cancel-job').click()")
        assert browser.evaluate("document.getElementById('cancel-job').textContent") == "Confirm cancel"
        assert rest_get(env, f"/jobs/{jid}")["state"] == "RUNNING"  # type: ignore[index]
        browser.evaluate("document.getElementById('cancel-job').click()")
        wait_job_state(env, jid, "CANCELED", timeout=30)
        wait_until(lambda: browser.evaluate("document.getElementById('job-state').textContent") == "CANCELED", 20,
                   interval=0.1, message="the page to show CANCELED")
        assert browser.console_errors() == []
    finally:
        browser.close()
