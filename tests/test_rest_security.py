"""REST security (issue 10) on a real bound port: the bearer token, refused cross-site
state changes, Flink's legacy yarn-cancel only behind the same checks, slow clients that
cannot lock others out, and TLS from PEM files. The endpoint runs against the fake
Dispatcher of test_rest_unit, on its own loop thread, as on the JobManager's loop."""
from __future__ import annotations

import select
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_rest_unit import JID_RUNNING, FakeDispatcher, LoopThread

from runtime.configuration.configuration import Configuration
from runtime.rest.web_monitor_endpoint import WebMonitorEndpoint
from runtime.security.errors import SecurityConfigurationError

TOKEN = "s3cret-token"


def make_config(**extra: str) -> Configuration:
    config = Configuration()
    for key, value in {"rest.port": "0", "rest.address": "127.0.0.1", "security.rest.token": TOKEN, **extra}.items():
        config.set_string(key, value)
    return config


class Endpoint:
    def __init__(self, loop: LoopThread, config: Configuration) -> None:
        self.loop = loop
        self.dispatcher = FakeDispatcher()
        self.endpoint = WebMonitorEndpoint(config, lambda: self.dispatcher)
        loop.run(self.endpoint.start())

    @property
    def port(self) -> int:
        return self.endpoint.port

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, scheme: str = "http",
                context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(f"{scheme}://127.0.0.1:{self.port}{path}", method=method, headers=headers or {},
                                     data=b"" if method == "PATCH" else None)
        try:
            with urllib.request.urlopen(req, timeout=10, context=context) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read()

    def stop(self) -> None:
        self.loop.run(self.endpoint.stop())


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


@pytest.fixture
def rest(loop: LoopThread) -> Iterator[Endpoint]:
    ep = Endpoint(loop, make_config())
    yield ep
    ep.stop()


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_the_api_needs_the_bearer_token_the_dashboard_page_does_not(rest: Endpoint) -> None:
    status, page = rest.request("GET", "/")
    assert status == 200 and b"PyFlink" in page and TOKEN.encode() not in page
    for path in ("/overview", "/v1/overview", "/jobs/overview", "/jobmanager/config", "/taskmanagers", "/config"):
        assert rest.request("GET", path)[0] == 401, path
        assert rest.request("GET", path, {"Authorization": "Bearer wrong"})[0] == 401, path
        assert rest.request("GET", path, AUTH)[0] == 200, path
    status, body = rest.request("PATCH", f"/jobs/{JID_RUNNING}?mode=cancel")
    assert status == 401 and b"Authorization: Bearer" in body and rest.dispatcher.cancelled == []


