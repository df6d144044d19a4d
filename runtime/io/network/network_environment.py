"""The TaskManager's network thread: remote channels with credit-based flow control.

One thread owns every data-plane socket of the process: a ROUTER bound at the TaskManager's
data port (serving subpartitions to remote consumers) and one DEALER per remote TaskManager
whose partitions local tasks consume. Task threads never touch a socket; they hand commands
over through a deque and wake the thread through a pipe, once per batch.

Protocol (frames after the routing id):
  consumer → producer  R receiver partition subpartition credits   partition request
                       C receiver n                                 n more credits
                       X receiver                                   cancel
  producer → consumer  D receiver payload                           one pickled batch or event
A producer sends a batch only against a credit; a consumer grants one credit per batch it
has taken off its queue, so no side ever buffers more than the granted credits.

Security (``runtime.security``): with keys, the data ROUTER is a CURVE server whose ZAP
domain admits only TaskManager keys, and every DEALER a CURVE client of it; encryption is
per ZeroMQ message, i.e. per buffer, never per record. Every socket has the configured
maximum message size. Requests for partitions not registered (yet) wait in a bounded
table (``max_pending_requests``, each at most ``PENDING_REQUEST_TTL``), and malformed
frames are logged at a bounded rate, so a peer cannot grow a TaskManager's memory.
"""
from __future__ import annotations

import logging
import os
import pickle
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import zmq

from runtime.configuration.config_option import port_candidates
from runtime.io.network.input_gate import InputGate
from runtime.io.network.partition import ResultPartition, ResultPartitionManager, ResultSubpartition
from runtime.security.rate_limited_log import RateLimitedLog
from runtime.security.socket_security import DATA_DOMAIN, SocketSecurity

log = logging.getLogger(__name__)

#: a request for a partition that is not registered within this time is dropped
PENDING_REQUEST_TTL = 300.0
_PARTITION_ID = re.compile(rb"[0-9a-f]{32}:[0-9a-f]{32}:\d{1,9}")
_MAX_CREDITS = 1 << 16


def encode_buffer(item: tuple) -> bytes:
    """Serialise one batch for a remote channel: pickle (protocol 5), which keeps every
    record's type. ``marshal`` (used before) is ~1.5x faster to write for tuples of ints, but
    writes any object with the buffer protocol as ``bytes``: a bytearray, an ``array.array``
    or a numpy array in a record arrived as bytes on the other TaskManager. Pickle's output is
    also about half the size, and faster than marshal's for records with strings."""
    return dumps(item)


def decode_buffer(buf: Any) -> tuple:
    return pickle.loads(buf)


def dumps(item: Any) -> bytes:
    """Pickle a batch; fall back to cloudpickle for objects of classes defined in a job's
    ``__main__`` (plain pickle can only reference those by name, which a peer cannot resolve)."""
    try:
        return pickle.dumps(item, protocol=5)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle
        return cloudpickle.dumps(item, protocol=5)


