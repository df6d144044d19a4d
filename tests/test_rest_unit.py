"""Unit tests of the REST endpoint against a fake Dispatcher on a real bound port.

The endpoint runs on an asyncio loop in a background thread (as it runs on the
JobManager's loop); requests are made from the test thread with ``urllib`` or raw
sockets, so HTTP framing is exercised exactly as a client sees it.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.common.configuration import Configuration
from runtime.common.job import ExecutionState, JobID, JobStatus
from runtime.messages.archived_execution_graph import (
    ArchivedExecution,
    ArchivedExecutionGraph,
    ArchivedExecutionJobVertex,
    ExecutionGraphInfo,
)
from runtime.messages.ids import ResourceID
from runtime.messages.job_messages import JobDetails, JobDetailsInfo, JobVertexDetails
from runtime.messages.taskmanager_messages import ClusterOverview, HardwareDescription, TaskManagerInfo
from runtime.rest import web_monitor_endpoint as wme
from runtime.rest.web_monitor_endpoint import WebMonitorEndpoint

JID_RUNNING = "a" * 32
JID_DONE = "b" * 32


class JobNotFound(LookupError):
    """Stands in for the Dispatcher's ``JobNotFound``."""


class FakeDispatcher:
    """Implements the DispatcherGateway methods the endpoint calls (typed, as the real
    gateway), recording cancellations."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []
        self.jobs = {
            JID_RUNNING: JobDetails(JobID.from_hex(JID_RUNNING), "<b>wordcount</b>", JobStatus.RUNNING, 1000, -1),
            JID_DONE: JobDetails(JobID.from_hex(JID_DONE), "done", JobStatus.FINISHED, 1000, 3000),
        }
        self.fail_overview = False

    def _resolve(self, prefix: str) -> str:
        matches = [j for j in self.jobs if j.startswith(prefix)]
        if len(matches) != 1:
            raise JobNotFound(f"no job with id '{prefix}'")
        return matches[0]

    async def cluster_overview(self) -> ClusterOverview:
        if self.fail_overview:
            raise RuntimeError("boom")
        return ClusterOverview(1, 4, 3, 1, 1, 0, 0, "pyflink-test")

    async def list_jobs(self) -> list[JobDetails]:
        return list(self.jobs.values())

    async def request_job(self, job_id: str) -> JobDetailsInfo:
        jid = self._resolve(job_id)
        vertex = JobVertexDetails(1, "Source", 2, ExecutionState.FINISHED)
        return JobDetailsInfo(self.jobs[jid], None, [vertex])

    async def request_execution_graph_info(self, job_id: str) -> ExecutionGraphInfo:
        d = self.jobs[self._resolve(job_id)]
        vertex = ArchivedExecutionJobVertex(1, "c" * 32, "Source", 2, 128, "default", ["Source"], [
            ArchivedExecution(i, 0, ExecutionState.FINISHED) for i in range(2)])
        return ExecutionGraphInfo(ArchivedExecutionGraph(d.job_id, d.name, d.state, {d.state: d.end_time},
                                                         d.start_time, d.end_time, vertices=[vertex]))

    async def cancel_job(self, job_id: str) -> JobDetails:
        jid = self._resolve(job_id)
        if self.jobs[jid].state is not JobStatus.RUNNING:
            raise ValueError(f"job {jid} is not running")
        await asyncio.sleep(0)
        self.cancelled.append(jid)
        return self.jobs[jid]

    async def list_task_managers(self) -> list[TaskManagerInfo]:
        return [TaskManagerInfo(ResourceID("tm-1"), "tcp://localhost:1", 1, 42, "localhost", 4, 3,
                                HardwareDescription(2, 1 << 30), 120)]


class LoopThread:
    """An asyncio loop running in a daemon thread, like the JobManager's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def make_config(port: int = 0, address: str = "127.0.0.1", **extra: str) -> Configuration:
    """REST semantics without the bearer token (tests/test_rest_security.py covers it)."""
    config = Configuration()
    config.set_string("rest.port", str(port))
    config.set_string("rest.address", address)
    config.set_string("security.rest.authentication.enabled", "false")
    for key, value in extra.items():
        config.set_string(key, value)
    return config


