"""The fast path of the WindowOperator for aligned event-time windows.

Tumbling and sliding event-time windows with the default EventTimeTrigger are by far the most
common windows; for them the per-record work (window assignment, contents update, the
trigger's timer) is inlined into one loop, and the trigger's timers are handled without going
through the Trigger object. The semantics are exactly the general path's (tested on both).

The timers are an ``AlignedWindowTimerService`` (``window_timers``): a (key, window) gets its
key appended to the fire bucket of its window when its first element arrives, and to the
cleanup bucket too when there is allowed lateness; a watermark fires a window's keys in
one loop. As with Flink's EventTimeTrigger, an element that arrives when its window has
ended but is not yet cleaned up (allowed lateness) fires the window at once and registers
no fire timer.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.streaming.window_contents import AGGREGATE, MISSING as _MISSING, REDUCE, TagRef as _TagRef


class AlignedWindowPath:
    """Mixed into WindowOperator; uses its state (contents, timers, emitter, ...)."""

    if TYPE_CHECKING:  # the WindowOperator's attributes, as far as a type checker is concerned
        def __getattr__(self, name: str) -> Any: ...

    def _process_aligned(self, values, timestamps=None, keys=None):
        if timestamps is None or keys is None:
            return self._process_general(values, timestamps, keys)
        from runtime.common.windowing import TimeWindow
        size = self.assigner.size
        slide = getattr(self.assigner, "slide", size)
        offset = self.assigner.offset
        tumbling = slide == size
        windows = self._window_cache
        contents = self.contents
        bucket = self.timers.event.bucket
        wm = self.timers.current_watermark
        lateness = self.allowed_lateness
        kind = self.kind
        reduce = getattr(self, "_reduce", None)
        agg = self.function
        late_out = self.side_outputs.get(self.late_tag) if self.late_tag is not None else None
        backend = self.backend
        missing = _MISSING
        if tumbling and kind == REDUCE and late_out is None:
            return self._process_tumbling_reduce(values, timestamps, keys)
        for k, v, ts in zip(keys, values, timestamps):
            if ts is None:
                return self._process_general(values, timestamps, keys)  # raises clearly
            if tumbling:
                starts: Any = (ts - (ts - offset + size) % size,)
            else:
                last = ts - (ts - offset + slide) % slide
                starts = range(last, ts - size, -slide)
            skipped = True
            for start in starts:
                max_ts = start + size - 1
                if max_ts + lateness <= wm:
                    continue  # the window is already cleaned up: the element is late for it
                skipped = False
                w = windows.get(start)
                if w is None:
                    w = windows[start] = TimeWindow(start, start + size)
                per_key = contents.get(k)
                if per_key is None:
                    per_key = contents[k] = {}
                acc = per_key.get(w, missing)
                if kind == REDUCE:
                    per_key[w] = v if acc is missing else reduce(acc, v)
                elif kind == AGGREGATE:
                    per_key[w] = agg.add(v, agg.create_accumulator() if acc is missing else acc)
                elif acc is missing:
                    per_key[w] = [v]
                else:
                    acc.append(v)
                if acc is missing:
                    if max_ts > wm:
                        bucket(max_ts, w).append(k)
                    if lateness:
                        bucket(max_ts + lateness, w).append(k)
                if max_ts <= wm:  # late but within the allowed lateness: a late firing
                    backend.current_key = k
                    self._fire(k, w)
            if skipped and late_out is not None and ts + lateness <= wm:
                self.emitter.output(_TagRef(self.late_tag), v, ts)
        if len(windows) > 4096:
            windows.clear()  # bound the cache of window objects (they are only an optimisation)
        self.emitter.flush()

    def _on_window_timers(self, ts: int, w: Any, keys: list) -> None:
        """EventTimeTrigger's timers of one window, for all its keys at once: fire at the
        window's end, drop the window at end + allowed lateness (the same instant when
        there is no lateness)."""
        contents = self.contents
        missing = _MISSING
        max_ts = w[1] - 1
        fire = ts == max_ts
        cleanup = ts == self._cleanup_time(w)
        clear_all = cleanup and (self._wf_kind == "process" or bool(self.window_state_tables))
        if fire and self.kind == REDUCE and self._wf_kind is None and not clear_all:
            em = self.emitter
            values, timestamps = em.values, em.timestamps
            for k in keys:
                per_key = contents.get(k)
                if per_key is None:
                    continue
                acc = per_key.pop(w, missing) if cleanup else per_key.get(w, missing)
                if acc is missing:
                    continue
                if cleanup and not per_key:
                    del contents[k]
                values.append(acc)
                timestamps.append(max_ts)
            return
        backend = self.backend
        for k in keys:
            per_key = contents.get(k)
            if per_key is None or w not in per_key:
                continue
            if fire:
                backend.current_key = k
                self._fire(k, w)
            if cleanup:
                if clear_all:
                    backend.current_key = k
                    self._clear_all(k, w)
                else:
                    del per_key[w]
                    if not per_key:
                        del contents[k]

    def _process_tumbling_reduce(self, values, timestamps, keys) -> None:
        """The hottest shape (tumbling window + reduce) with everything per-window hoisted
        out of the per-record loop: consecutive records mostly share a window."""
        from runtime.common.windowing import TimeWindow
        size = self.assigner.size
        offset = self.assigner.offset
        windows = self._window_cache
        contents = self.contents
        get_per_key = contents.get
        bucket = self.timers.event.bucket
        wm = self.timers.current_watermark
        lateness = self.allowed_lateness
        reduce = self._reduce
        missing = _MISSING
        last_start = None
        w: Any = None
        max_ts = late = fire_now = 0
        fired: list = []
        fire_keys: Any = None
        cleanup_keys: Any = None
        for k, v, ts in zip(keys, values, timestamps):
            start = ts - (ts - offset + size) % size
            if start != last_start:
                last_start = start
                max_ts = start + size - 1
                w = windows.get(start)
                if w is None:
                    w = windows[start] = TimeWindow(start, start + size)
                late = max_ts + lateness <= wm
                fire_now = max_ts <= wm
                if not late:  # the key lists of this window's timers (appended to below)
                    fire_keys = None if fire_now else bucket(max_ts, w)
                    cleanup_keys = bucket(max_ts + lateness, w) if lateness else None
            if late:
                continue
            per_key = get_per_key(k)
            if per_key is None:
                contents[k] = {w: v}
                acc = missing
            else:
                acc = per_key.get(w, missing)
                per_key[w] = v if acc is missing else reduce(acc, v)
            if acc is missing:
                if fire_keys is not None:
                    fire_keys.append(k)
                if cleanup_keys is not None:
                    cleanup_keys.append(k)
            if fire_now:
                fired.append((k, w))
        for k, w in fired:
            self.backend.current_key = k
            self._fire(k, w)
        if len(windows) > 4096:
            windows.clear()
        self.emitter.flush()

