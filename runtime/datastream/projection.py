"""``DataStream.project``'s operator: Flink's ``StreamProject``, which keeps some fields of a
tuple. It is a Java operator in PyFlink, so its input arrives converted to the declared tuple
type and its output is a tuple of the selected fields.

It lives with the API because it belongs to ``project()`` alone; it runs like every other
operator (a whole batch per call, the selection done by ``operator.itemgetter`` in C).
"""
from __future__ import annotations

import operator
from typing import Any

from runtime.streaming.operators import StreamOperator


class ProjectOperator(StreamOperator):
    def __init__(self, name: str, field_indexes: list[int], output_type: Any) -> None:
        super().__init__(name)
        self.field_indexes = list(field_indexes)
        self.output_type = output_type

    def open(self) -> None:
        indexes = self.field_indexes
        if len(indexes) == 1:
            only = indexes[0]
            self._select = lambda v: (v[only],)
        else:
            self._select = operator.itemgetter(*indexes)
        super().open()

    def process_batch(self, values, timestamps=None, keys=None):
        self.emit(list(map(self._select, values)), timestamps, None)