class Server:
    """A started endpoint plus helpers to talk to it."""

    def __init__(self, loop: LoopThread, endpoint: WebMonitorEndpoint, holder: dict[str, Any]) -> None:
        self.loop = loop
        self.endpoint = endpoint
        self.holder = holder

    @property
    def dispatcher(self) -> FakeDispatcher:
        return self.holder["d"]

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.endpoint.port}{path}", data=body, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()

    def json(self, method: str, path: str) -> tuple[int, Any]:
        status, headers, body = self.request(method, path)
        assert headers["content-type"] == "application/json"
        return status, json.loads(body)

    def raw(self, data: bytes, shutdown: bool = True) -> bytes:
        """Send raw bytes and return everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.endpoint.port), timeout=10) as sock:
            sock.sendall(data)
            if shutdown:
                sock.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)

    def assert_alive(self) -> None:
        status, body = self.json("GET", "/overview")
        assert status == 200 and body["taskmanagers"] == 1


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


@pytest.fixture
def server(loop_thread: LoopThread) -> Iterator[Server]:
    holder: dict[str, Any] = {"d": FakeDispatcher()}
    endpoint = WebMonitorEndpoint(make_config(**{"security.ssl.key-password": "hunter2"}),
                                  lambda: holder["d"])
    loop_thread.run(endpoint.start())
    yield Server(loop_thread, endpoint, holder)
    loop_thread.run(endpoint.stop())


# ----------------------------------------------------------------------------- lifecycle

def test_binds_a_free_port_and_reports_the_address(server: Server) -> None:
    assert server.endpoint.port > 0
    assert server.endpoint.address == f"http://127.0.0.1:{server.endpoint.port}"


def test_port_zero_on_localhost_uses_one_port_for_all_addresses(loop_thread: LoopThread) -> None:
    endpoint = WebMonitorEndpoint(make_config(address="localhost"), lambda: FakeDispatcher())
    loop_thread.run(endpoint.start())
    try:
        assert endpoint.address == f"http://localhost:{endpoint.port}"
        ports = {s.getsockname()[1] for srv in endpoint._servers for s in srv.sockets}
        assert ports == {endpoint.port}
        with urllib.request.urlopen(f"http://127.0.0.1:{endpoint.port}/overview", timeout=10) as resp:
            assert resp.status == 200
    finally:
        loop_thread.run(endpoint.stop())


def test_bind_address_overrides_rest_address(loop_thread: LoopThread) -> None:
    config = make_config(address="some-public-name.invalid", **{"rest.bind-address": "127.0.0.1"})
    endpoint = WebMonitorEndpoint(config, lambda: FakeDispatcher())
    loop_thread.run(endpoint.start())
    try:
        assert endpoint._servers[0].sockets[0].getsockname()[0] == "127.0.0.1"
        assert endpoint.address == f"http://some-public-name.invalid:{endpoint.port}"
    finally:
        loop_thread.run(endpoint.stop())


def test_port_in_use_raises_clear_oserror(loop_thread: LoopThread) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        endpoint = WebMonitorEndpoint(make_config(port=port), lambda: None)
        with pytest.raises(OSError) as info:
            loop_thread.run(endpoint.start())
        assert "rest.port" in str(info.value)
        assert str(port) in str(info.value)


def test_stop_closes_the_port(loop_thread: LoopThread) -> None:
    endpoint = WebMonitorEndpoint(make_config(), lambda: FakeDispatcher())
    loop_thread.run(endpoint.start())
    port = endpoint.port
    loop_thread.run(endpoint.stop())
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_stop_drops_a_connection_in_progress(server: Server) -> None:
    sock = socket.create_connection(("127.0.0.1", server.endpoint.port), timeout=10)
    try:
        sock.sendall(b"GET /overview HTTP/1.1\r\n")  # never finished
        time.sleep(0.1)
        server.loop.run(server.endpoint.stop(), timeout=5)
        assert sock.recv(100) == b""
    finally:
        sock.close()


# ----------------------------------------------------------------------------- API

def test_overview(server: Server) -> None:
    status, body = server.json("GET", "/overview")
    assert status == 200
    assert body == {"taskmanagers": 1, "slots-total": 4, "slots-available": 3, "jobs-running": 1,
                    "jobs-finished": 1, "jobs-cancelled": 0, "jobs-failed": 0,
                    "flink-version": "pyflink-test", "flink-commit": ""}


def test_v1_prefix_and_trailing_slash(server: Server) -> None:
    assert server.json("GET", "/v1/overview")[0] == 200
    assert server.json("GET", "/overview/")[0] == 200


def test_jobs_overview(server: Server) -> None:
    status, body = server.json("GET", "/jobs/overview")
    assert status == 200
    jobs = {j["jid"]: j for j in body["jobs"]}
    assert set(jobs) == {JID_RUNNING, JID_DONE}
    assert jobs[JID_RUNNING]["last-modification"] == 1000
    assert jobs[JID_DONE]["last-modification"] == 3000
    for job in jobs.values():
        assert job["tasks"] == {}
        assert {"jid", "name", "state", "start-time", "end-time", "duration"} <= set(job)


def test_jobs(server: Server) -> None:
    status, body = server.json("GET", "/jobs")
    assert status == 200
    assert sorted(body["jobs"], key=lambda j: j["id"]) == [
        {"id": JID_RUNNING, "status": "RUNNING"}, {"id": JID_DONE, "status": "FINISHED"}]


def test_job_details(server: Server) -> None:
    before = int(time.time() * 1000)
    status, body = server.json("GET", f"/jobs/{JID_DONE}")
    assert status == 200
    assert body["jid"] == JID_DONE and body["state"] == "FINISHED" and body["duration"] == 2000
    assert body["vertices"][0]["name"] == "Source"
    assert isinstance(body["now"], int) and body["now"] >= before


def test_job_details_by_prefix_and_unknown(server: Server) -> None:
    assert server.json("GET", "/jobs/aaa")[1]["jid"] == JID_RUNNING
    status, body = server.json("GET", "/jobs/ffff")
    assert status == 404
    assert body == {"errors": ["no job with id 'ffff'"]}


def test_job_plan(server: Server) -> None:
    status, body = server.json("GET", f"/jobs/{JID_DONE}/plan")
    assert status == 200
    assert body == {"plan": {"jid": JID_DONE, "name": "done", "type": "STREAMING", "nodes": [
        {"id": "c" * 32, "parallelism": 2, "operator": "", "operator_strategy": "", "description": "Source<br/>",
         "optimizer_properties": {}}]}}


def test_cancel_with_mode(server: Server) -> None:
    status, headers, body = server.request("PATCH", f"/jobs/{JID_RUNNING}?mode=cancel")
    assert status == 202 and json.loads(body) == {}
    assert headers["content-type"] == "application/json"
    assert server.dispatcher.cancelled == [JID_RUNNING]


def test_cancel_without_mode(server: Server) -> None:
    assert server.request("PATCH", f"/jobs/{JID_RUNNING}")[0] == 202
    assert server.dispatcher.cancelled == [JID_RUNNING]


def test_cancel_unsupported_mode_is_400(server: Server) -> None:
    status, body = server.json("PATCH", f"/jobs/{JID_RUNNING}?mode=stop")
    assert status == 400 and "mode" in body["errors"][0]
    assert server.dispatcher.cancelled == []


def test_cancel_errors(server: Server) -> None:
    status, body = server.json("PATCH", f"/jobs/{JID_DONE}?mode=cancel")
    assert status == 409 and "not running" in body["errors"][0]
    status, body = server.json("PATCH", "/jobs/ffff?mode=cancel")
    assert status == 404 and body["errors"] == ["no job with id 'ffff'"]


def test_yarn_cancel_is_refused_without_rest_authentication(server: Server) -> None:
    # a GET must not change state unless the bearer token is required (tests/test_rest_security.py)
    status, body = server.json("GET", f"/jobs/{JID_RUNNING}/yarn-cancel")
    assert status == 403 and "PATCH" in body["errors"][0]
    assert server.dispatcher.cancelled == []


def test_taskmanagers(server: Server) -> None:
    status, body = server.json("GET", "/taskmanagers")
    assert status == 200 and [tm["id"] for tm in body["taskmanagers"]] == ["tm-1"]
    status, body = server.json("GET", "/taskmanagers/tm-1")
    assert status == 200 and body["slotsNumber"] == 4
    status, body = server.json("GET", "/taskmanagers/nope")
    assert status == 404 and "nope" in body["errors"][0]


def test_config(server: Server) -> None:
    status, body = server.json("GET", "/config")
    assert status == 200
    assert body["refresh-interval"] == 3000
    assert body["timezone-name"] == "UTC" and body["timezone-offset"] == 0
    assert body["flink-version"] == "pyflink-test" and body["flink-revision"] == ""
    assert isinstance(body["features"], dict)


def test_config_works_without_dispatcher(server: Server) -> None:
    server.holder["d"] = None
    status, body = server.json("GET", "/config")
    assert status == 200 and body["flink-version"]


def test_jobmanager_config(server: Server) -> None:
    status, body = server.json("GET", "/jobmanager/config")
    assert status == 200
    entries = {e["key"]: e["value"] for e in body}
    assert entries["rest.port"] == "0" and entries["rest.address"] == "127.0.0.1"
    assert all(isinstance(e["value"], str) for e in body)
    assert entries["security.ssl.key-password"] == "******"


def test_dashboard(server: Server) -> None:
    for path in ("/", "/index.html"):
        status, headers, body = server.request("GET", path)
        assert status == 200
        assert headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        page = body.decode("utf-8")
        assert 'src="http' not in page and 'href="http' not in page  # self-contained
        assets = re.findall(r'(?:src|href)="(static/[^"]+)"', page)
        assert sorted(assets) == ["static/dashboard.css", "static/dashboard.js", "static/graph.js"]
    scripts = ""
    for asset, kind in (("dashboard.js", "text/javascript"), ("graph.js", "text/javascript"), ("dashboard.css", "text/css")):
        status, headers, body = server.request("GET", f"/static/{asset}")
        assert status == 200 and headers["content-type"].startswith(kind), (asset, status, headers)
        text = body.decode("utf-8")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text  # offline
        scripts += text
    for api in ("/overview", "/jobs/overview", "/taskmanagers", "PATCH", "/stop", "/exceptions", "/checkpoints",
                "/output?offset=", "/backpressure", "/watermarks", "/jobmanager/config"):
        assert api in scripts, api
    assert "innerHTML" not in scripts  # values go in as text, never as markup
    for bad in ("/static/../handlers.py", "/static/nope.js", "/static/%2e%2e%2fhandlers.py"):
        assert server.request("GET", bad)[0] == 404, bad


def test_head_has_headers_but_no_body(server: Server) -> None:
    raw = server.raw(b"HEAD /overview HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Content-Length: " in head and body == b""


# ----------------------------------------------------------------------------- errors

def test_unknown_path_is_404(server: Server) -> None:
    status, body = server.json("GET", "/x")
    assert status == 404 and body == {"errors": ["Not found: /x"]}
    assert server.json("PATCH", "/x?mode=cancel")[0] == 404


def test_wrong_method_is_405(server: Server) -> None:
    status, headers, body = server.request("POST", "/overview", b"{}")
    assert status == 405
    assert "GET" in headers["allow"]
    assert json.loads(body)["errors"]
    status, headers, _ = server.request("DELETE", f"/jobs/{JID_RUNNING}")
    assert status == 405 and "PATCH" in headers["allow"]
    assert server.dispatcher.cancelled == []


def test_no_dispatcher_is_503(server: Server) -> None:
    server.holder["d"] = None
    for method, path in (("GET", "/overview"), ("GET", "/jobs/overview"), ("GET", "/taskmanagers"),
                         ("PATCH", f"/jobs/{JID_RUNNING}?mode=cancel")):
        status, body = server.json(method, path)
        assert status == 503 and body == {"errors": ["service temporarily unavailable"]}


def test_failing_dispatcher_getter_is_503(loop_thread: LoopThread) -> None:
    def getter() -> Any:
        raise NameError("components is not assigned yet")

    endpoint = WebMonitorEndpoint(make_config(), getter)
    loop_thread.run(endpoint.start())
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{endpoint.address}/overview", timeout=10)
        assert info.value.code == 503
        info.value.close()
    finally:
        loop_thread.run(endpoint.stop())


def test_handler_exception_is_500_and_server_survives(server: Server) -> None:
    server.dispatcher.fail_overview = True
    status, body = server.json("GET", "/overview")
    assert status == 500 and "boom" in body["errors"][0]
    server.dispatcher.fail_overview = False
    server.assert_alive()


@pytest.mark.parametrize("garbage", [
    b"\x00\xff\xfe garbage \r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /overview\r\n\r\n",
    b"get /overview HTTP/1.1\r\n\r\n",
    b"GET /overview HTTP/1.1\r\nno colon here\r\n\r\n",
    b"GET /overview HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"GET /overview HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    b"GET /overview HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"POST /overview HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET overview HTTP/1.1\r\n\r\n",
    b"GET /overview SPDY/3\r\n\r\n",
])
def test_malformed_request_is_400(server: Server, garbage: bytes) -> None:
    answer = server.raw(garbage)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert b'"errors"' in answer
    server.assert_alive()


def test_oversized_requests(server: Server) -> None:
    huge_line = b"GET /" + b"a" * (wme.MAX_REQUEST_BYTES + 10) + b" HTTP/1.1\r\n\r\n"
    assert server.raw(huge_line).startswith(b"HTTP/1.1 431 ")
    many = b"GET /overview HTTP/1.1\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(80)) + b"\r\n"
    assert server.raw(many).startswith(b"HTTP/1.1 431 ")
    big_body = b"PATCH /jobs/x HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (wme.MAX_REQUEST_BYTES * 4)
    assert server.raw(big_body).startswith(b"HTTP/1.1 413 ")
    server.assert_alive()


def test_truncated_and_empty_connections(server: Server) -> None:
    assert server.raw(b"") == b""
    assert server.raw(b"GET /overview HTTP/1.1\r\nHost: x\r\n").startswith(b"HTTP/1.1 400 ")
    assert server.raw(b"PATCH /jobs/x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc") == b""
    server.assert_alive()


def test_stalled_client_is_dropped(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wme, "REQUEST_TIMEOUT_S", 0.2)
    with socket.create_connection(("127.0.0.1", server.endpoint.port), timeout=5) as sock:
        sock.sendall(b"GET /overview HTTP/1.1\r\n")
        assert sock.recv(100) == b""  # closed by the server, no answer
    server.assert_alive()


def test_request_with_body_and_expect_continue(server: Server) -> None:
    answer = server.raw(b"PATCH /jobs/%s?mode=cancel HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 2\r\n"
                        b"Expect: 100-continue\r\n\r\n{}" % (JID_RUNNING.encode(), server.endpoint.port))
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 ")
    assert server.dispatcher.cancelled == [JID_RUNNING]


def test_percent_encoded_path_cannot_add_segments(server: Server) -> None:
    status, body = server.json("GET", "/jobs/aaa%2Fyarn-cancel")
    assert status == 404
    assert server.dispatcher.cancelled == []


def test_json_handles_non_json_values() -> None:
    from runtime.rest.handlers import json_response
    body = json.loads(json_response({"extra": {1, 2}, "state": JobStatus.RUNNING, "raw": b"x"}).body)
    assert sorted(body["extra"]) == [1, 2] and body["state"] == "RUNNING" and body["raw"] == "x"


# ------------------------------------------------- metrics from a TaskManager that does not answer

class RestartingDispatcher(FakeDispatcher):
    """A running job whose subtask runs on ``tm-1`` (its figures come from the MetricStore);
    the job is restarting as soon as somebody asks ``tm-1`` for its metrics, as when a
    TaskManager was just killed and the fetch is what finds out."""

    def __init__(self) -> None:
        super().__init__()
        self.restarted = False

    async def request_execution_graph_info(self, job_id: str) -> ExecutionGraphInfo:
        d = self.jobs[self._resolve(job_id)]
        state = JobStatus.RESTARTING if self.restarted else JobStatus.RUNNING
        sub = ArchivedExecution(0, 0, ExecutionState.RUNNING, {}, "tm-1", "localhost", 1, slot_index=0)
        vertex = ArchivedExecutionJobVertex(1, "c" * 32, "Source", 1, 128, "default", ["Source"], [sub])
        return ExecutionGraphInfo(ArchivedExecutionGraph(d.job_id, d.name, state, {state: 1000},
                                                         d.start_time, -1, vertices=[vertex]))


def _task_dump(records_out: int) -> Any:
    from runtime.metrics.metric_dump import MetricDump, MetricDumps, MetricScope, MetricScopeKind
    scope = MetricScope(MetricScopeKind.TASK, "localhost", "tm-1", JID_RUNNING, "job", "c" * 32, "Source", 0)
    return MetricDumps([MetricDump(scope, "numRecordsOut", records_out)], 1)


def _answer(future: asyncio.Future[Any], records_out: int) -> None:
    if not future.done():
        future.set_result(_task_dump(records_out))


def test_a_taskmanager_that_does_not_answer_does_not_hold_up_the_answer(loop_thread: LoopThread) -> None:
    """Flink's MetricFetcher never makes a request wait for a TaskManager: a killed or stuck
    one (its query times out only after 60 s here) must neither delay ``GET /jobs/:id`` nor
    make it show the job as it was before the wait; the figures follow once it answers."""
    from runtime.rest.metric_fetcher import MetricFetcher

    dispatcher = RestartingDispatcher()
    answers: list[asyncio.Future[Any]] = []

    def taskmanagers() -> dict[str, Any]:
        dispatcher.restarted = True
        answers.append(loop_thread.loop.create_future())
        return {"tm-1": answers[-1]}

    fetcher = MetricFetcher(0.0, lambda: None, taskmanagers, timeout_s=60.0)
    endpoint = WebMonitorEndpoint(make_config(), lambda: dispatcher, fetcher)
    loop_thread.run(endpoint.start())
    try:
        server = Server(loop_thread, endpoint, {"d": dispatcher})
        status, body = server.json("GET", f"/jobs/{JID_RUNNING}")  # urllib gives up after 10 s
        assert status == 200 and body["state"] == "RESTARTING"
        assert body["vertices"][0]["metrics"]["write-records"] == 0
        loop_thread.loop.call_soon_threadsafe(answers[0].set_result, _task_dump(42))
        deadline = time.monotonic() + 10
        while server.json("GET", f"/jobs/{JID_RUNNING}")[1]["vertices"][0]["metrics"]["write-records"] != 42:
            assert time.monotonic() < deadline, "the figures of the late answer never showed"
            for f in answers[1:]:  # later fetches answer with the same figures
                loop_thread.loop.call_soon_threadsafe(_answer, f, 42)
    finally:
        loop_thread.run(endpoint.stop())
