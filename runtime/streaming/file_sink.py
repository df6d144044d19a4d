"""The file sink's writer: buckets, in-progress part files, rolling, finishing.

Layout under the base path (Flink's FileSink)::

    <base>/<bucket id>/.<prefix>-<uuid>-<counter><suffix>.inprogress.<uuid2>   being written
    <base>/<bucket id>/<prefix>-<uuid>-<counter><suffix>                       finished

``uuid`` is random per parallel writer (one per subtask and run, so writers never collide),
``counter`` counts the part files of that writer in that bucket from 0, and
``uuid2`` is random per in-progress file. In-progress files are hidden (leading dot), so
readers that skip hidden files (``FileSource``, Hadoop, Spark) never see partial data.
The base-path bucket assigner's bucket id is ``""``: part files go directly into ``<base>``.

A part file is created on the first record for its bucket and *rolled* (closed and renamed to
its finished name) when the rolling policy says so:

* ``part_size``: before writing a record, if the file already holds more than ``part_size``
  bytes (so a file ends at the first record that takes it past the limit, as in Flink);
* ``rollover_interval`` / ``inactivity_interval``: checked before each batch and, between
  batches, at the exact moment the next file falls due (the task wakes the operator through
  ``next_deadline``/``on_tick``; Flink instead checks every ``bucket_check_interval``);
* at the end of the job (``end_input``): every open file is finished.

**Exactly once with checkpoints** (Flink's two-phase commit). A rolled part file is not
renamed at once: it becomes *pending*. A checkpoint records the pending files and, for every
open part file, its path and the length written so far; when that checkpoint completes
(``notify_checkpoint_complete``), its pending files are committed (renamed to their finished
names). Restoring from a checkpoint commits the files it recorded as pending, truncates the
open files it recorded to their recorded length and commits them, and deletes what the same
writers wrote after it (in-progress files the checkpoint does not know). So after any number
of failures the committed files hold every record exactly once. ``on_checkpoint_rolling_policy``
rolls every open file at each checkpoint. At the end of a bounded job the task waits for a
last checkpoint to commit its files.

**Without checkpoints** a rolled file is finished at once (at-least-once across restarts);
``on_checkpoint_rolling_policy`` then rolls only at the end of the job. A cancelled or failed
job leaves its open part files in the in-progress state (hidden, with the data written so far):
they are never renamed (Flink leaves them too; delete ``.*.inprogress.*`` files by hand).

Records are written a batch at a time: the encoder renders the batch (one ``encode`` call
per batch for the simple string encoder) and the result goes to the file in one ``write``,
unless the batch crosses ``part_size``, in which case it is cut where the file rolls.
"""
from __future__ import annotations

import os
import time
import uuid
from typing import Any

from runtime.streaming.operators import StreamOperator


class PartFile:
    """One in-progress part file (what a rolling policy looks at)."""

    __slots__ = ("bucket_id", "directory", "in_progress_path", "final_path", "file", "size",
                 "creation_time", "last_update_time")

    def __init__(self, bucket_id: str, directory: str, name: str, now_ms: int) -> None:
        self.bucket_id = bucket_id
        self.directory = directory
        self.final_path = os.path.join(directory, name)
        self.in_progress_path = os.path.join(directory, f".{name}.inprogress.{uuid.uuid4()}")
        os.makedirs(directory, exist_ok=True)
        self.file = open(self.in_progress_path, "xb")
        self.size = 0
        self.creation_time = now_ms
        self.last_update_time = now_ms

    # PyFlink/Flink PartFileInfo accessors
    def get_bucket_id(self) -> str:
        return self.bucket_id

    def get_size(self) -> int:
        return self.size

    def get_creation_time(self) -> int:
        return self.creation_time

    def get_last_update_time(self) -> int:
        return self.last_update_time

    def write(self, data: bytes, now_ms: int) -> None:
        if data:
            self.file.write(data)
            self.size += len(data)
            self.last_update_time = now_ms

    def finish(self) -> str:
        self.file.close()
        os.replace(self.in_progress_path, self.final_path)
        return self.final_path

    def close_pending(self) -> tuple[str, str]:
        """Closed, not yet committed: (in-progress path, final path)."""
        self.file.close()
        return (self.in_progress_path, self.final_path)

    def persist(self) -> tuple[str, str, int]:
        """Flush for a checkpoint: (in-progress path, final path, valid length)."""
        self.file.flush()
        os.fsync(self.file.fileno())
        return (self.in_progress_path, self.final_path, self.size)

    def abandon(self) -> None:
        """Close without finishing: the in-progress file stays (cancelled or failed job)."""
        try:
            self.file.close()
        except OSError:
            pass


