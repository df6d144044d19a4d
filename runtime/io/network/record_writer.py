"""RecordWriter: splits an operator's output batches over the subpartitions of one job edge.

Routing is done a batch at a time with C-speed primitives where the partitioner allows it
(slices for round robin, one list for forward/broadcast); a key-group partitioner computes
each record's key once, memoises key → channel (looked up for the whole batch with ``map``),
splits the batch with ``itertools.compress`` for two consumers, and ships the keys with the
records so the keyed consumer does not recompute them. Batches accumulate per channel and go
out when full, on flush (buffer timeout or idle input) and before any in-band event.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from itertools import compress
from typing import Any

from runtime.common.errors import UserFunctionError, raise_at_user_code
from runtime.io.network.elements import DATA, END_OF_PARTITION, IDLE, WATERMARK
from runtime.io.network.partition import ResultSubpartition
from runtime.state.key_groups import KeyChannelCache

#: bytes.translate table swapping channel 0 and 1 (the first consumer's selectors from the second's)
_FLIP = bytes([1, 0]) + bytes(254)


class RecordWriter:
    def __init__(self, partitioner: Any, subpartitions: list[ResultSubpartition], batch_size: int,
                 is_cancelled: Callable[[], bool], subtask_index: int = 0) -> None:
        self.partitioner = partitioner
        self.subpartitions = subpartitions
        self.n = n = len(subpartitions)
        self.batch_size = max(1, batch_size)
        self.is_cancelled = is_cancelled
        self.pv: list[list] = [[] for _ in range(n)]
        self.pt: list[list | None] = [None] * n
        self.pk: list[list | None] = [None] * n
        self.rr = subtask_index % n if n else 0
        kind = partitioner.kind
        self.keyed = kind == "HASH"
        if kind == "HASH":
            self.key_fn = partitioner.key_fn
            self.channels = KeyChannelCache(partitioner.max_parallelism, n)
            self.emit = self._emit_hash
            self._keys_checked = False
        elif n == 1:
            self.emit = self._emit_single
        elif kind in ("REBALANCE", "RESCALE"):
            self.emit = self._emit_round_robin
        elif kind == "BROADCAST":
            self.emit = self._emit_broadcast
        elif kind == "SHUFFLE":
            self.emit = self._emit_shuffle
        elif kind == "CUSTOM":
            self.key_fn = partitioner.key_fn
            self.partition_fn = partitioner.partition_fn
            self.emit = self._emit_custom
        elif kind == "FORWARD":
            raise ValueError("a forward edge must connect exactly one consumer per producer")
        else:
            raise ValueError(f"unknown partitioner {kind}")

    # ------------------------------------------------------------------ routing
    def _append(self, c: int, values: list, ts: list | None, keys: list | None, fresh: bool = False) -> None:
        """Add records to channel ``c``'s batch; ``fresh`` lists (made by the router, nobody else
        holds them) become the batch when it is empty instead of being copied into it."""
        pv = self.pv[c]
        if ts is not None or self.pt[c] is not None:
            pt = self.pt[c]
            if pt is None:
                pt = self.pt[c] = [None] * len(pv)
            pt.extend(ts if ts is not None else [None] * len(values))
        if fresh and not pv and ts is None and self.pt[c] is None and self.pk[c] is None:
            self.pv[c] = pv = values
            self.pk[c] = keys
        else:
            if keys is not None:
                pk = self.pk[c]
                if pk is None:
                    pk = self.pk[c] = []
                pk.extend(keys)
            pv.extend(values)
        if len(pv) >= self.batch_size:
            self._send(c)

    def _emit_single(self, values, ts=None, keys=None):
        if not self.pv[0] and len(values) >= self.batch_size and self.pt[0] is None and self.pk[0] is None:
            self.subpartitions[0].add((DATA, values, ts, None), self.is_cancelled)
            return
        self._append(0, values, ts, None)

    def _emit_round_robin(self, values, ts=None, keys=None):
        n = self.n
        start = self.rr
        for c in range(n):
            off = (c - start) % n
            part = values[off::n]
            if part:
                self._append(c, part, None if ts is None else ts[off::n], None, True)
        self.rr = (start + len(values)) % n

    def _emit_broadcast(self, values, ts=None, keys=None):
        for c in range(self.n):
            self._append(c, values, ts, None)

    def _emit_hash(self, values, ts=None, keys=None):
        kf = self.key_fn
        try:
            keys = [kf(v) for v in values]
        except Exception as exc:
            target = getattr(self.partitioner, "target_name", "the keyed operator")
            raise UserFunctionError(f"the key selector of key_by() before '{target}' failed: "
                                    f"{type(exc).__name__}: {exc}") from exc
        n = self.n
        if n == 1:
            if not self._keys_checked:  # one consumer hashes them there; check the first batch here
                self._check_hashable(keys, values)
                self._keys_checked = True
            self._append(0, values, ts, keys)  # one consumer: no routing, the keys still travel
            return
        if n == 2 and ts is None:
            # two consumers: the channel numbers (as bytes, built in C) are the selectors of the
            # second one and their translation 0 <-> 1 those of the first; four compress()
            # passes, no Python per record
            second = self._channel_numbers(keys, values, bytes)
            first = second.translate(_FLIP)
            for c, sel in ((0, first), (1, second)):
                part = list(compress(values, sel))
                if part:
                    self._append(c, part, None, list(compress(keys, sel)), True)
            return
        chans = self._channel_numbers(keys, values, list)
        if ts is not None:
            self._scatter(chans, values, ts, keys)
            return
        # more consumers: one pass, appending value and key to their channel's batch
        vs: list[list] = [[] for _ in range(n)]
        ks: list[list] = [[] for _ in range(n)]
        va = [x.append for x in vs]
        ka = [x.append for x in ks]
        for v, c, k in zip(values, chans, keys):
            va[c](v)
            ka[c](k)
        for c in range(n):
            if vs[c]:
                self._append(c, vs[c], None, ks[c], True)

    def _channel_numbers(self, keys: list, values: list, collect: Callable[[Any], Any]) -> Any:
        """Each key's channel (memoised key -> channel), gathered by ``collect`` (``bytes`` or
        ``list``); an unhashable key fails here, naming the key selector."""
        try:
            return collect(self.channels.channels(keys))
        except TypeError:
            self._check_hashable(keys, values)
            raise

    def _check_hashable(self, keys: list, values: list) -> None:
        """A key must be hashable (it is looked up per record); an unhashable one fails the
        job at its first record, pointing at the key selector rather than at engine code."""
        for k, v in zip(keys, values):
            try:
                hash(k)
            except TypeError:
                shown = repr(k)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                error = UserFunctionError(
                    f"key_by(): the key selector returned an unhashable {type(k).__name__} ({shown}) for the "
                    f"record {v!r:.60}; keys must be hashable: return a str, int, tuple, ... (e.g. tuple(...) "
                    "instead of a list)")
                raise_at_user_code(self.key_fn, error)

    def _emit_shuffle(self, values, ts=None, keys=None):
        chans = random.choices(range(self.n), k=len(values))
        self._scatter(chans, values, ts, None)

    def _emit_custom(self, values, ts=None, keys=None):
        kf, pf, n = self.key_fn, self.partition_fn, self.n
        chans = [pf(kf(v), n) for v in values]
        for c in chans:
            if not (isinstance(c, int) and 0 <= c < n):
                raise ValueError(f"custom partitioner returned {c!r}; expected an int in [0, {n})")
        self._scatter(chans, values, ts, None)

    def _scatter(self, chans: list[int], values: list, ts: list | None, keys: list | None) -> None:
        n = self.n
        if n == 1:
            self._append(0, values, ts, keys)
            return
        vs: list[list] = [[] for _ in range(n)]
        va = [v.append for v in vs]
        if keys is None and ts is None:
            for c, v in zip(chans, values):
                va[c](v)
            for c in range(n):
                if vs[c]:
                    self._append(c, vs[c], None, None, True)
            return
        ks: list[list] = [[] for _ in range(n)]
        ka = [k.append for k in ks]
        if keys is None:
            keys = [None] * len(values)
        if ts is None:
            for c, v, k in zip(chans, values, keys):
                va[c](v)
                ka[c](k)
            tss: list = [None] * n
        else:
            tss = [[] for _ in range(n)]
            ta = [t.append for t in tss]
            for c, v, k, t in zip(chans, values, keys, ts):
                va[c](v)
                ka[c](k)
                ta[c](t)
        for c in range(n):
            if vs[c]:
                self._append(c, vs[c], tss[c], ks[c] if self.keyed else None, True)

    # ------------------------------------------------------------------ sending
    def _send(self, c: int) -> None:
        pv = self.pv[c]
        if not pv:
            return
        item = (DATA, pv, self.pt[c], self.pk[c])
        self.pv[c] = []
        self.pt[c] = None
        self.pk[c] = None
        self.subpartitions[c].add(item, self.is_cancelled)

    def flush(self) -> None:
        for c in range(self.n):
            if self.pv[c]:
                self._send(c)

    def emit_watermark(self, watermark: int) -> None:
        self.broadcast_event((WATERMARK, watermark))

    def emit_idle(self, idle: bool) -> None:
        self.broadcast_event((IDLE, idle))

    def broadcast_event(self, event: tuple) -> None:
        self.flush()
        for sp in self.subpartitions:
            sp.add(event, self.is_cancelled)

    def end(self, stop: str | None = None) -> None:
        """End of this partition: the end of the data, or (``stop``) the job stopping with a
        savepoint, ``"drain"`` (consumers flush, as at the end of the data) or ``"no-drain"``
        (consumers finish without flushing: their state is in the savepoint)."""
        if stop is None:
            self.broadcast_event((END_OF_PARTITION,))
        else:
            self.broadcast_event((END_OF_PARTITION, stop == "drain"))
