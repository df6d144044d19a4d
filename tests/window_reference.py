"""A plain-Python reference model of Flink's keyed event-time windows, for the window tests.

It is written from Flink's documented semantics (``WindowOperator``, ``MergingWindowSet``,
``EventTimeTrigger``, ``CountTrigger``, ``PurgingTrigger``, ``ContinuousEventTimeTrigger``),
not from this project's implementation, and it only ever sees the test's input script:

* a script is a list of ``("e", key, ts, id)`` records and ``("w", watermark)`` items, in
  the order a single (non-parallel) source emits them; after the last item the watermark
  goes to +inf (end of input);
* an element goes into every window its assigner gives, except windows that are already
  late (``window.end - 1 + allowed_lateness <= watermark``); an element none of whose
  windows accepted it is a late element, and goes to the late side output if
  ``ts + allowed_lateness <= watermark`` (Flink's ``isSkippedElement && isElementLate``);
* triggers fire as Flink's built-in ones; a window's state (contents, trigger state, the
  ProcessWindowFunction's per-window state) is dropped at its cleanup time
  ``end - 1 + allowed_lateness``, after the trigger saw that timer;
* timers fire when the watermark reaches them, in time order, with the watermark already
  advanced (so a ProcessWindowFunction sees the new watermark);
* session windows (``merging=True``) merge when they overlap or touch; merging combines
  contents and trigger state (count: sum; next continuous fire time: min) and the merged
  windows' timers and cleanup go away.

``run`` returns the firings (key, window, element ids, watermark at the firing, n-th firing
of that window, n-th firing of that key, windows of that key cleaned up so far) and the late
elements.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX = 2**63 - 1
MIN = -(2**63)


# ----------------------------------------------------------------------------- assigners
def tumbling(size: int, offset: int = 0) -> Callable[[Any, int, Any], list[tuple[int, int]]]:
    """The one window [start, start + size) with start = offset + k * size <= ts."""
    def assign(key, ts, element):
        start = offset + ((ts - offset) // size) * size
        return [(start, start + size)]
    return assign


def sliding(size: int, slide: int, offset: int = 0) -> Callable[[Any, int, Any], list[tuple[int, int]]]:
    """Every window [s, s + size) with s = offset + k * slide and s <= ts < s + size."""
    def assign(key, ts, element):
        lowest = ts - size + 1                       # smallest start whose window still holds ts
        k = -((offset - lowest) // slide)            # ceil((lowest - offset) / slide)
        first = offset + k * slide
        return [(s, s + size) for s in range(first, ts + 1, slide)]
    return assign


def session(gap: int | None = None, gap_of: Callable[[Any], int] | None = None):
    """A proto-session [ts, ts + gap) per element (merged by the model)."""
    def assign(key, ts, element):
        g = gap if gap_of is None else gap_of(element)
        return [(ts, ts + g)]
    return assign


# ----------------------------------------------------------------------------- model
@dataclass(frozen=True)
class Firing:
    key: Any
    window: tuple[int, int]
    ids: tuple             # element ids in the window's contents at the firing (sorted)
    watermark: int         # the operator's watermark when it fired
    nth: int               # 1 for the first firing of this window, 2 for the next, ...
    key_nth: int           # n-th firing of this key (over all its windows)
    cleared: int           # windows of this key cleaned up before this firing
    late: bool             # a late firing: caused by an element after the watermark passed the window


@dataclass
class Result:
    firings: list[Firing]
    late: list[tuple[Any, int, Any]]   # (key, ts, id) of elements sent to the late side output
    dropped: list[Any]                 # ids of elements no window accepted (late, side output or not)

    def by_key_window(self) -> dict:
        out: dict = defaultdict(list)
        for f in self.firings:
            out[(f.key, f.window)].append(f)
        return dict(out)


class WindowModel:
    """Trigger specs: ``("event",)``, ``("count", n)``, ``("continuous", interval)``, and
    ``("purging", inner_spec)``."""

    def __init__(self, assign, merging: bool = False, lateness: int = 0, trigger: tuple = ("event",)) -> None:
        self.assign = assign
        self.merging = merging
        self.lateness = lateness
        self.trigger = trigger

    # -------------------------------------------------------------- driver
    def run(self, script: list) -> Result:
        self.wm = MIN
        self.active: dict = defaultdict(set)       # key -> live windows
        self.contents: dict = {}                   # (key, window) -> [ids]
        self.tstate: dict = {}                     # (key, window) -> trigger state
        self.timers: dict = defaultdict(set)       # (key, window) -> {times}
        self.nth: dict = defaultdict(int)
        self.key_nth: dict = defaultdict(int)
        self.cleared: dict = defaultdict(int)
        self.firings: list[Firing] = []
        self.late: list = []
        self.dropped: list = []
        for item in script:
            if item[0] == "w":
                if item[1] > self.wm:
                    self._advance(item[1])
            else:
                _, key, ts, eid = item[:4]
                self._element(key, ts, eid, item)
        self._advance(MAX)
        return Result(self.firings, self.late, self.dropped)

    # -------------------------------------------------------------- pieces
    def _cleanup(self, w) -> int:
        return w[1] - 1 + self.lateness

    def _element(self, key, ts, eid, item) -> None:
        accepted = False
        for w in self.assign(key, ts, item):
            if self.merging:
                w = self._merge(key, w)
            if self._cleanup(w) <= self.wm:
                continue                                  # window already late: not created
            accepted = True
            self.active[key].add(w)
            self.contents.setdefault((key, w), []).append(eid)
            fire, purge = self._on_element(self.trigger, key, w, ts)
            if fire:
                self._fire(key, w, late=True if w[1] - 1 <= self.wm else False)
            if purge:
                self.contents.pop((key, w), None)
            self.timers[(key, w)].add(self._cleanup(w))
        if not accepted:
            self.dropped.append(eid)
            if ts + self.lateness <= self.wm:
                self.late.append((key, ts, eid))

    def _merge(self, key, new):
        touching = [w for w in self.active[key] if w[0] <= new[1] and w[1] >= new[0]]
        if not touching:
            return new
        cover = (min([new[0]] + [w[0] for w in touching]), max([new[1]] + [w[1] for w in touching]))
        if touching == [cover]:
            return cover                                  # falls inside one existing session
        merged_ids: list = []
        merged_state = []
        for w in sorted(touching):
            merged_ids += self.contents.pop((key, w), [])
            if (key, w) in self.tstate:
                merged_state.append(self.tstate.pop((key, w)))
            self.timers.pop((key, w), None)
            self.active[key].discard(w)
            self.nth.pop((key, w), None)
        self.active[key].add(cover)
        if merged_ids:
            self.contents[(key, cover)] = merged_ids
        self._on_merge(self.trigger, key, cover, merged_state)
        return cover

    def _on_merge(self, spec, key, w, states) -> None:
        kind = spec[0]
        if kind == "purging":
            return self._on_merge(spec[1], key, w, states)
        if kind == "event":
            if w[1] - 1 > self.wm:
                self.timers[(key, w)].add(w[1] - 1)
        elif kind == "count":
            if states:
                self.tstate[(key, w)] = sum(states)
        elif kind == "continuous":
            if states:
                nxt = min(states)
                self.tstate[(key, w)] = nxt
                self.timers[(key, w)].add(nxt)

    def _on_element(self, spec, key, w, ts) -> tuple[bool, bool]:
        kind = spec[0]
        if kind == "purging":
            fire, _ = self._on_element(spec[1], key, w, ts)
            return fire, fire
        max_ts = w[1] - 1
        if kind == "event":
            if max_ts <= self.wm:
                return True, False
            self.timers[(key, w)].add(max_ts)
            return False, False
        if kind == "count":
            n = self.tstate.get((key, w), 0) + 1
            if n >= spec[1]:
                self.tstate.pop((key, w), None)
                return True, False
            self.tstate[(key, w)] = n
            return False, False
        if kind == "continuous":
            if max_ts <= self.wm:
                return True, False
            self.timers[(key, w)].add(max_ts)
            if (key, w) not in self.tstate:
                interval = spec[1]
                nxt = min(ts - ts % interval + interval, max_ts)
                self.tstate[(key, w)] = nxt
                self.timers[(key, w)].add(nxt)
            return False, False
        raise ValueError(spec)

    def _on_timer(self, spec, key, w, t) -> tuple[bool, bool]:
        kind = spec[0]
        if kind == "purging":
            fire, _ = self._on_timer(spec[1], key, w, t)
            return fire, fire
        max_ts = w[1] - 1
        if kind == "event":
            return t == max_ts, False
        if kind == "count":
            return False, False
        if kind == "continuous":
            if t == max_ts:
                return True, False
            if self.tstate.get((key, w)) == t:
                nxt = min(t + spec[1], max_ts)
                self.tstate[(key, w)] = nxt
                self.timers[(key, w)].add(nxt)
                return True, False
            return False, False
        raise ValueError(spec)

    def _fire(self, key, w, late: bool) -> None:
        ids = self.contents.get((key, w))
        if not ids:
            return
        self.nth[(key, w)] += 1
        self.key_nth[key] += 1
        self.firings.append(Firing(key, w, tuple(sorted(ids)), self.wm, self.nth[(key, w)], self.key_nth[key],
                                   self.cleared[key], late))

    def _advance(self, wm: int) -> None:
        self.wm = wm
        while True:
            due = [(t, key, w) for (key, w), times in self.timers.items() for t in times if t <= wm]
            if not due:
                return
            t, key, w = min(due, key=lambda d: (d[0], repr(d[1]), d[2]))
            self.timers[(key, w)].discard(t)
            if w not in self.active[key]:
                continue
            fire, purge = self._on_timer(self.trigger, key, w, t)
            if fire:
                self._fire(key, w, late=False)
            if purge:
                self.contents.pop((key, w), None)
            if t == self._cleanup(w):
                self.contents.pop((key, w), None)
                self.tstate.pop((key, w), None)
                self.timers.pop((key, w), None)
                self.nth.pop((key, w), None)
                self.active[key].discard(w)
                self.cleared[key] += 1


# ----------------------------------------------------------------------------- scripts
def make_script(seed: int, n: int = 160, keys: str = "abcde", bound: int = 2000, every: int = 4,
                late_share: float = 0.12) -> list:
    """Out-of-order elements with a bounded-out-of-orderness watermark after every few
    elements (max timestamp seen - bound - 1), plus some elements far behind the watermark.
    Timestamps are multiples of 10 ms and distinct; ids are 1..n."""
    import random
    rng = random.Random(seed)
    script: list = []
    base = 0
    max_ts = MIN
    last_wm = MIN
    used: set = set()
    for i in range(1, n + 1):
        base += rng.choice((0, 100, 250, 400, 600))
        if rng.random() < late_share:
            ts = max(0, base - rng.randrange(3000, 16000, 10))
        else:
            ts = max(0, base + rng.randrange(-1800, 600, 10))
        key = rng.choice(keys)
        while ts in used:                 # distinct timestamps (equal ones have their own test)
            ts += 10
        used.add(ts)
        script.append(("e", key, ts, i))
        max_ts = max(max_ts, ts)
        if i % every == 0:
            wm = max_ts - bound - 1
            if wm > last_wm:
                script.append(("w", wm))
                last_wm = wm
    return script


def timestamps(script: list) -> dict:
    return {item[3]: item[2] for item in script if item[0] == "e"}