class _BucketContext:
    """What a custom ``BucketAssigner.get_bucket_id(element, context)`` may ask."""

    __slots__ = ("_now", "_watermark", "_timestamp")

    def __init__(self) -> None:
        self._now = 0
        self._watermark = -(1 << 63)
        self._timestamp = None

    def current_processing_time(self) -> int:
        return self._now

    def current_watermark(self) -> int:
        return self._watermark

    def timestamp(self) -> int | None:
        return self._timestamp


class FileSinkOperator(StreamOperator):
    """``ds.sink_to(FileSink...)``: writes the records of one subtask into part files."""

    def __init__(self, name: str, base_path: str, encoder: Any, part_prefix: str, part_suffix: str,
                 rolling_policy: Any, bucket_assigner: Any, input_type: Any = None) -> None:
        super().__init__(name)
        self.base_path = base_path
        self.encoder = encoder
        self.part_prefix = part_prefix
        self.part_suffix = part_suffix
        self.rolling_policy = rolling_policy
        self.bucket_assigner = bucket_assigner
        self.input_type = input_type
        self.parts: dict[str, PartFile] = {}
        self.counters: dict[str, int] = {}
        self.finished_files: list[str] = []
        self._deadline: int | None = None
        self._deadline_dirty = False
        #: files rolled since the last checkpoint, and per checkpoint those awaiting its completion
        self.rolled: list[tuple[str, str]] = []
        self.pending: dict[int, list[tuple[str, str]]] = {}
        self._restored: dict[str, list] | None = None

    @property
    def two_phase(self) -> bool:
        return self.ctx.task_config.checkpointing

    @property
    def needs_final_checkpoint(self) -> bool:  # type: ignore[override]
        return self.ctx.task_config.checkpointing

    def initialize_state(self, states):
        super().initialize_state(states)
        if states is not None and "writers" in states:
            self._restored = states

    def open(self) -> None:
        from runtime.common.formatting import make_formatter
        self.writer_id = str(uuid.uuid4())
        self.subtask = self.ctx.runtime_context.get_index_of_this_subtask()
        self.fmt = make_formatter(self.input_type)
        self.joined = getattr(self.encoder, "joinable", False)
        self.part_size = self.rolling_policy.get_part_size()
        self.bucket_context = _BucketContext()
        self.parts = {}
        self.counters = {}
        super().open()
        if self._restored is not None:
            self._recover(self._restored)
            self._restored = None

    # ------------------------------------------------------------------ checkpoints
    def snapshot_state(self, options):
        out = super().snapshot_state(options) or {}
        if self.rolling_policy.should_roll_on_checkpoint():
            for bucket in list(self.parts):
                self._roll(bucket)
        cid = options.checkpoint_id
        if self.rolled:
            self.pending[cid] = self.rolled
            self.rolled = []
        # every subtask learns every writer's files (UNION): a restored subtask commits its
        # share and deletes what those writers wrote after the checkpoint
        out["pending"] = ("UNION", [f for files in self.pending.values() for f in files])
        out["in-progress"] = ("UNION", [p.persist() for p in self.parts.values()])
        out["writers"] = ("UNION", [self.writer_id])
        return out

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        super().notify_checkpoint_complete(checkpoint_id)
        for cid in sorted(c for c in self.pending if c <= checkpoint_id):
            for in_progress, final in self.pending.pop(cid):
                _commit(in_progress, final)

    def finish_without_checkpoint(self) -> None:
        for files in [*self.pending.values(), self.rolled]:
            for in_progress, final in files:
                _commit(in_progress, final)
        self.pending.clear()
        self.rolled = []

    def _recover(self, state: dict[str, list]) -> None:
        index = self.ctx.runtime_context.get_index_of_this_subtask()
        p = self.ctx.runtime_context.get_number_of_parallel_subtasks()
        pending = sorted({tuple(f) for f in state.get("pending") or []})
        in_progress = sorted({tuple(f) for f in state.get("in-progress") or []})
        known = {f[0] for f in pending} | {f[0] for f in in_progress}
        for i, (ip, final) in enumerate(pending):
            if i % p == index:
                _commit(ip, final)
        for i, (ip, final, length) in enumerate(in_progress):
            if (i + len(pending)) % p == index and os.path.exists(ip):
                with open(ip, "r+b") as fh:
                    fh.truncate(length)
                _commit(ip, final)
        writers = set(state.get("writers") or [])
        if index == 0 and writers:
            self._discard_after_checkpoint(writers, known)

    def _discard_after_checkpoint(self, writers: set[str], known: set[str]) -> None:
        """Part files the restored writers started after the checkpoint: their records are
        replayed, so the files must go."""
        marker = f".{self.part_prefix}-"
        for root, _dirs, files in os.walk(self.base_path):
            for name in files:
                if not name.startswith(marker) or ".inprogress." not in name:
                    continue
                writer = name[len(marker):len(marker) + 36]
                path = os.path.join(root, name)
                if writer in writers and path not in known:
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        pass

    # ------------------------------------------------------------------ records
    def process_batch(self, values, timestamps=None, keys=None):
        if not values:
            return
        now = int(time.time() * 1000)
        bucket = self.bucket_assigner.get_batch_bucket_id(now)
        if bucket is not None:
            self._write(bucket, values, now)
            return
        ctx = self.bucket_context
        ctx._now = now
        get = self.bucket_assigner.get_bucket_id
        groups: dict[str, list] = {}
        for i, v in enumerate(values):
            ctx._timestamp = timestamps[i] if timestamps is not None else None
            groups.setdefault(str(get(v, ctx)), []).append(v)
        for bucket, vals in groups.items():
            self._write(bucket, vals, now)

    def process_watermark(self, watermark: int) -> None:
        self.bucket_context._watermark = watermark

    def _new_part(self, bucket: str, now: int) -> PartFile:
        counter = self.counters.get(bucket, 0)
        self.counters[bucket] = counter + 1
        # Flink's FileSink naming: <prefix>-<writer uuid>-<counter><suffix>; the uuid is unique
        # per parallel writer, so subtasks never collide
        name = f"{self.part_prefix}-{self.writer_id}-{counter}{self.part_suffix}"
        directory = os.path.join(self.base_path, bucket) if bucket else self.base_path
        part = self.parts[bucket] = PartFile(bucket, directory, name, now)
        return part

    def _write(self, bucket: str, values: list, now: int) -> None:
        policy = self.rolling_policy
        part = self.parts.get(bucket)
        if part is not None and policy.should_roll_on_processing_time(part, now):
            self._roll(bucket)
            part = None
        if part is None:
            part = self._new_part(bucket, now)
        self._deadline_dirty = True
        limit = self.part_size
        if self.joined:
            data = self.encoder.encode_joined(values, self.fmt)
            if limit is None or part.size + len(data) <= limit:
                part.write(data, now)
                return
        encoded = self.encoder.encode_batch(values, self.fmt)
        if limit is None:
            part.write(b"".join(encoded), now)
            return
        size = part.size
        start = 0
        for i, e in enumerate(encoded):
            if size > limit:  # the file already holds more than part_size: roll before this record
                part.write(b"".join(encoded[start:i]), now)
                self._roll(bucket)
                part = self._new_part(bucket, now)
                size, start = 0, i
            size += len(e)
        part.write(b"".join(encoded[start:]), now)

    def _roll(self, bucket: str) -> None:
        part = self.parts.pop(bucket)
        if self.two_phase:
            self.rolled.append(part.close_pending())   # committed when a checkpoint completes
        else:
            self.finished_files.append(part.finish())
        self._deadline_dirty = True

    # ------------------------------------------------------------------ time
    def next_deadline(self) -> int | None:
        if self._deadline_dirty:
            self._deadline_dirty = False
            policy = self.rolling_policy
            ds = [d for d in (policy.next_deadline(p) for p in self.parts.values()) if d is not None]
            self._deadline = min(ds) if ds else None
        return self._deadline

    def on_tick(self, now: int) -> None:
        policy = self.rolling_policy
        for bucket in [b for b, p in self.parts.items() if policy.should_roll_on_processing_time(p, now)]:
            self._roll(bucket)
        self._deadline_dirty = True

    # ------------------------------------------------------------------ end
    def end_input(self) -> None:
        for bucket in list(self.parts):
            self._roll(bucket)

    def close(self) -> None:
        try:
            for part in self.parts.values():
                part.abandon()
            self.parts = {}
        finally:
            super().close()


def _commit(in_progress: str, final: str) -> None:
    """Rename a pending part file to its finished name; idempotent (a restore may commit what
    a notification already committed)."""
    try:
        os.replace(in_progress, final)
    except FileNotFoundError:
        if not os.path.exists(final):
            raise
