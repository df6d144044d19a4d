"""CheckpointBarrierHandler: when has a task seen a checkpoint's barrier on every input?

Exactly-once (Flink's SingleCheckpointBarrierHandler, aligned): a channel that delivered the
barrier of the pending checkpoint is *blocked* — what arrives on it after the barrier belongs
after the snapshot, so the input processor holds it back (without returning its credit) —
until every open channel has delivered the barrier; then the task snapshots, forwards the
barrier and unblocks. At-least-once (Flink's CheckpointBarrierTracker): nothing is blocked;
the task snapshots when the last barrier arrives, so records that overtook a barrier are in
the snapshot and replayed after a restore.

A finished channel (end-of-partition) counts as having delivered every later barrier. A
barrier of a newer checkpoint while an older one is still being aligned aborts the older one
(it could never complete here), as Flink does.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


class CheckpointBarrierHandler:
    __slots__ = ("_on_abort", "_on_checkpoint", "_options", "_received", "blocked", "finished", "latest",
                 "pending_id")

    def __init__(self, num_channels: int, on_checkpoint: Callable[[Any], None],
                 on_abort: Callable[[int, str], None]) -> None:
        #: per channel: held back until the pending checkpoint is aligned
        self.blocked = [False] * num_channels
        self.finished = [False] * num_channels
        self.pending_id = -1
        self.latest = -1
        self._options: Any = None
        self._received: set[int] = set()
        self._on_checkpoint = on_checkpoint
        self._on_abort = on_abort

    @property
    def aligning(self) -> bool:
        return self.pending_id >= 0

    def on_barrier(self, channel: int, options: Any) -> bool:
        """Returns True when this barrier completed an alignment (channels unblocked)."""
        cid = options.checkpoint_id
        if cid <= self.latest:
            return False  # a barrier of a checkpoint this task already took or gave up
        if cid > self.pending_id:
            if self.pending_id >= 0:
                aborted = self.pending_id
                self._reset()
                self.latest = max(self.latest, aborted)
                self._on_abort(aborted, f"barrier of checkpoint {cid} arrived before checkpoint {aborted} was aligned")
            self.pending_id = cid
            self._options = options
        elif cid < self.pending_id:
            return False  # late barrier of an aborted checkpoint
        self._received.add(channel)
        if options.exactly_once:
            self.blocked[channel] = True
        return self._maybe_complete()

    def on_end_of_partition(self, channel: int) -> bool:
        self.finished[channel] = True
        self.blocked[channel] = False
        return self.aligning and self._maybe_complete()

    def abort(self, checkpoint_id: int) -> bool:
        """The JobMaster aborted the checkpoint (timeout, a failed task): stop aligning it."""
        if self.pending_id == checkpoint_id:
            self.latest = max(self.latest, checkpoint_id)
            self._reset()
            return True
        return False

    def _maybe_complete(self) -> bool:
        received = self._received
        for c, done in enumerate(self.finished):
            if not done and c not in received:
                return False
        options = self._options
        self.latest = self.pending_id
        self._reset()
        self._on_checkpoint(options)
        return True

    def _reset(self) -> None:
        self.pending_id = -1
        self._options = None
        self._received = set()
        for i in range(len(self.blocked)):
            self.blocked[i] = False
