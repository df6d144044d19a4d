"""``execute_and_collect``: a sink that ships result batches to the client.

The sink pickles each batch once and publishes it to its JobMaster, which holds it as opaque
bytes until the client's long poll takes it (the JobManager never unpickles it). The client
acknowledges what it consumed so the JobMaster drops it; iterating stops when the job ends
and everything was read. Closing the iterator early cancels a still-running job.
"""
from __future__ import annotations

import pickle
from collections import deque
from collections.abc import Iterator
from typing import Any

from runtime.common.job_client import JobClient, JobExecutionException
from runtime.streaming.operators import StreamOperator


class CollectSinkOperator(StreamOperator):
    def process_batch(self, values, timestamps=None, keys=None):
        from runtime.io.network.network_environment import dumps
        self.ctx.publish("collect", dumps(values))

    def process_watermark(self, watermark: int) -> None:
        pass


class CollectResultIterator(Iterator[Any]):
    def __init__(self, client: JobClient) -> None:
        self.client = client
        self.buffer: deque = deque()
        self.offset = 0
        self.done = False

    def __iter__(self) -> CollectResultIterator:
        return self

    def __next__(self) -> Any:
        while not self.buffer:
            if self.done:
                raise StopIteration
            reply = self.client.poll(self.offset, wait=1.0, ack=self.offset)
            for blob in reply.collected:
                self.buffer.extend(pickle.loads(blob))
            self.offset = reply.collect_offset
            result = reply.result
            if result is not None and not reply.collected:
                self.done = True
                if result.state.name == "FAILED":
                    raise JobExecutionException(str(result.job_id), result.state.name, result.failure)
        return self.buffer.popleft()

    def next(self) -> Any:
        """PyFlink's ``CloseableIterator.next()``: the next record."""
        return self.__next__()

    def close(self) -> None:
        if not self.done:
            try:
                self.client.cancel()
            except Exception:
                pass
            self.done = True

    def __enter__(self) -> CollectResultIterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: PyFlink's name for what ``execute_and_collect()`` returns
CloseableIterator = CollectResultIterator
