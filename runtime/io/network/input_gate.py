"""Consumer side: one InputGate per task merges all of its input channels into one queue.

Each channel stays individually bounded (a local channel by its producer's subpartition
capacity, a remote one by the credits it granted), so a single unbounded SimpleQueue never
holds more than the sum of the channels' capacities. Taking a batch returns its slot to the
channel's producer: a semaphore release for a local channel, a credit for a remote one.
"""
from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class InputChannel:
    index: int
    input_index: int            # which logical input of a two-input operator (0 or 1)
    partition_id: str
    subpartition: int
    release: Callable[[], None] = lambda: None
    finished: bool = False
    watermark: int = -(2**63)
    idle: bool = False


class InputGate:
    def __init__(self, channels: list[InputChannel]) -> None:
        self.channels = channels
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.open_channels = len(channels)
