"""Where a keyed shuffle's per-record cost goes: routing, encoding, decoding, hand-offs.

    python benchmarks/shuffle_cost.py [--records 1000000] [--parallelism 2] [--repeats 5]

The throughput benchmark's keyed records (``(x % 1000, 1)``, key ``t[0]``) go through the
engine's own shuffle code, one stage at a time, in this process, timed in CPU time
(``time.process_time``, all threads) so that other load on a shared machine moves the
figures less than wall time would. Each figure is the minimum of ``--repeats`` runs (other
load only ever adds to a stage's cost), with the median beside it, in nanoseconds per
record of the whole stream (so the stages add up):

* key selection: ``RecordWriter.emit`` with one consumer (the key selector runs, the keys
  travel with the batch; no routing) -- what p=1 pays too;
* routing: ``RecordWriter.emit`` with P consumers minus the above (key -> channel, split
  into per-channel batches);
* encoding / decoding: ``encode_buffer`` / ``decode_buffer`` of the batches bound for the
  other P - 1 consumers (the share a TaskManager sends away);
* hand-offs: those batches through a real subpartition (which encodes them), two
  NetworkEnvironments over TCP on loopback (network threads, credits, wake-ups, the
  consumer's input-gate queue and credit returns) to a consumer thread that decodes them:
  the CPU of the whole process minus the encoding and decoding measured alone, and the
  wall time the whole path took.

Prints figures only; never asserts. ``PYTHONPATH`` picks the code measured (e.g. an older
checkout, for a before/after comparison).
"""
from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_line  # noqa: E402

from runtime.io.network.elements import END_OF_PARTITION  # noqa: E402
from runtime.io.network.input_gate import InputChannel, InputGate  # noqa: E402
from runtime.io.network.network_environment import NetworkEnvironment, decode_buffer, encode_buffer  # noqa: E402
from runtime.io.network.partition import ResultPartition  # noqa: E402
from runtime.io.network.record_writer import RecordWriter  # noqa: E402
from runtime.streaming.tasks import stream_task  # noqa: E402

#: records per batch (``execution.batch-size``; ``--batch``)
BATCH = 1000
MAX_PARALLELISM = 128


class _Partitioner:
    """The key_by partitioner as the RecordWriter reads it."""

    kind = "HASH"
    max_parallelism = MAX_PARALLELISM
    target_name = "reduce"

    @staticmethod
    def key_fn(t: tuple) -> int:
        return t[0]


class _Collect:
    """A subpartition that keeps what it is given (no queue, no thread)."""

    def __init__(self) -> None:
        self.items: list[tuple] = []

    def add(self, item: tuple, is_cancelled: Callable[[], bool]) -> None:
        self.items.append(item)


#: distinct batches the stream cycles through: in a job the batch being routed and encoded
#: was just made by the operator before (it is in the CPU's cache); a stream of 1 M distinct
#: records made up front would not be, and would make every stage look several times dearer
POOL = 16