class NetworkEnvironment:
    def __init__(self, resource_id: str, bind_host: str = "127.0.0.1", port: int | str = 0,
                 advertised_host: str | None = None, inproc: bool = False,
                 context: zmq.Context | None = None, security: SocketSecurity | None = None,
                 max_pending_requests: int = 1024) -> None:
        self.resource_id = resource_id
        self.ctx = context or zmq.Context.instance()
        self.partition_manager = ResultPartitionManager()
        self.security = security or SocketSecurity()
        self.max_pending_requests = max_pending_requests
        self._inproc = inproc
        self._bind_host = bind_host
        self._ports = port_candidates(str(port))
        self._bind = f"inproc://data-{resource_id}"
        self._advertised_host = advertised_host or bind_host
        self._bad = RateLimitedLog(log)
        # requests waiting for their partition (network thread only): (identity, receiver) ->
        # (partition id, callback, deadline)
        self._waiting: dict[tuple[bytes, bytes], tuple[str, Callable[[ResultPartition], None], float]] = {}
        self._waiting_per_peer: Counter[bytes] = Counter()  # entries of _waiting by peer identity
        self._next_sweep = 0.0
        self.address: str = ""
        self._commands: deque = deque()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        self._thread: threading.Thread | None = None
        self._running = False
        self._polling = True
        #: a wake-up byte is (about to be) in the pipe and the thread has not drained it yet
        self._wake_pending = False
        # producer side (network thread only)
        self._readers: dict[tuple[bytes, bytes], ResultSubpartition] = {}
        self._reader_of: dict[int, tuple[bytes, bytes]] = {}
        self._ready: set[int] = set()
        self._subparts: dict[int, ResultSubpartition] = {}
        # consumer side (network thread only)
        self._clients: dict[str, zmq.Socket] = {}
        self._receivers: dict[bytes, tuple[InputGate, int, str]] = {}
        self._credits: dict[tuple[str, bytes], int] = {}

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> str:
        self.server = self.ctx.socket(zmq.ROUTER)
        self.server.setsockopt(zmq.LINGER, 0)
        self.server.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self.server.setsockopt(zmq.SNDHWM, 0)
        if self._inproc:
            self.server.bind(self._bind)
        else:
            self.security.secure_server(self.server, DATA_DOMAIN)
            self._bind_port()
        endpoint = self.server.getsockopt_string(zmq.LAST_ENDPOINT)
        if endpoint.startswith("tcp://"):
            port = endpoint.rsplit(":", 1)[1]
            self.address = f"tcp://{self._advertised_host}:{port}"
        else:
            self.address = endpoint
        self._running = True
        self._thread = threading.Thread(target=self._run, name="network", daemon=True)
        self._thread.start()
        return self.address

    def _bind_port(self) -> None:
        """Bind the first free port of ``taskmanager.data.port`` (a port, a range, or 0)."""
        error: zmq.ZMQError | None = None
        for port in self._ports:
            address = f"tcp://{self._bind_host}:{port or '*'}"
            try:
                self.server.bind(address)
                return
            except zmq.ZMQError as exc:
                if exc.errno != zmq.EADDRINUSE:
                    self._close_server()
                    raise OSError(f"cannot bind the data port at {address} (taskmanager.bind-host/host, "
                                  f"taskmanager.data.port): {exc}") from None
                error = exc
        self._close_server()
        ports = ",".join(map(str, self._ports)) if len(self._ports) < 5 else f"{self._ports[0]}-{self._ports[-1]}"
        raise OSError(f"no free data port on {self._bind_host} in {ports} (taskmanager.data.port): {error}; "
                      "widen the range or use 0 for any free port")

    def _close_server(self) -> None:
        self.server.close(0)
        if not self._inproc:
            self.security.release_server(self.server)

    def stop(self) -> None:
        self._running = False
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=2)
        try:
            os.close(self._wake_r)
            os.close(self._wake_w)
        except OSError:
            pass

    # ---------------------------------------------------------------- API for task threads
    def register_partition(self, partition: ResultPartition) -> None:
        self.partition_manager.register(partition)

    def notify(self, sp: ResultSubpartition) -> None:
        self._post(("notify", sp))

    @staticmethod
    def serialize(item: tuple) -> bytes:
        return encode_buffer(item)

    def request_remote(self, address: str, receiver: bytes, partition_id: str, subpartition: int,
                       credits: int, gate: InputGate, channel: int) -> None:
        self._post(("request", address, receiver, partition_id, subpartition, credits, gate, channel))

    def add_credit(self, address: str, receiver: bytes, n: int = 1, urgent: bool = True) -> None:
        """``urgent=False``: no wake-up; the credits go out on the network thread's next turn
        (the next buffer it receives, or the next urgent command)."""
        self._commands.append(("credit", address, receiver, n))
        if urgent:
            self._signal()

    def cancel_receivers(self, receivers: list[tuple[str, bytes]]) -> None:
        self._post(("cancel", receivers))

    def _post(self, cmd: tuple) -> None:
        self._commands.append(cmd)
        self._signal()

    def _signal(self) -> None:
        # only a sleeping network thread needs the (syscall) wake-up, and only one per sleep:
        # a busy one sees the command on its next turn, and one byte in the pipe wakes it.
        # Each os.write releases the GIL, so a task thread that writes may have to wait for
        # it (up to a switch interval) before it can go on.
        if self._polling and not self._wake_pending:
            self._wake_pending = True
            self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except (BlockingIOError, OSError):
            pass  # pipe already full: the thread is awake anyway

    # ---------------------------------------------------------------- network thread
    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self.server, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        self._poller = poller
        try:
            while self._running:
                self._polling = True
                if self._commands:
                    events = dict(poller.poll(0))
                else:
                    events = dict(poller.poll(1000))
                self._polling = False
                if self._wake_r in events:
                    try:
                        while os.read(self._wake_r, 4096):
                            pass
                    except (BlockingIOError, OSError):
                        pass
                    # after draining (a byte written meanwhile must not be drained with the flag
                    # still set: nobody would write again) and before the commands are taken
                    # (a command whose poster saw the flag set is among them)
                    self._wake_pending = False
                while self._commands:
                    self._handle_command(self._commands.popleft())
                if self.server in events:
                    self._serve()
                for sock in list(self._clients.values()):
                    if sock in events:
                        self._receive(sock)
                self._flush_credits()
                self._pump()
                if self._waiting:
                    self._expire_waiting()
        except Exception:  # a broken network thread must be visible in the log
            log.exception("network thread failed")
        finally:
            for sock in self._clients.values():
                sock.close(0)
            self._close_server()

    def _handle_command(self, cmd: tuple) -> None:
        kind = cmd[0]
        if kind == "notify":
            sp = cmd[1]
            if id(sp) in self._reader_of:
                self._ready.add(id(sp))
        elif kind == "credit":
            key = (cmd[1], cmd[2])
            self._credits[key] = self._credits.get(key, 0) + cmd[3]
        elif kind == "request":
            _, address, receiver, partition_id, subpartition, credits, gate, channel = cmd
            self._receivers[receiver] = (gate, channel, address)
            sock = self._client(address)
            sock.send_multipart([b"R", receiver, partition_id.encode(), str(subpartition).encode(),
                                 str(credits).encode()])
        elif kind == "cancel":
            for address, receiver in cmd[1]:
                self._receivers.pop(receiver, None)
                client = self._clients.get(address)
                if client is not None:
                    client.send_multipart([b"X", receiver])
        elif kind == "attach":
            _, identity, receiver, partition, index, credits = cmd
            waiting = self._waiting.get((identity, receiver))
            if waiting is None:
                return  # the request was cancelled or expired meanwhile
            if waiting[0] != partition.partition_id:
                return  # a newer request of that receiver waits on
            self._pop_waiting((identity, receiver))
            self._attach(identity, receiver, partition.subpartitions[index], credits)

    def _client(self, address: str) -> zmq.Socket:
        sock = self._clients.get(address)
        if sock is None:
            sock = self.ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.IDENTITY, f"{self.resource_id}-{len(self._clients)}-{os.getpid()}".encode())
            sock.setsockopt(zmq.RCVHWM, 0)
            if not address.startswith("inproc://"):
                self.security.secure_client(sock, self.security.data_server_public)
            sock.connect(address)
            self._clients[address] = sock
            self._poller.register(sock, zmq.POLLIN)
        return sock

    def _serve(self) -> None:
        while True:
            try:
                frames = self.server.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) < 3:
                self._bad.warning(("short", frames[0] if frames else b""), "dropped a malformed data-plane message "
                                  "(%d frames)", len(frames))
                continue
            identity, kind, receiver = frames[0], frames[1], frames[2]
            try:
                if kind == b"R":
                    self._request(identity, receiver, frames)
                elif kind == b"C":
                    sp = self._readers.get((identity, receiver))
                    if sp is not None:
                        n = int(frames[3])
                        if not 0 < n <= _MAX_CREDITS:
                            raise ValueError(f"credit {n} out of range")
                        sp.credit = min(sp.credit + n, _MAX_CREDITS)
                        if sp.pending:
                            self._ready.add(id(sp))
                elif kind == b"X":
                    self._forget_waiting((identity, receiver))
                    sp = self._readers.pop((identity, receiver), None)
                    if sp is not None:
                        self._reader_of.pop(id(sp), None)
                        self._ready.discard(id(sp))
                        self._subparts.pop(id(sp), None)
                        sp.remote = None
                else:
                    self._bad.warning(("kind", identity), "dropped a data-plane message of unknown kind %r", kind[:8])
            except (ValueError, IndexError) as exc:
                self._bad.warning(("malformed", identity), "dropped a malformed data-plane message: %s", exc)

    def _request(self, identity: bytes, receiver: bytes, frames: list[bytes]) -> None:
        """A consumer asks for a subpartition: attach now, or wait (bounded) until the
        producer registers it."""
        if len(frames) != 6 or not _PARTITION_ID.fullmatch(frames[3]) or len(receiver) > 64:
            raise ValueError("malformed partition request")
        partition_id = frames[3].decode()
        index = int(frames[4])
        credits = int(frames[5])
        if not 0 <= index < 32768 or not 0 <= credits <= _MAX_CREDITS:
            raise ValueError("subpartition or credits out of range")
        key = (identity, receiver)
        self._forget_waiting(key)
        partition = self.partition_manager.partitions.get(partition_id)
        if partition is not None:
            if index >= len(partition.subpartitions):
                raise ValueError(f"partition {partition_id} has no subpartition {index}")
            self._attach(identity, receiver, partition.subpartitions[index], credits)
            return
        if len(self._waiting) >= self.max_pending_requests:
            # Full: drop the oldest request of the peer that holds the most, so that one peer
            # flooding the table cannot keep the requests of every other peer out (refusing
            # the newcomer would leave a real consumer waiting for ever).
            hog, _ = self._waiting_per_peer.most_common(1)[0]
            oldest = next(k for k in self._waiting if k[0] == hog)
            self._bad.warning(("full", hog), "dropped the oldest waiting request of peer %r for the unknown partition "
                              "%s: %d requests already wait (security.limits.max-pending-partition-requests), "
                              "most of them from that peer", hog[:40], self._waiting[oldest][0], len(self._waiting))
            self._forget_waiting(oldest)

        def on_available(p: ResultPartition) -> None:  # in the registering task's thread
            if index < len(p.subpartitions):
                self._post(("attach", identity, receiver, p, index, credits))
            else:
                self._bad.warning(("index", identity), "dropped a request for subpartition %d of %s (it has %d)",
                                  index, p.partition_id, len(p.subpartitions))
        self._waiting[key] = (partition_id, on_available, time.monotonic() + PENDING_REQUEST_TTL)
        self._waiting_per_peer[identity] += 1
        self.partition_manager.when_available(partition_id, on_available)

    def _pop_waiting(self, key: tuple[bytes, bytes]) -> tuple[str, Callable[[ResultPartition], None], float] | None:
        waiting = self._waiting.pop(key, None)
        if waiting is not None:
            left = self._waiting_per_peer[key[0]] - 1
            if left > 0:
                self._waiting_per_peer[key[0]] = left
            else:
                del self._waiting_per_peer[key[0]]
        return waiting

    def _forget_waiting(self, key: tuple[bytes, bytes]) -> None:
        waiting = self._pop_waiting(key)
        if waiting is not None:
            self.partition_manager.cancel_wait(waiting[0], waiting[1])

    def _expire_waiting(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + 1.0
        for key in [k for k, (_, _, deadline) in self._waiting.items() if deadline <= now]:
            log.info("dropped the request of %r for partition %s: it was not produced within %.0f s", key[1][:40],
                     self._waiting[key][0], PENDING_REQUEST_TTL)
            self._forget_waiting(key)

    @property
    def pending_requests(self) -> int:
        return len(self._waiting)

    def _attach(self, identity: bytes, receiver: bytes, sp: ResultSubpartition, credits: int) -> None:
        key = (identity, receiver)
        self._readers[key] = sp
        self._reader_of[id(sp)] = key
        self._subparts[id(sp)] = sp
        sp.credit += credits
        with sp.lock:
            sp.remote = self
        if sp.pending:
            self._ready.add(id(sp))

    def _pump(self) -> None:
        if not self._ready:
            return
        for sid in list(self._ready):
            sp = self._subparts.get(sid)
            key = self._reader_of.get(sid)
            if sp is None or key is None:
                self._ready.discard(sid)
                continue
            identity, receiver = key
            while sp.credit > 0 and sp.pending:
                item = sp.pending.popleft()
                payload = item if type(item) is bytes else encode_buffer(item)  # queued before attach
                try:
                    self.server.send_multipart([identity, b"D", receiver, payload], copy=False)
                except zmq.ZMQError as exc:
                    log.warning("consumer %r of %s went away: %s", receiver, sp.partition_id, exc)
                    sp.pending.clear()
                    break
                sp.credit -= 1
                sp.release_one()
                if sp.finished and not sp.pending:
                    self._readers.pop(key, None)
                    self._reader_of.pop(sid, None)
                    self._subparts.pop(sid, None)
                    break
            if not (sp.credit > 0 and sp.pending) or sid not in self._reader_of:
                self._ready.discard(sid)

    def _receive(self, sock: zmq.Socket) -> None:
        while True:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            if len(frames) != 3 or frames[0].bytes != b"D":
                self._bad.warning(("consumer", id(sock)), "dropped a malformed data-plane message from a producer")
                continue
            target = self._receivers.get(frames[1].bytes)
            if target is None:
                continue  # channel was cancelled
            gate, channel, _ = target
            gate.queue.put((channel, frames[2].buffer))

    def _flush_credits(self) -> None:
        if not self._credits:
            return
        for (address, receiver), n in self._credits.items():
            sock = self._clients.get(address)
            if sock is not None and receiver in self._receivers:
                sock.send_multipart([b"C", receiver, str(n).encode()])
        self._credits.clear()
