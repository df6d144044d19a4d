"""What a job prints on the TaskManagers, held by its JobMaster for attached clients.

Chunks arrive from the TaskManagers in order; clients read from an offset and get at most
``max_chunk`` characters per poll, so a burst of output is streamed in pieces instead of
being joined into one huge reply. The relay keeps the last ``retention`` characters; a
client that falls further behind is told how much it missed.
"""
from __future__ import annotations

import bisect


class OutputRelay:
    def __init__(self, retention: int = 32 * 1024 * 1024, max_chunk: int = 4 * 1024 * 1024) -> None:
        self.retention = retention
        self.max_chunk = max_chunk
        self.starts: list[int] = []   # offset of each retained chunk
        self.chunks: list[str] = []
        self.end = 0                  # offset just past the last character received
        self.retained = 0

    @property
    def base(self) -> int:
        return self.starts[0] if self.starts else self.end

    def append(self, text: str) -> None:
        if not text:
            return
        self.starts.append(self.end)
        self.chunks.append(text)
        self.end += len(text)
        self.retained += len(text)
        drop = 0
        while self.retained > self.retention and len(self.chunks) - drop > 1:
            self.retained -= len(self.chunks[drop])
            drop += 1
        if drop:
            del self.starts[:drop]
            del self.chunks[:drop]

    def read(self, offset: int) -> tuple[str, int]:
        """Text from ``offset`` (at most ``max_chunk`` characters) and the offset after it."""
        if offset >= self.end:
            return "", self.end
        notice = ""
        if offset < self.base:
            notice = f"[... {self.base - offset} characters of output dropped ...]\n"
            offset = self.base
        i = bisect.bisect_right(self.starts, offset) - 1
        parts = [self.chunks[i][offset - self.starts[i]:]]
        size = len(parts[0])
        i += 1
        while i < len(self.chunks) and size < self.max_chunk:
            parts.append(self.chunks[i])
            size += len(self.chunks[i])
            i += 1
        return notice + "".join(parts), offset + size

    def has_more(self, offset: int) -> bool:
        return offset < self.end
