"""PyFlink 2.3 API pieces beyond names and signatures: Generic classes subscript as in PyFlink,
getters exist beside setters, and the newer API (project, async I/O, cache, PyFlink's merge
callback, configuration objects) works. Jobs run on the embedded mini cluster in this process."""
from __future__ import annotations

import asyncio
import importlib
import inspect

import pytest

from runtime.common import Configuration, Row, RowKind, Types
from runtime.common.config_options import ConfigOptions
from runtime.common.restart_strategy import RestartStrategies
from runtime.common.time import Duration, Time
from runtime.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
from runtime.datastream import (
    AsyncDataStream,
    AsyncFunction,
    AsyncRetryStrategy,
    KeyedBroadcastProcessFunction,
    ProcessWindowFunction,
    StreamExecutionEnvironment,
    TimerService,
    WindowFunction,
)
from runtime.datastream.state import ListState, MapState, ValueState
from runtime.datastream.window import (
    EventTimeSessionWindows,
    MergingWindowAssigner,
    TimeWindow,
    Trigger,
    TumblingEventTimeWindows,
    WindowAssigner,
)


class Ts(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


def _env() -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    return env


def test_generic_classes_subscript_like_pyflinks():
    class Sum(ProcessWindowFunction[tuple, tuple, str, TimeWindow]):
        def process(self, key, context: ProcessWindowFunction.Context[TimeWindow], elements):
            yield key, sum(e[2] for e in elements), context.window().start

    class Count(WindowFunction[tuple, tuple, str, TimeWindow]):
        def apply(self, key, window, inputs):
            yield key, len(list(inputs))

    for annotated in (ValueState[int], ListState[str], MapState[str, int], Trigger[tuple, TimeWindow],
                      WindowAssigner[tuple, TimeWindow], KeyedBroadcastProcessFunction[str, int, int, int]):
        assert annotated is not None
    env = _env()
    data = [("a", 1, 5), ("a", 2, 7), ("b", 3, 1), ("a", 1500, 100)]
    keyed = (env.from_collection(data)
             .assign_timestamps_and_watermarks(WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(Ts()))
             .key_by(lambda r: r[0]))
    windows = keyed.window(TumblingEventTimeWindows.of(Time.seconds(1)))
    got = sorted(windows.process(Sum()).execute_and_collect())
    assert got == sorted([("a", 12, 0), ("b", 1, 0), ("a", 100, 1000)])
    got = sorted(keyed.window(TumblingEventTimeWindows.of(Time.seconds(1))).apply(Count()).execute_and_collect())
    assert got == sorted([("a", 2), ("b", 1), ("a", 1)])


def test_timer_service_is_pyflinks_interface():
    from runtime.datastream import KeyedProcessFunction

    class Check(KeyedProcessFunction):
        def process_element(self, value, ctx):
            yield value, isinstance(ctx.timer_service(), TimerService)

    env = _env()
    got = list(env.from_collection([1, 2]).key_by(lambda x: x).process(Check()).execute_and_collect())
    assert got == [(1, True), (2, True)]


def test_project_keeps_tuple_fields():
    env = _env()
    ds = env.from_collection([("a", 1, 2.5), ("b", 2, 3.5)],
                             type_info=Types.TUPLE([Types.STRING(), Types.INT(), Types.DOUBLE()]))
    projected = ds.project(2, 0)
    assert projected.get_type() == Types.TUPLE([Types.DOUBLE(), Types.STRING()])
    assert list(projected.execute_and_collect()) == [(2.5, "a"), (3.5, "b")]
    with pytest.raises(TypeError, match="Only Tuple DataStreams can be projected"):
        env.from_collection([1]).project(0)


class Lookup(AsyncFunction):
    async def async_invoke(self, value):
        await asyncio.sleep(0.01 * (5 - value))  # later inputs finish first
        return [value * 10, value * 10 + 1]


def test_async_io_ordered_and_unordered():
    env = _env()
    ordered = AsyncDataStream.ordered_wait(env.from_collection([1, 2, 3, 4]), Lookup(), Time.seconds(5), capacity=4)
    assert list(ordered.execute_and_collect()) == [10, 11, 20, 21, 30, 31, 40, 41]
    unordered = AsyncDataStream.unordered_wait(env.from_collection([1, 2, 3, 4]), Lookup(), Time.seconds(5), 4)
    got = list(unordered.execute_and_collect())
    assert sorted(got) == [10, 11, 20, 21, 30, 31, 40, 41] and got != sorted(got)  # completion order


class Flaky(AsyncFunction):
    def __init__(self):
        self.calls: dict = {}

    async def async_invoke(self, value):
        self.calls[value] = self.calls.get(value, 0) + 1
        if self.calls[value] < 3:
            raise ConnectionError("try again")
        return [f"{value} after {self.calls[value]} calls"]


class Slow(AsyncFunction):
    async def async_invoke(self, value):
        await asyncio.sleep(5)
        return [value]

    def timeout(self, value):
        return [f"timed out: {value}"]


def test_async_io_retry_and_timeout():
    env = _env()
    strategy = AsyncRetryStrategy.fixed_delay(5, 1, None, lambda e: isinstance(e, ConnectionError))
    retried = AsyncDataStream.unordered_wait_with_retry(env.from_collection([7]), Flaky(), Duration.of_seconds(5),
                                                        strategy)
    assert list(retried.execute_and_collect()) == ["7 after 3 calls"]
    timed = AsyncDataStream.ordered_wait(env.from_collection([1]), Slow(), Time.milliseconds(50))
    assert list(timed.execute_and_collect()) == ["timed out: 1"]


def test_session_windows_with_pyflinks_merge_callback():
    """A MergingWindowAssigner written for PyFlink (merge_windows(windows, callback))."""
    class Sessions(MergingWindowAssigner):
        def assign_windows(self, element, timestamp, context):
            return [TimeWindow(timestamp, timestamp + 100)]

        def merge_windows(self, windows, callback):
            TimeWindow.merge_windows(windows, callback)

        def get_default_trigger(self, env):
            return EventTimeSessionWindows.with_gap(Time.milliseconds(100)).get_default_trigger(env)

        def get_window_serializer(self):
            return None

        def is_event_time(self):
            return True

    env = _env()
    data = [("k", 0), ("k", 50), ("k", 500)]
    got = (env.from_collection(data)
           .assign_timestamps_and_watermarks(WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(Ts()))
           .key_by(lambda r: r[0]).window(Sessions())
           .reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())
    assert sorted(got) == [("k", 50), ("k", 500)]


def test_cache_and_types():
    env = _env()
    cached = env.from_collection([1, 2, 3]).map(lambda x: x + 1).cache()
    assert type(cached).__name__ == "CachedDataStream"
    assert sorted(cached.execute_and_collect()) == [2, 3, 4]
    cached.invalidate()
    assert env.from_collection([1]).get_type() == Types.PICKLED_BYTE_ARRAY()


def test_configuration_objects():
    conf = Configuration.from_dict({"a.b": "1", "c": "x"})
    assert conf.key_set() == {"a.b", "c"}
    target: dict = {}
    conf.add_all_to_dict(target)
    assert target == {"a.b": "1", "c": "x"}
    conf.set_bytearray("blob", bytearray(b"\x00\xff"))
    assert conf.get_bytearray("blob", bytearray()) == bytearray(b"\x00\xff")
    assert Configuration.parse_list_value("[a, b, 'c d']") == ["a", "b", "c d"]
    assert Configuration.parse_list_value("a;b") == ["a", "b"]
    option = ConfigOptions.key("my.retries").int_type().default_value(3)
    assert conf.get(option) == 3 and Configuration.from_dict({"my.retries": "7"}).get(option) == 7
    strategy = RestartStrategies.fixed_delay_restart(3, 1000)
    assert strategy.get_restart_attempts() == 3
    assert strategy.to_configuration().to_dict()["restart-strategy.type"] == "fixed-delay"
    row = Row.of_kind(RowKind.DELETE, "a", 1)
    assert row.get_row_kind() is RowKind.DELETE and list(row) == ["a", 1]


def _public_classes():
    for package in ("runtime.datastream", "runtime.common"):
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                yield f"{package}.{name}", obj


#: setters of PyFlink's whose value is write-only by nature, with the reason
_NO_GETTER = {
    "set_runtime_mode": "the mode is resolved per job graph (AUTOMATIC -> BATCH or STREAMING); see get_job_graph",
    "set_stream_time_characteristic": "deprecated no-op kept for old jobs",
    "set_python_requirements": "read back with the job graph's python_dependencies",
    "set_python_executable": "read back with the job graph's python_dependencies",
    "set_alignment_timeout": "an alias of set_aligned_checkpoint_timeout (get_alignment_timeout exists too)",
    "set_field_names": "Row's names are read with get_field_names",
    "set_row_kind": "read with get_row_kind",
}


def test_getters_exist_beside_setters():
    missing = []
    for where, cls in _public_classes():
        names = {n for n, _ in inspect.getmembers(cls)}
        for name in sorted(names):
            if not name.startswith("set_") or name in _NO_GETTER:
                continue
            prop = name[4:]
            if not ({f"get_{prop}", f"is_{prop}", f"has_{prop}"} & names):
                missing.append(f"{where}.{name}")
    assert not missing, f"setters without a getter: {missing}"