def test_cross_site_cancel_is_refused(rest: Endpoint) -> None:
    path = f"/jobs/{JID_RUNNING}?mode=cancel"
    own = f"http://127.0.0.1:{rest.port}"
    for headers in ({"Origin": "http://evil.example"},
                    {"Origin": "null"},
                    {"Origin": f"http://127.0.0.1:{rest.port + 1}"},
                    {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"},
                    {"Host": f"evil.example:{rest.port}", "Origin": f"http://evil.example:{rest.port}"}):  # rebinding
        status, body = rest.request("PATCH", path, {**AUTH, **headers})
        assert status == 403 and b"refused" in body, (headers, status, body)
    for path_ in (f"/jobs/{JID_RUNNING}/yarn-cancel", f"/v1/jobs/{JID_RUNNING}/yarn-cancel"):
        assert rest.request("GET", path_, {**AUTH, "Sec-Fetch-Site": "cross-site"})[0] == 403
        assert rest.request("GET", path_)[0] == 401
    assert rest.dispatcher.cancelled == []
    # the dashboard's own page (same origin) and non-browser clients may cancel
    assert rest.request("PATCH", path, {**AUTH, "Origin": own, "Sec-Fetch-Site": "same-origin"})[0] == 202
    assert rest.dispatcher.cancelled == [JID_RUNNING]


def test_yarn_cancel_is_kept_behind_the_same_checks(rest: Endpoint) -> None:
    assert rest.request("HEAD", f"/jobs/{JID_RUNNING}/yarn-cancel", AUTH)[0] == 405
    assert rest.dispatcher.cancelled == []
    status, _ = rest.request("GET", f"/jobs/{JID_RUNNING}/yarn-cancel", AUTH)
    assert status == 202 and rest.dispatcher.cancelled == [JID_RUNNING]


def test_allowed_origins(loop: LoopThread) -> None:
    ep = Endpoint(loop, make_config(**{"security.rest.allowed-origins": "https://ops.example:8443"}))
    try:
        path = f"/jobs/{JID_RUNNING}?mode=cancel"
        assert ep.request("PATCH", path, {**AUTH, "Origin": "https://other.example:8443"})[0] == 403
        assert ep.request("PATCH", path, {**AUTH, "Origin": "https://ops.example:8443",
                                          "Sec-Fetch-Site": "cross-site"})[0] == 202
    finally:
        ep.stop()


def test_without_a_token_the_endpoint_does_not_start(loop: LoopThread, tmp_path: Path) -> None:
    config = make_config(**{"security.rest.token": "", "security.internal.keys-dir": str(tmp_path / "none")})
    endpoint = WebMonitorEndpoint(config, FakeDispatcher)
    with pytest.raises(SecurityConfigurationError, match="no token"):
        loop.run(endpoint.start())


def _slow_connection(source: str, port: int) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /overview HTTP/1.1\r\n")  # ... and never the rest
    return sock


def test_300_slow_connections_do_not_lock_others_out(rest: Endpoint) -> None:
    """Slow clients from 30 addresses (127.0.0.2-31, 10 each) occupy more than the 256
    connections the endpoint serves; a client sending whole requests from 127.0.0.1 is
    answered promptly all along, and one address cannot hold more than 16."""
    slow: list[socket.socket] = []
    latencies: list[float] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            start = time.monotonic()
            status, _ = rest.request("GET", "/overview", AUTH)
            assert status == 200
            latencies.append(time.monotonic() - start)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        for i in range(300):
            slow.append(_slow_connection(f"127.0.0.{2 + i // 10}", rest.port))
        hog = [_slow_connection("127.0.0.40", rest.port) for _ in range(20)]
        slow += hog
        closed: set[socket.socket] = set()  # beyond 16 from one address: closed at once
        deadline = time.monotonic() + 2
        while len(closed) < 4 and time.monotonic() < deadline:
            readable, _, _ = select.select([s for s in hog if s not in closed], [], [], 0.1)
            for sock in readable:
                try:
                    if sock.recv(1) == b"":
                        closed.add(sock)
                except ConnectionResetError:
                    closed.add(sock)
        assert len(closed) == 4
        for _ in range(20):
            start = time.monotonic()
            status, body = rest.request("GET", "/overview", AUTH)
            assert status == 200 and b"taskmanagers" in body
            latencies.append(time.monotonic() - start)
    finally:
        stop.set()
        thread.join(10)
        for sock in slow:
            sock.close()
    assert len(latencies) >= 20 and max(latencies) < 1.0, max(latencies)
    assert rest.endpoint.refused_connections >= 4


@pytest.fixture
def pem(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:  # the test suite's machines have it (Debian's openssl package)
        pytest.fail("openssl is needed to make the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def test_tls_from_pem_files(loop: LoopThread, pem: tuple[Path, Path]) -> None:
    cert, key = pem
    ep = Endpoint(loop, make_config(**{"security.ssl.rest.enabled": "true", "security.ssl.rest.certificate": str(cert),
                                       "security.ssl.rest.private-key": str(key)}))
    try:
        assert ep.endpoint.address.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert))
        status, _ = ep.request("GET", "/overview", AUTH, scheme="https", context=context)
        assert status == 200
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            ep.request("GET", "/overview", AUTH)  # plain HTTP to a TLS port gets no answer
    finally:
        ep.stop()


def test_tls_with_a_missing_certificate_is_one_clear_error(loop: LoopThread, tmp_path: Path) -> None:
    config: dict[str, Any] = {"security.ssl.rest.enabled": "true",
                              "security.ssl.rest.certificate": str(tmp_path / "missing.pem")}
    with pytest.raises(SecurityConfigurationError, match="security.ssl.rest.certificate: no file"):
        WebMonitorEndpoint(make_config(**config), FakeDispatcher)
