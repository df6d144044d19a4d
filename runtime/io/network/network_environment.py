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
"""
from __future__ import annotations

import logging
import marshal
import os
import pickle
import threading
from collections import deque
from typing import Any

import zmq

from runtime.io.network.input_gate import InputGate
from runtime.io.network.partition import ResultPartition, ResultPartitionManager, ResultSubpartition

log = logging.getLogger(__name__)


def encode_buffer(item: tuple, sp: Any = None) -> bytes:
    """Serialise one batch for a remote channel. ``marshal`` is tried first: it is C-fast for
    the built-in types most records are made of (ints, floats, str, tuples, lists, dicts) and
    rejects anything else (Rows, user classes, tuple subclasses), which then goes through
    pickle. A subpartition that once needed pickle skips the marshal attempt afterwards.
    The formats are told apart by the first byte: pickle's is always 0x80, marshal's never."""
    if sp is None or sp.marshal_ok:
        try:
            return marshal.dumps(item, 2)  # version 2: no back-references, fastest to write
        except ValueError:
            if sp is not None:
                sp.marshal_ok = False
    return dumps(item)


def decode_buffer(buf: Any) -> tuple:
    return pickle.loads(buf) if buf[0] == 0x80 else marshal.loads(buf)


def dumps(item: Any) -> bytes:
    """Pickle a batch; fall back to cloudpickle for objects of classes defined in a job's
    ``__main__`` (plain pickle can only reference those by name, which a peer cannot resolve)."""
    try:
        return pickle.dumps(item, protocol=5)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle
        return cloudpickle.dumps(item, protocol=5)


class NetworkEnvironment:
    def __init__(self, resource_id: str, bind_host: str = "127.0.0.1", port: int = 0,
                 advertised_host: str | None = None, inproc: bool = False,
                 context: zmq.Context | None = None) -> None:
        self.resource_id = resource_id
        self.ctx = context or zmq.Context.instance()
        self.partition_manager = ResultPartitionManager()
        self._bind = f"inproc://data-{resource_id}" if inproc else f"tcp://{bind_host}:{port or '*'}"
        self._advertised_host = advertised_host or bind_host
        self.address: str = ""
        self._commands: deque = deque()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        self._thread: threading.Thread | None = None
        self._running = False
        self._polling = True
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
        self.server.bind(self._bind)
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
    def serialize(item: tuple, sp: Any = None) -> bytes:
        return encode_buffer(item, sp)

    def request_remote(self, address: str, receiver: bytes, partition_id: str, subpartition: int,
                       credits: int, gate: InputGate, channel: int) -> None:
        self._post(("request", address, receiver, partition_id, subpartition, credits, gate, channel))

    def add_credit(self, address: str, receiver: bytes, n: int = 1) -> None:
        self._post(("credit", address, receiver, n))

    def cancel_receivers(self, receivers: list[tuple[str, bytes]]) -> None:
        self._post(("cancel", receivers))

    def _post(self, cmd: tuple) -> None:
        self._commands.append(cmd)
        if self._polling:
            # only a sleeping network thread needs the (syscall) wake-up; a busy one sees the
            # command on its next turn
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
                while self._commands:
                    self._handle_command(self._commands.popleft())
                if self.server in events:
                    self._serve()
                for sock in list(self._clients.values()):
                    if sock in events:
                        self._receive(sock)
                self._flush_credits()
                self._pump()
        except Exception:  # a broken network thread must be visible in the log
            log.exception("network thread failed")
        finally:
            for sock in self._clients.values():
                sock.close(0)
            self.server.close(0)

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
            _, identity, receiver, sp, credits = cmd
            self._attach(identity, receiver, sp, credits)

    def _client(self, address: str) -> zmq.Socket:
        sock = self._clients.get(address)
        if sock is None:
            sock = self.ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.IDENTITY, f"{self.resource_id}-{len(self._clients)}-{os.getpid()}".encode())
            sock.setsockopt(zmq.RCVHWM, 0)
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
                log.warning("dropped a malformed data-plane message")
                continue
            identity, kind, receiver = frames[0], frames[1], frames[2]
            try:
                if kind == b"R":
                    partition_id = frames[3].decode()
                    index = int(frames[4])
                    credits = int(frames[5])

                    def on_available(partition: ResultPartition, identity=identity, receiver=receiver,
                                     index=index, credits=credits) -> None:
                        self._post(("attach", identity, receiver, partition.subpartitions[index], credits))
                    self.partition_manager.when_available(partition_id, on_available)
                elif kind == b"C":
                    sp = self._readers.get((identity, receiver))
                    if sp is not None:
                        sp.credit += int(frames[3])
                        if sp.pending:
                            self._ready.add(id(sp))
                elif kind == b"X":
                    sp = self._readers.pop((identity, receiver), None)
                    if sp is not None:
                        self._reader_of.pop(id(sp), None)
                        self._ready.discard(id(sp))
                        self._subparts.pop(id(sp), None)
                        sp.remote = None
                else:
                    log.warning("dropped a data-plane message of unknown kind %r", kind[:8])
            except (ValueError, IndexError) as exc:
                log.warning("dropped a malformed data-plane message: %s", exc)

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
                payload = item if type(item) is bytes else encode_buffer(item, sp)  # queued before attach
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
                log.warning("dropped a malformed data-plane message")
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