def batches(records: int, batch: int) -> list[list[tuple]]:
    pool = [[(x % 1000, 1) for x in range(i * batch + 1, (i + 1) * batch + 1)] for i in range(POOL)]
    return [pool[i % POOL] for i in range(records // batch)]


def cpu(fn: Callable[[], object], repeats: int, records: int) -> list[float]:
    """ns of CPU per record of ``fn()``, once per repeat."""
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append((time.process_time() - t0) / records * 1e9)
    return out


def decode_all(encoded: list[bytes]) -> None:
    """Decode each buffer and drop it, as a consumer does once it processed the batch."""
    for b in encoded:
        decode_buffer(b)


def route(data: list[list[tuple]], n: int, batch: int) -> list[_Collect]:
    sinks = [_Collect() for _ in range(n)]
    writer = RecordWriter(_Partitioner(), sinks, batch, lambda: False)  # type: ignore[arg-type]
    for b in data:
        writer.emit(b, None, None)
    writer.flush()
    return sinks


def hand_offs(items: list[tuple], records: int, credits: int) -> tuple[float, float]:
    """(CPU ns/record, wall ns/record) of moving ``items`` from a producer thread through the
    network stack to a consumer thread that takes, releases and decodes each buffer."""
    producer = NetworkEnvironment("bench-producer", port=0)
    consumer = NetworkEnvironment("bench-consumer", port=0)
    address = producer.start()
    consumer.start()
    try:
        pid = f"{os.urandom(16).hex()}:{os.urandom(16).hex()}:0"
        partition = ResultPartition(pid, 1, credits)
        producer.register_partition(partition)
        sp = partition.subpartitions[0]
        gate = InputGate([InputChannel(0, 0, pid, 0)])
        params = inspect.signature(stream_task._CreditReturner).parameters  # noqa: SLF001 - the engine's own
        group = credits if "credits" in params else max(1, credits // 4)   # older checkouts: the group size
        release = stream_task._CreditReturner(consumer, address, b"bench:0", group)  # noqa: SLF001
        consumer.request_remote(address, b"bench:0", pid, 0, credits, gate, 0)
        got = threading.Event()

        def consume() -> None:
            n = 0
            get = gate.queue.get
            while True:
                _, buf = get()
                release()
                decode_buffer(buf)
                n += 1
                if n == len(items) + 1:  # the buffers and the end of partition
                    got.set()
                    return

        t = threading.Thread(target=consume, daemon=True)
        c0, w0 = time.process_time(), time.perf_counter()
        t.start()
        for item in items:
            sp.add(item, lambda: False)
        sp.add((END_OF_PARTITION,), lambda: False)
        got.wait(120)
        return ((time.process_time() - c0) / records * 1e9, (time.perf_counter() - w0) / records * 1e9)
    finally:
        producer.stop()
        consumer.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--parallelism", type=int, default=2, help="consumers the keyed stream is split over")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--credits", type=int, default=16, help="buffers in flight per channel (the default)")
    ap.add_argument("--batch", type=int, default=BATCH, help="records per batch (execution.batch-size)")
    a = ap.parse_args()
    n, records = a.parallelism, a.records
    data = batches(records, a.batch)
    print("# keyed shuffle: CPU ns per record by stage (minimum and median over repeats)")
    print(f"machine: {machine_line()}")
    print(f"code: {Path(sys.modules['runtime'].__file__ or '').parent}; {records:,} records, batches of {a.batch}, "
          f"{n} consumers, {a.repeats} repeats")
    one = cpu(lambda: route(data, 1, a.batch), a.repeats, records)
    many = cpu(lambda: route(data, n, a.batch), a.repeats, records)
    sinks = route(data, n, a.batch)
    remote = [item for s in sinks[1:] for item in s.items]  # what one producer sends away
    encoded = [encode_buffer(item) for item in remote]
    enc = cpu(lambda: [encode_buffer(item) for item in remote], a.repeats, records)
    dec = cpu(lambda: decode_all(encoded), a.repeats, records)
    hand = [hand_offs(remote, records, a.credits) for _ in range(a.repeats)]
    codec = min(enc) + min(dec)
    rows = [
        ("key selection (p=1 pays it too)", one),
        ("routing (key -> channel, split)", [m - min(one) for m in many]),
        (f"encoding ({n - 1}/{n} of the records)", enc),
        (f"decoding ({n - 1}/{n} of the records)", dec),
        ("hand-offs, CPU (threads, network, credits)", [h[0] - codec for h in hand]),
    ]
    total = 0.0
    print(f"  {'stage':44} {'min':>7}    {'median':>7}")
    for label, xs in rows:
        if label.startswith(("routing", "encoding", "decoding", "hand-offs")):
            total += min(xs)
        print(f"  {label:44} {min(xs):7.1f} ns {statistics.median(xs):7.1f} ns")
    print(f"  {'shuffle total (routing + codec + hand-offs)':44} {total:7.1f} ns")
    walls = [h[1] for h in hand]
    print(f"  {'whole path producer -> consumer, wall time':44} {min(walls):7.1f} ns {statistics.median(walls):7.1f} ns"
          f"   {len(remote)} buffers of ~{records * (n - 1) // n // max(1, len(remote))}"
          f" records sent")


if __name__ == "__main__":
    main()
