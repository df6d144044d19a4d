"""``env.socket_text_stream`` (issue 5) against TCP servers run by the test on free ports,
with the job on the embedded mini cluster in this process."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from runtime.common import Types
from runtime.common.job_client import JobExecutionException
from runtime.datastream import StreamExecutionEnvironment


class Server:
    """A one-shot TCP server on 127.0.0.1: ``script(conn, index)`` runs per accepted connection."""

    def __init__(self, script, connections: int = 1) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.connections = connections
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.sock.settimeout(30)
            for i in range(self.connections):
                conn, _ = self.sock.accept()
                with conn:
                    self.script(conn, i)
        except BaseException as exc:  # noqa: BLE001
            self.error = exc
        finally:
            self.sock.close()

    def join(self) -> None:
        self.thread.join(30)
        assert not self.thread.is_alive()
        assert self.error is None, self.error


def make_env(parallelism: int = 1) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


def test_lines_arrive_and_job_finishes_when_server_closes():
    chunks = [b"hello world\nsecond li", b"ne\r\nthird\n\n", "ünï".encode()[:3], "ünï".encode()[3:] + b"c\xf6de\n",
              b"".join(f"bulk {i}\n".encode() for i in range(5000)), b"trailing without newline"]
    expected = (b"".join(chunks)).decode("utf-8", "replace").split("\n")
    expected = [s[:-1] if s.endswith("\r") else s for s in expected]

    def script(conn, _):
        for c in chunks:
            conn.sendall(c)
            time.sleep(0.02)

    server = Server(script)
    env = make_env(2)  # the socket source is non-parallel whatever the default
    ds = env.socket_text_stream("127.0.0.1", server.port)
    assert ds.get_name() == "Source: Socket Stream"
    assert ds.get_type() == Types.STRING()
    got = list(ds.map(lambda s: s).execute_and_collect())
    server.join()
    assert sorted(got) == sorted(expected)
    assert "ünïcöde" not in got and "ünïc\ufffdde" in got  # invalid UTF-8 byte becomes U+FFFD


def test_custom_delimiter_and_order_with_parallelism_1():
    payload = b"a|bb|c\nd||e|"

    def script(conn, _):
        conn.sendall(payload)

    server = Server(script)
    got = list(make_env(1).socket_text_stream("127.0.0.1", server.port, delimiter="|").execute_and_collect())
    server.join()
    assert got == ["a", "bb", "c\nd", "", "e"]


def test_records_flow_while_connection_stays_open():
    """Each line reaches the client before the server sends the next one: no waiting for a
    batch to fill or for the connection to close."""
    seen = threading.Event()
    lines = [f"line {i}" for i in range(5)]
    acks: list[threading.Event] = [threading.Event() for _ in lines]

    def script(conn, _):
        for line, ack in zip(lines, acks):
            conn.sendall(line.encode() + b"\n")
            assert ack.wait(20), f"{line!r} did not arrive while the connection was open"
        seen.set()

    server = Server(script)
    it = make_env(1).socket_text_stream("localhost", server.port).execute_and_collect()
    got = []
    for i in range(len(lines)):
        got.append(next(it))
        acks[i].set()
    assert list(it) == []  # the server closed: the job finished
    server.join()
    assert got == lines and seen.is_set()


def test_max_retry_reconnects_after_the_server_closes():
    def script(conn, i):
        conn.sendall(f"connection {i}\n".encode())

    server = Server(script, connections=3)
    got = list(make_env(1).socket_text_stream("127.0.0.1", server.port, max_retry=2).execute_and_collect())
    server.join()
    assert got == ["connection 0", "connection 1", "connection 2"]


def test_connection_refused_fails_the_job_naming_the_address():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    env = make_env(1)
    env.socket_text_stream("127.0.0.1", port).print()
    with pytest.raises(JobExecutionException) as exc_info:
        env.execute("refused")
    assert f"127.0.0.1:{port}" in str(exc_info.value)


def test_cancel_while_idle_closes_the_connection():
    closed = threading.Event()
    connected = threading.Event()

    def script(conn, _):
        conn.sendall(b"only line\n")
        connected.set()
        conn.settimeout(20)
        while conn.recv(1024):  # returns b"" once the source closed its end
            pass
        closed.set()

    server = Server(script)
    env = make_env(1)
    env.socket_text_stream("127.0.0.1", server.port).print()
    client = env.execute_async("idle socket")
    assert connected.wait(20), "the source did not connect"
    time.sleep(0.2)  # the source is now idle, waiting in recv
    started = time.monotonic()
    client.cancel()
    assert client.wait().state.name == "CANCELED"
    assert closed.wait(10)
    assert time.monotonic() - started < 5
    server.join()


def test_argument_checks():
    env = make_env(1)
    with pytest.raises(ValueError):
        env.socket_text_stream("localhost", 9999, delimiter="")
    with pytest.raises(ValueError):
        env.socket_text_stream("localhost", 0)
    with pytest.raises(ValueError):
        env.socket_text_stream("localhost", 9999).set_parallelism(2)
