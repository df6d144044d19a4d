"""What travels through channels: data batches and in-band events, in order.

A channel item is a tuple whose first field is its kind. Data batches carry three parallel
lists (values, timestamps or None, keys or None): keys are computed once by the producer's
key-group partitioner and reused by the keyed consumer; timestamps exist once event time is
used. Keeping items as plain tuples of lists makes them cheap to pass locally and to pickle.
"""
from __future__ import annotations

DATA = 0
WATERMARK = 1
END_OF_PARTITION = 2
BARRIER = 3
IDLE = 4

#: Flink's Long.MAX_VALUE watermark: sent at end of input so every event-time timer fires.
MAX_WATERMARK = 2**63 - 1
MIN_WATERMARK = -(2**63)

EOP_ITEM = (END_OF_PARTITION,)
