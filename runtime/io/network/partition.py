"""Producer side of the data plane: result partitions and their subpartitions.

Each producing subtask has one ResultPartition per outgoing job edge with one subpartition
per connected consumer subtask. A subpartition is a bounded queue of batches: ``add`` blocks
once ``capacity`` batches are outstanding, which is how backpressure reaches the producer and
why memory stays flat behind a slow consumer. A consumer on the same TaskManager attaches
locally (batches go straight into its input gate, no copy, no pickling); a consumer elsewhere
attaches through the network thread, which sends batches only against credits.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime.io.network.elements import END_OF_PARTITION

if TYPE_CHECKING:
    from runtime.io.network.input_gate import InputGate


class TaskCancelled(Exception):
    """Unwinds a task thread that was blocked on backpressure when it got cancelled."""


class ResultSubpartition:
    __slots__ = ("partition_id", "index", "capacity", "sem", "lock", "pending", "local_gate",
                 "local_channel", "remote", "credit", "finished", "io")

    def __init__(self, partition_id: str, index: int, capacity: int) -> None:
        self.partition_id = partition_id
        self.index = index
        self.capacity = capacity
        self.sem = threading.Semaphore(capacity)
        self.lock = threading.Lock()
        self.pending: deque = deque()
        self.local_gate: InputGate | None = None
        self.local_channel = -1
        self.remote: Any = None  # RemoteReader set by the network environment
        self.credit = 0
        self.finished = False
        #: the producing task's metrics (back-pressured time, bytes out), or None
        self.io: Any = None

    def add(self, item: tuple, is_cancelled: Callable[[], bool]) -> None:
        """Enqueue one batch or event; blocks while the subpartition is full (the producer
        is back-pressured: the wait is timed into its metrics)."""
        acquire = self.sem.acquire
        if not acquire(False):
            self._await_room(is_cancelled)
        gate = self.local_gate
        if gate is not None:
            gate.queue.put((self.local_channel, item))
            return
        remote = self.remote
        if remote is not None:
            # serialise in the producing task's thread (as Flink does), so the network thread
            # only moves bytes and holds the GIL as briefly as possible
            payload = remote.serialize(item)
            io = self.io
            if io is not None:
                io.bytes_out._count += len(payload)
            if item[0] == END_OF_PARTITION:
                self.finished = True
            pending = self.pending
            was_empty = not pending
            pending.append(payload)
            if was_empty and self.credit > 0:
                # the network thread revisits a non-empty subpartition whenever credit
                # arrives (it adds the credit, then looks at ``pending``; this thread appends,
                # then looks at ``credit``), so only the empty → non-empty transition of a
                # subpartition that can send needs a notification
                remote.notify(self)
            return
        with self.lock:
            gate = self.local_gate
            if gate is not None:
                gate.queue.put((self.local_channel, item))
                return
            if item[0] == END_OF_PARTITION:
                self.finished = True
            self.pending.append(item)
            remote = self.remote
        if remote is not None:
            remote.notify(self)

    def _await_room(self, is_cancelled: Callable[[], bool]) -> None:
        io = self.io
        start = time.monotonic()
        if io is not None:
            io.backpressured_since = start
        try:
            acquire = self.sem.acquire
            while not acquire(timeout=0.1):
                if is_cancelled():
                    raise TaskCancelled()
        finally:
            if io is not None:
                io.backpressured_since = None
                io.backpressured_ms += (time.monotonic() - start) * 1000.0

    def queued(self) -> int:
        """Batches handed over and not yet taken by the consumer (for outPoolUsage)."""
        return self.capacity - self.sem._value  # noqa: SLF001 - Semaphore has no public count

    def attach_local(self, gate: InputGate, channel: int) -> None:
        with self.lock:
            self.local_gate = gate
            self.local_channel = channel
            while self.pending:
                gate.queue.put((channel, self.pending.popleft()))

    def release_one(self) -> None:
        """The consumer took a batch: room for one more."""
        self.sem.release()


class ResultPartition:
    def __init__(self, partition_id: str, num_subpartitions: int, capacity: int) -> None:
        self.partition_id = partition_id
        self.subpartitions = [ResultSubpartition(partition_id, i, capacity) for i in range(num_subpartitions)]


class ResultPartitionManager:
    """All partitions produced on this TaskManager, and consumers waiting for ones not yet
    registered (a consumer may be deployed before its producer)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.partitions: dict[str, ResultPartition] = {}
        self.waiting: dict[str, list[Callable[[ResultPartition], None]]] = {}

    def register(self, partition: ResultPartition) -> None:
        with self.lock:
            self.partitions[partition.partition_id] = partition
            waiters = self.waiting.pop(partition.partition_id, [])
        for w in waiters:
            w(partition)

    def when_available(self, partition_id: str, callback: Callable[[ResultPartition], None]) -> None:
        with self.lock:
            partition = self.partitions.get(partition_id)
            if partition is None:
                self.waiting.setdefault(partition_id, []).append(callback)
                return
        callback(partition)

    def cancel_wait(self, partition_id: str, callback: Callable[[ResultPartition], None]) -> None:
        """Forget a waiter that gave up (its request expired or was cancelled)."""
        with self.lock:
            waiters = self.waiting.get(partition_id)
            if waiters is None:
                return
            try:
                waiters.remove(callback)
            except ValueError:
                return
            if not waiters:
                del self.waiting[partition_id]

    def release(self, partition_ids: list[str]) -> None:
        with self.lock:
            for pid in partition_ids:
                self.partitions.pop(pid, None)
                self.waiting.pop(pid, None)

    def release_job(self, prefix: str) -> None:
        with self.lock:
            for pid in [p for p in self.partitions if p.startswith(prefix)]:
                del self.partitions[pid]
            for pid in [p for p in self.waiting if p.startswith(prefix)]:
                del self.waiting[pid]


def is_end(item: tuple) -> bool:
    return item[0] == END_OF_PARTITION
