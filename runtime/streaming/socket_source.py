"""``env.socket_text_stream(hostname, port, delimiter, max_retry)``: text records from a TCP server.

Behaves as Flink's ``SocketTextStreamFunction``:

* connects to ``hostname:port`` as a client; a failed first connection fails the job;
* splits the received text (decoded as UTF-8; invalid bytes become U+FFFD) at ``delimiter``;
  with the default delimiter ``"\\n"`` a trailing ``"\\r"`` is removed from each record;
* when the server closes the connection, the text after the last delimiter (if any) is
  emitted as a last record; then, with ``max_retry`` 0 the source finishes (and with it
  the job, once the rest of the pipeline drained), with ``max_retry`` n > 0 it reconnects
  up to n times (waiting 500 ms before each attempt), with -1 forever;
* it is non-parallel (one connection per job).

Latency: every ``recv`` hands the complete records it brought to the chain as one batch
(capped at the task's batch size), so a line typed into ``nc -lk`` shows up at once; while
the server is silent the source wakes every 50 ms to let the task flush its buffers and
fire timers, and to notice cancellation (``cancel()`` also shuts the socket down).
"""
from __future__ import annotations

import codecs
import socket
import threading
import time

from runtime.streaming.sources import SourceOperator

#: Flink's delay between reconnection attempts (ms)
RETRY_DELAY_MS = 500
#: how long to wait for the TCP connection to be established (s)
CONNECT_TIMEOUT = 10.0


class SocketTextStreamOperator(SourceOperator):
    bounded = False
    #: how often an idle source lets the task flush and fire timers (s)
    idle_tick = 0.05

    def __init__(self, name: str, hostname: str, port: int, delimiter: str = "\n", max_retry: int = 0) -> None:
        super().__init__(name)
        self.hostname = hostname
        self.port = port
        self.delimiter = delimiter
        self.max_retry = max_retry
        self._sock: socket.socket | None = None
        self._cancelled: threading.Event | None = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_sock"] = None
        state["_cancelled"] = None
        return state

    def open(self) -> None:
        self._cancelled = threading.Event()
        super().open()

    def cancel(self) -> None:
        if self._cancelled is not None:
            self._cancelled.set()
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.hostname, self.port), timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            raise ConnectionError(f"socket text stream: cannot connect to {self.hostname}:{self.port}: "
                                  f"{exc.strerror or exc}") from exc

    def run(self, emit_batch, batch_size):
        if self._cancelled is None:
            self._cancelled = threading.Event()
        cancelled = self._cancelled
        attempt = 0  # reconnections made so far
        while True:
            last_attempt = self.max_retry != -1 and attempt >= self.max_retry
            try:
                sock = self._connect()
            except ConnectionError:
                if attempt == 0 or last_attempt or cancelled.is_set():
                    raise
                sock = None
            if sock is not None:
                self._sock = sock
                try:
                    self._read(sock, emit_batch, batch_size)
                finally:
                    self._sock = None
                    sock.close()
            if cancelled.is_set():
                emit_batch([], None)  # raises TaskCancelled when the task was cancelled
                return
            if last_attempt:
                return
            attempt += 1
            deadline = time.monotonic() + RETRY_DELAY_MS / 1000.0
            while time.monotonic() < deadline:
                cancelled.wait(self.idle_tick)
                emit_batch([], None)

    def _read(self, sock: socket.socket, emit_batch, batch_size: int) -> None:
        sock.settimeout(self.idle_tick)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        delim = self.delimiter
        strip_cr = delim == "\n"
        pending = ""
        recv = sock.recv
        while True:
            try:
                data = recv(65536)
            except TimeoutError:
                emit_batch([], None)
                continue
            except OSError:
                if self._cancelled is not None and self._cancelled.is_set():
                    return
                raise
            if not data:
                break
            text = pending + decoder.decode(data)
            if delim not in text:
                pending = text
                continue
            records = text.split(delim)
            pending = records.pop()
            if strip_cr:
                records = [r[:-1] if r.endswith("\r") else r for r in records]
            for i in range(0, len(records), batch_size):
                emit_batch(records[i:i + batch_size], None)
        pending += decoder.decode(b"", True)
        if pending:
            if strip_cr and pending.endswith("\r"):
                pending = pending[:-1]
            emit_batch([pending], None)
        emit_batch([], None)
