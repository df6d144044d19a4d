"""The file source's runtime: enumerating files, splitting them, reading text lines.

There is no split enumerator on the JobManager here: every parallel subtask lists the
configured paths itself and keeps the splits that are its own, so the assignment must be a
pure function of the listing:

* **bounded** (``process_static_file_set``): each subtask lists the paths when it starts. Files
  larger than the split size are cut into byte ranges (split size: ``total bytes /
  parallelism`` clamped to [1 MiB, 32 MiB], so one big file still feeds every subtask).
  Splits are spread by size (largest first, each to the least loaded subtask, ties to the
  lowest index), so every subtask reads about the same number of bytes. All subtasks must
  see the same files: the set must not change while the job starts.
* **continuous** (``monitor_continuously``): every ``interval`` each subtask lists the paths
  again and reads the files it has not read yet, whole (a file's split is never cut, since
  subtasks list at different moments and may see different sizes). A file belongs to subtask
  ``crc32(path) % parallelism``, which every subtask computes the same way whenever it lists.
  A file is read once, by path: content appended later, or a file deleted and re-created
  under the same name, is not read again (Flink's behaviour). Files must therefore appear
  complete: write them elsewhere (or under a hidden name) and rename them into place.

Listing recurses into directories and skips hidden entries (names starting with ``.`` or
``_``, as Flink's default file filter), so a ``FileSink``'s in-progress files are not read.
A path given explicitly is read even if its name is hidden. A missing path fails the job.

Byte ranges are aligned to lines: a split ``[start, end)`` reads every line that *starts*
inside it (a split not at offset 0 first skips the rest of the line it starts in). Lines end
at ``\\n``; a ``\\r`` before it is dropped (``\\r\\n`` files read like ``\\n`` files); a last
line without a line feed is read too. Bytes that are not valid in the charset decode to
U+FFFD, as Java's decoders do. Charsets whose line feed is not the byte ``0x0A`` (UTF-16,
UTF-32) are never split. Files ending in ``.gz``/``.gzip``, ``.bz2``, ``.xz`` and ``.deflate``
are decompressed (and never split).

The set of files already read is not checkpointed yet (there are no checkpoints): a
restarted continuous source reads every file again.
"""
from __future__ import annotations

import codecs
import os
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

from runtime.streaming.sources import SourceOperator

MiB = 1 << 20
#: bytes read from a file per I/O call
READ_CHUNK = MiB
_COMPRESSED = (".gz", ".gzip", ".bz2", ".xz", ".deflate")


def is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("_")


def list_files(paths: list[str]) -> list[tuple[str, int]]:
    """(path, size) of every visible regular file under ``paths``, sorted by path."""
    out: dict[str, int] = {}

    def walk(directory: str) -> None:
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            return  # removed while listing
        for e in entries:
            if is_hidden(e.name):
                continue
            try:
                if e.is_dir():
                    walk(e.path)
                elif e.is_file():
                    out[e.path] = e.stat().st_size
            except FileNotFoundError:
                continue

    for p in paths:
        if os.path.isdir(p):
            walk(p)
        elif os.path.isfile(p):
            out[p] = os.path.getsize(p)
        else:
            raise FileNotFoundError(f"file source: path {p!r} does not exist (or is not a file or directory)")
    return sorted(out.items())


def splittable(path: str, charset: str) -> bool:
    return not path.endswith(_COMPRESSED) and "\n".encode(charset) == b"\n"


def make_splits(files: list[tuple[str, int]], parallelism: int, charset: str,
                max_split: int = 32 * MiB, min_split: int = MiB) -> list[tuple[str, int, int]]:
    """Cut files into line-aligned byte ranges (path, start, end); end -1: to the end of the file."""
    total = sum(size for _, size in files)
    split_size = max(min_split, min(max_split, -(-total // max(1, parallelism))))
    out = []
    for path, size in files:
        if size <= split_size or not splittable(path, charset):
            out.append((path, 0, -1))
            continue
        n = -(-size // split_size)
        bounds = [size * i // n for i in range(n + 1)]
        out.extend((path, bounds[i], bounds[i + 1] if i + 1 < n else -1) for i in range(n))
    return out


def assign_balanced(splits: list[tuple[str, int, int]], sizes: dict[str, int], parallelism: int,
                    index: int) -> list[tuple[str, int, int]]:
    """This subtask's splits: largest first to the least loaded subtask (deterministic)."""
    def length(s: tuple[str, int, int]) -> int:
        return (sizes[s[0]] if s[2] < 0 else s[2]) - s[1]

    load = [0] * parallelism
    mine = []
    for s in sorted(splits, key=lambda s: (-length(s), s[0], s[1])):
        target = min(range(parallelism), key=lambda i: (load[i], i))
        load[target] += length(s)
        if target == index:
            mine.append(s)
    return sorted(mine)


def owner(path: str, parallelism: int) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % parallelism


# ---------------------------------------------------------------------------- reading


def _raw_chunks(path: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes of the lines starting in [start, end) (end -1: to the end of the file)."""
    if path.endswith(_COMPRESSED):
        yield from _decompressed_chunks(path)
        return
    with open(path, "rb") as f:
        pos = 0
        if start > 0:
            f.seek(start - 1)
            pos = start - 1 + len(f.readline())  # the line containing start-1 belongs to the previous split
        carry = b""
        while True:
            data = f.read(READ_CHUNK)
            if not data:
                if carry and (end < 0 or pos < end):
                    yield carry
                return
            buf = carry + data if carry else data
            cut = buf.rfind(b"\n") + 1
            if cut == 0:
                carry = buf
                continue
            complete, carry = buf[:cut], buf[cut:]
            if end >= 0 and pos + len(complete) >= end:
                # keep the lines starting before `end`: up to the first line feed at or after end-1
                k = complete.find(b"\n", max(0, end - 1 - pos))
                if end - pos > 0:
                    yield complete[:k + 1]
                return
            pos += len(complete)
            yield complete


def _decompressed_chunks(path: str) -> Iterator[bytes]:
    if path.endswith(".deflate"):
        d = zlib.decompressobj()
        with open(path, "rb") as f:
            while True:
                data = f.read(READ_CHUNK)
                if not data:
                    break
                out = d.decompress(data)
                if out:
                    yield out
        tail = d.flush()
        if tail:
            yield tail
        return
    import bz2
    import gzip
    import lzma
    opener: Any = gzip.open if path.endswith((".gz", ".gzip")) else bz2.open if path.endswith(".bz2") else lzma.open
    with opener(path, "rb") as f:
        while True:
            data = f.read(READ_CHUNK)
            if not data:
                return
            yield data


def read_lines(path: str, start: int, end: int, charset: str) -> Iterator[list[str]]:
    """Lists of the text lines of a split, one list per chunk read."""
    if "\n".encode(charset) != b"\n":
        yield from _read_lines_text(path, charset)
        return
    decoder = codecs.getincrementaldecoder(charset)("replace")
    yield from _split_lines(_raw_chunks(path, start, end), decoder)


def _read_lines_text(path: str, charset: str) -> Iterator[list[str]]:
    """Charsets whose line feed is several bytes: decode the whole stream in text mode."""
    decoder = codecs.getincrementaldecoder(charset)("replace")
    chunks = _decompressed_chunks(path) if path.endswith(_COMPRESSED) else _file_chunks(path)
    yield from _split_lines(chunks, decoder)


def _split_lines(chunks: Iterator[bytes], decoder: Any) -> Iterator[list[str]]:
    """Decoded lines of a stream of byte chunks, one list per chunk; a trailing "\r" (CRLF
    files) is dropped and a last line without a line feed still counts."""
    pending = ""
    for chunk in chunks:
        text = pending + decoder.decode(chunk)
        lines = text.split("\n")
        pending = lines.pop()
        if "\r" in text:
            lines = [s[:-1] if s.endswith("\r") else s for s in lines]
        if lines:
            yield lines
    pending += decoder.decode(b"", True)
    if pending:
        yield [pending[:-1] if pending.endswith("\r") else pending]


def _file_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while True:
            data = f.read(READ_CHUNK)
            if not data:
                return
            yield data


# ---------------------------------------------------------------------------- operator


class FileSourceOperator(SourceOperator):
    """Reads text lines from files (``FileSource`` with ``StreamFormat.text_line_format``)."""

    #: how often an idle continuous source lets the task flush buffers and fire timers (s)
    idle_tick = 0.05

    def __init__(self, name: str, paths: list[str], charset: str, discovery_interval_ms: int | None,
                 max_split_size: int = 32 * MiB, min_split_size: int = MiB) -> None:
        super().__init__(name)
        self.paths = list(paths)
        self.charset = charset
        self.discovery_interval_ms = discovery_interval_ms
        self.bounded = discovery_interval_ms is None
        self.max_split_size = max_split_size
        self.min_split_size = min_split_size
        self._cancelled: threading.Event | None = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cancelled"] = None
        return state

    def open(self) -> None:
        self._cancelled = threading.Event()
        super().open()

    def cancel(self) -> None:
        if self._cancelled is not None:
            self._cancelled.set()

    def _subtask(self) -> tuple[int, int]:
        rc = self.ctx.runtime_context
        return rc.get_index_of_this_subtask(), rc.get_number_of_parallel_subtasks()

    # ------------------------------------------------------------------ position
    # A split is [path, start, end, lines already emitted]. The source's position, part of
    # every checkpoint: the split being read (with its count) and those still to read
    # (SPLIT state, redistributed on rescaling), and for a continuous source the files it has
    # taken up (UNION state: each subtask reads the files it owns and skips those seen).
    _splits: list | None = None
    _current: list | None = None
    _seen: set | None = None

    def initialize_state(self, states):
        super().initialize_state(states)
        if states is not None and "splits" in states:
            self._splits = [list(s) for s in states.get("splits") or []]
            self._seen = set().union(*[set(s) for s in states.get("seen") or []])

    def snapshot_state(self, options):
        out = super().snapshot_state(options) or {}
        pending = ([tuple(self._current)] if self._current is not None else []) + \
            [tuple(s) for s in self._splits or []]
        out["splits"] = ("SPLIT", pending)
        if not self.bounded:
            out["seen"] = ("UNION", [sorted(self._seen or ())])
        return out

    def run(self, emit_batch, batch_size):
        if self._cancelled is None:
            self._cancelled = threading.Event()
        if self.bounded:
            self._run_static(emit_batch, batch_size)
        else:
            self._run_continuous(emit_batch, batch_size)

    def _read(self, split: list, emit_batch, batch_size: int) -> None:
        path, start, end, skip = split
        self._current = split
        done = 0
        for lines in read_lines(path, start, end, self.charset):
            if done + len(lines) <= skip:      # already emitted before the restore
                done += len(lines)
                continue
            if done < skip:
                lines = lines[skip - done:]
                done = skip
            for i in range(0, len(lines), batch_size):
                chunk = lines[i:i + batch_size]
                done += len(chunk)
                split[3] = done                 # counted before it is emitted
                emit_batch(chunk, None)
        self._current = None

    def _run_static(self, emit_batch, batch_size: int) -> None:
        if self._splits is None:
            index, p = self._subtask()
            files = list_files(self.paths)
            splits = make_splits(files, p, self.charset, self.max_split_size, self.min_split_size)
            self._splits = [[*s, 0] for s in assign_balanced(splits, dict(files), p, index)]
        while self._splits:
            self._read(self._splits.pop(0), emit_batch, batch_size)

    def _run_continuous(self, emit_batch, batch_size: int) -> None:
        index, p = self._subtask()
        assert self.discovery_interval_ms is not None
        interval = max(1, self.discovery_interval_ms) / 1000.0
        if self._seen is None:
            self._seen = set()
        seen = self._seen
        cancelled = self._cancelled
        assert cancelled is not None
        if self._splits is None:
            self._splits = []
        while True:
            next_scan = time.monotonic() + interval
            while self._splits:                 # restored: the file being read when it was taken
                self._read(self._splits.pop(0), emit_batch, batch_size)
            for path, _size in list_files(self.paths):
                if path in seen or owner(path, p) != index:
                    continue
                seen.add(path)
                self._read([path, 0, -1, 0], emit_batch, batch_size)
            emit_batch([], None)
            while True:
                left = next_scan - time.monotonic()
                if left <= 0:
                    break
                if cancelled.wait(min(left, self.idle_tick)):
                    emit_batch([], None)  # raises TaskCancelled once the task was cancelled
                    return
                emit_batch([], None)
