"""File connectors (issue 5): FileSource (bounded and continuous) and FileSink, on the
embedded mini cluster in this process.

Expected results are computed by reading the input files (or the input list) in the test.
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import wait_until

from runtime.common import Duration, Types, WatermarkStrategy
from runtime.common.serialization import Encoder, SimpleStringSchema
from runtime.datastream import MapFunction, StreamExecutionEnvironment
from runtime.datastream.connectors import FileSink as FileSinkExport, FileSource as FileSourceExport
from runtime.datastream.connectors.datetime_format import compile_pattern, resolve_zone
from runtime.datastream.connectors.file_system import (
    BucketAssigner,
    FileEnumeratorProvider,
    FileSink,
    FileSource,
    OutputFileConfig,
    RollingPolicy,
    StreamFormat,
)
from runtime.streaming.file_source import list_files, make_splits, read_lines

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def make_env(parallelism: int = 1) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


def file_lines(path: Path) -> list[str]:
    """The records a text line format yields for one file: lines without \\n or \\r\\n."""
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [s[:-1] if s.endswith("\r") else s for s in lines]


def visible_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        out += [Path(dirpath) / f for f in filenames if not f.startswith((".", "_"))]
    return sorted(out, key=str)


def make_tree(root: Path) -> Path:
    """Files in nested directories, plus hidden files and directories that must be skipped."""
    (root / "in" / "sub" / "deeper").mkdir(parents=True)
    (root / "in" / ".hidden_dir").mkdir()
    (root / "in" / "_underscore_dir").mkdir()
    (root / "in" / "a.txt").write_text("to be or not to be\nthat is the question\n")
    (root / "in" / "b.txt").write_bytes(b"crlf line one\r\ncrlf line two\r\nno newline at end")
    (root / "in" / "sub" / "c.txt").write_text("ünïcödé → ✓\n\nafter an empty line\n")
    (root / "in" / "sub" / "deeper" / "d.log").write_text("".join(f"line {i}\n" for i in range(2500)))
    (root / "in" / "sub" / "empty.txt").write_text("")
    (root / "in" / ".hidden.txt").write_text("HIDDEN\n")
    (root / "in" / "_SUCCESS").write_text("HIDDEN\n")
    (root / "in" / ".hidden_dir" / "x.txt").write_text("HIDDEN\n")
    (root / "in" / "_underscore_dir" / "y.txt").write_text("HIDDEN\n")
    return root / "in"


def text_source(*paths, continuous_ms: int | None = None) -> FileSource:
    builder = FileSource.for_record_stream_format(StreamFormat.text_line_format(charset_name="UTF-8"),
                                                  *map(str, paths))
    if continuous_ms is None:
        return builder.process_static_file_set().build()
    return builder.monitor_continuously(Duration.of_millis(continuous_ms)).build()


class TagSubtask(MapFunction):
    def open(self, runtime_context):
        self.index = runtime_context.get_index_of_this_subtask()

    def map(self, value):
        return self.index, value


# ============================================================================ FileSource


def test_static_file_source_parallelism_1_reads_every_line_in_order(tmp_path):
    root = make_tree(tmp_path)
    expected = [line for f in visible_files(root) for line in file_lines(f)]
    assert "HIDDEN" not in expected and len(expected) > 2500
    env = make_env(1)
    ds = env.from_source(text_source(root), WatermarkStrategy.no_watermarks(), "file-source")
    assert ds.get_name() == "Source: file-source"
    got = list(ds.execute_and_collect())
    assert got == expected


def test_static_file_source_parallelism_2_spreads_files_over_subtasks(tmp_path):
    root = make_tree(tmp_path)
    expected = [line for f in visible_files(root) for line in file_lines(f)]
    env = make_env(2)
    got = list(env.from_source(text_source(root), WatermarkStrategy.no_watermarks(), "file-source")
               .map(TagSubtask()).execute_and_collect())
    assert Counter(v for _, v in got) == Counter(expected)
    assert {i for i, _ in got} == {0, 1}, "both subtasks should have read a file"


def test_static_file_source_explicit_files_and_directories(tmp_path):
    root = make_tree(tmp_path)
    a, c_dir = root / "a.txt", root / "sub"
    expected = file_lines(a) + [line for f in visible_files(c_dir) for line in file_lines(f)]
    got = list(make_env(1).from_source(text_source(a, c_dir), WatermarkStrategy.no_watermarks(), "files")
               .execute_and_collect())
    assert Counter(got) == Counter(expected)


def test_large_file_is_split_into_line_aligned_ranges_read_by_several_subtasks(tmp_path):
    path = tmp_path / "big.txt"
    lines = [("x" * (i * 7919 % 53)) + f" record {i}" for i in range(20000)]
    path.write_text("\n".join(lines) + "\n")
    source = text_source(path)
    source.max_split_size = 40_000  # many ranges, boundaries mid-line
    source.min_split_size = 1
    env = make_env(3)
    got = list(env.from_source(source, WatermarkStrategy.no_watermarks(), "big").map(TagSubtask())
               .execute_and_collect())
    assert Counter(v for _, v in got) == Counter(file_lines(path))
    assert {i for i, _ in got} == {0, 1, 2}


@pytest.mark.parametrize("content", [
    b"alpha\nbeta\ngamma\n", b"alpha\nbeta\ngamma", b"\n\n\nx\n\n", b"one\r\ntwo\r\n\r\nthree",
    "äöü\n€uro\n中文字符\nend".encode(), b"single line without newline", b"",
])
def test_every_split_size_reads_each_line_exactly_once(tmp_path, content):
    path = tmp_path / "f.txt"
    path.write_bytes(content)
    expected = file_lines(path)
    files = list_files([str(path)])
    for split_size in range(1, len(content) + 2):
        splits = make_splits(files, 1, "utf-8", max_split=split_size, min_split=split_size)
        got = [line for (p, s, e) in splits for batch in read_lines(p, s, e, "utf-8") for line in batch]
        assert got == expected, (split_size, splits)


def test_non_splittable_enumerator_and_other_charsets(tmp_path):
    (tmp_path / "latin.txt").write_bytes("café\nnaïve\n".encode("latin-1"))
    (tmp_path / "u16.txt").write_bytes("wide\r\nchars\n".encode("utf-16"))
    latin = FileSource.for_record_stream_format(StreamFormat.text_line_format("ISO-8859-1"), str(tmp_path / "latin.txt")) \
        .set_file_enumerator(FileEnumeratorProvider.default_non_splittable_file_enumerator()).build()
    u16 = FileSource.for_record_stream_format(StreamFormat.text_line_format("UTF-16"), str(tmp_path / "u16.txt")).build()
    env = make_env(1)
    assert list(env.from_source(latin, WatermarkStrategy.no_watermarks(), "latin").execute_and_collect()) == ["café", "naïve"]
    assert list(env.from_source(u16, WatermarkStrategy.no_watermarks(), "u16").execute_and_collect()) == ["wide", "chars"]
    with pytest.raises(ValueError):
        StreamFormat.text_line_format("no-such-charset")


def test_compressed_files_are_decompressed(tmp_path):
    import bz2
    import gzip
    gzip.open(tmp_path / "a.txt.gz", "wb").write(b"g1\ng2\n")
    bz2.open(tmp_path / "b.txt.bz2", "wb").write(b"b1\nb2")
    got = list(make_env(1).from_source(text_source(tmp_path), WatermarkStrategy.no_watermarks(), "gz")
               .execute_and_collect())
    assert got == ["g1", "g2", "b1", "b2"]


def test_missing_path_fails_the_job_naming_it(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(Exception) as exc_info:
        list(make_env(1).from_source(text_source(missing), WatermarkStrategy.no_watermarks(), "missing")
             .execute_and_collect())
    assert str(missing) in str(exc_info.value)


def test_source_is_bounded_unless_monitoring(tmp_path):
    assert text_source(tmp_path).bounded is True
    assert text_source(tmp_path, continuous_ms=1000).bounded is False
    assert FileSourceExport is FileSource and FileSinkExport is FileSink


class _Collector:
    """Consumes an execute_and_collect iterator on a thread so the test can poll the results."""

    def __init__(self, iterator) -> None:
        self.it = iterator
        self.items: list = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for v in self.it:
                self.items.append(v)
        except BaseException as exc:  # noqa: BLE001
            self.error = exc

    def close(self) -> None:
        """Cancel the job through a gateway of our own (the iterator's RPC socket belongs to
        the consuming thread); the iterator then ends and the thread exits."""
        from runtime.dispatcher.dispatcher_client import dispatcher_client
        client = self.it.client
        gateway = dispatcher_client(client._gateway.address)
        try:
            gateway.cancel_job(client.get_job_id().to_hex_string())
        finally:
            gateway.close()
        self.thread.join(20)
        assert not self.thread.is_alive()


def test_continuous_source_reads_new_files_once(tmp_path):
    watched = tmp_path / "watched"
    (watched / "sub").mkdir(parents=True)
    first = watched / "first.txt"
    first.write_text("f1\nf2\n")
    env = make_env(2)
    collector = _Collector(env.from_source(text_source(watched, continuous_ms=100), WatermarkStrategy.no_watermarks(),
                                           "monitor").execute_and_collect())
    try:
        wait_until(lambda: Counter(collector.items) == Counter(file_lines(first)), 20, message="first file")
        # a file being written under a hidden name is not read; renamed into place it is
        tmp = watched / "sub" / ".second.txt.tmp"
        tmp.write_text("s1\ns2\ns3\n")
        time.sleep(0.3)
        assert Counter(collector.items) == Counter(file_lines(first))
        second = watched / "sub" / "second.txt"
        tmp.rename(second)
        wait_until(lambda: len(collector.items) == 5, 20, message="second file")
        # appending to a file already read does not make it read again
        with first.open("a") as f:
            f.write("APPENDED\n")
        third = watched / "third.txt"
        third.write_text("t1\n")
        wait_until(lambda: "t1" in collector.items, 20, message="third file")
        time.sleep(0.3)
        expected = file_lines(first)[:2] + file_lines(second) + file_lines(third)
        assert Counter(collector.items) == Counter(expected)
        assert collector.error is None
    finally:
        collector.close()


# ============================================================================ FileSink


def part_files(base: Path) -> list[Path]:
    return sorted((p for p in base.rglob("*") if p.is_file()), key=str)


def counter_of(p: Path, suffix: str = "") -> int:
    stem = p.name[: len(p.name) - len(suffix)] if suffix else p.name
    return int(stem.rsplit("-", 1)[1])


def test_file_sink_layout_names_and_contents(tmp_path):
    base = tmp_path / "out"
    data = [f"record {i} ✓" for i in range(1000)]
    env = make_env(1)
    before = time.strftime("%Y-%m-%d--%H")
    sink = FileSink.for_row_format(str(base), Encoder.simple_string_encoder()) \
        .with_output_file_config(OutputFileConfig.builder().with_part_prefix("pre").with_part_suffix(".txt").build()) \
        .build()
    env.from_collection(data, type_info=Types.STRING()).sink_to(sink)
    env.execute("file sink")
    after = time.strftime("%Y-%m-%d--%H")
    files = part_files(base)
    assert files, "no part file written"
    # default bucket assigner: one directory per hour, local time, "yyyy-MM-dd--HH"
    assert {f.parent.name for f in files} <= {before, after}
    assert all(f.parent.parent == base for f in files)
    for f in files:
        assert re.fullmatch(rf"pre-{UUID}-\d+\.txt", f.name), f.name
    assert not [p for p in base.rglob("*") if p.name.startswith(".") or "inprogress" in p.name]
    ordered = sorted(files, key=lambda p: (p.parent.name, counter_of(p, ".txt")))
    assert "".join(f.read_text("utf-8") for f in ordered) == "".join(d + "\n" for d in data)


def test_file_sink_rolls_by_part_size(tmp_path):
    base = tmp_path / "out"
    data = [f"{i:05d}-" + "y" * (i % 17) for i in range(3000)]
    part_size = 4096
    env = make_env(1)
    env.from_collection(data, type_info=Types.STRING()).sink_to(
        FileSink.for_row_format(str(base), Encoder.simple_string_encoder())
        .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
        .with_rolling_policy(RollingPolicy.default_rolling_policy(part_size=part_size))
        .build())
    env.execute()
    files = sorted(part_files(base), key=counter_of)
    assert all(f.parent == base and re.fullmatch(rf"part-{UUID}-\d+", f.name) for f in files)
    assert [counter_of(f) for f in files] == list(range(len(files)))
    total = sum(len(d) + 1 for d in data)
    assert len(files) >= total // (part_size + 30)
    contents = [f.read_text() for f in files]
    assert "".join(contents) == "".join(d + "\n" for d in data)
    for text in contents[:-1]:  # a file rolls at the first record that takes it past part_size
        last = len(text.splitlines()[-1]) + 1
        assert len(text.encode()) - last <= part_size < len(text.encode())


def test_file_sink_parallel_writers_and_tuple_records(tmp_path):
    base = tmp_path / "out"
    data = [(f"k{i % 7}", i) for i in range(500)]
    env = make_env(2)
    env.from_collection(data, type_info=Types.TUPLE([Types.STRING(), Types.INT()])).rebalance().sink_to(
        FileSink.for_row_format(str(base), Encoder.simple_string_encoder())
        .with_bucket_assigner(BucketAssigner.date_time_bucket_assigner("'day='yyyyMMdd", "UTC"))
        .build())
    env.execute()
    files = part_files(base)
    bucket = time.strftime("day=%Y%m%d", time.gmtime())
    assert {f.parent.name for f in files} <= {bucket, time.strftime("day=%Y%m%d", time.gmtime(time.time() - 60))}
    writers = {re.fullmatch(rf"part-({UUID})-\d+", f.name).group(1) for f in files}
    assert len(writers) == 2, "each of the two subtasks writes its own part files"
    lines = [line for f in files for line in f.read_text().splitlines()]
    assert Counter(lines) == Counter(f"({k},{v})" for k, v in data)  # Java Tuple2.toString


@pytest.mark.parametrize("chained", [True, False])
def test_file_sink_rolls_on_inactivity_while_job_runs(tmp_path, chained):
    """Chained: the source's idle emit_batch([]) ticks the sink; not chained: the sink's task
    wakes itself at the sink's next_deadline()."""
    watched, base = tmp_path / "in", tmp_path / "out"
    watched.mkdir()
    (watched / "a.txt").write_text("a1\na2\n")
    env = make_env(1)
    ds = env.from_source(text_source(watched, continuous_ms=50), WatermarkStrategy.no_watermarks(), "in")
    if not chained:
        ds = ds.rebalance()
    ds.sink_to(
        FileSink.for_row_format(str(base), Encoder.simple_string_encoder())
        .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
        .with_rolling_policy(RollingPolicy.default_rolling_policy(rollover_interval=60_000, inactivity_interval=200))
        .build())
    client = env.execute_async("inactivity")
    try:
        finished = lambda: [p for p in part_files(base) if not p.name.startswith(".")]  # noqa: E731
        wait_until(lambda: len(finished()) == 1, 20, message="file rolled by inactivity")
        assert finished()[0].read_text() == "a1\na2\n"
        (watched / "b.txt").write_text("b1\n")
        wait_until(lambda: len(finished()) == 2, 20, message="second file rolled by inactivity")
        assert sorted(p.read_text() for p in finished()) == ["a1\na2\n", "b1\n"]
    finally:
        client.cancel()
        client.wait()


def test_cancelled_job_leaves_in_progress_file_and_no_finished_file(tmp_path):
    watched, base = tmp_path / "in", tmp_path / "out"
    watched.mkdir()
    (watched / "a.txt").write_text("a1\n")
    env = make_env(1)
    env.from_source(text_source(watched, continuous_ms=50), WatermarkStrategy.no_watermarks(), "in").sink_to(
        FileSink.for_row_format(str(base), Encoder.simple_string_encoder())
        .with_rolling_policy(RollingPolicy.on_checkpoint_rolling_policy())
        .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build())
    client = env.execute_async("cancelled")
    wait_until(lambda: part_files(base), 20, message="in-progress file")
    client.cancel()
    assert client.wait().state.name == "CANCELED"
    files = part_files(base)
    assert len(files) == 1 and re.fullmatch(rf"\.part-{UUID}-0\.inprogress\.{UUID}", files[0].name)


class ByFirstLetter(BucketAssigner):
    def get_bucket_id(self, element, context):
        assert context.current_processing_time() > 0
        return f"letter={element[0]}"


def test_file_sink_custom_bucket_assigner_per_record(tmp_path):
    base = tmp_path / "out"
    data = [w for w in "apple avocado banana blueberry cherry apricot".split()] * 3
    env = make_env(1)
    env.from_collection(data, type_info=Types.STRING()).sink_to(
        FileSink.for_row_format(str(base), Encoder.simple_string_encoder()).with_bucket_assigner(ByFirstLetter()).build())
    env.execute()
    got = {f.parent.name: f.read_text().splitlines() for f in part_files(base)}
    assert got == {f"letter={c}": [w for w in data if w[0] == c] for c in "abc"}


def test_sink_to_rejects_non_sinks():
    env = make_env(1)
    with pytest.raises(TypeError):
        env.from_collection([1]).sink_to(object())
    with pytest.raises(TypeError):
        FileSink.for_row_format("/tmp/x", "not an encoder")
    with pytest.raises(ValueError):
        RollingPolicy.default_rolling_policy(part_size=0)


# ============================================================================ helpers


def test_java_date_time_patterns():
    import datetime as dt
    t = dt.datetime(2024, 3, 7, 5, 4, 9, 123456, tzinfo=dt.timezone.utc)
    assert compile_pattern("yyyy-MM-dd--HH")(t) == "2024-03-07--05"
    assert compile_pattern("yy/M/d H:mm:ss.SSS")(t) == "24/3/7 5:04:09.123"
    assert compile_pattern("'year='yyyy'/month='MM/EEE MMM, hh a, DDD, '''q'''")(t) == \
        "year=2024/month=03/Thu Mar, 05 AM, 067, 'q'"
    assert compile_pattern("yyyyMMddHHmmZ")(t) == "202403070504+0000"
    with pytest.raises(ValueError):
        compile_pattern("yyyy-ww")
    berlin = resolve_zone("Europe/Berlin")
    assert compile_pattern("HH")(t.astimezone(berlin)) == "06"
    assert compile_pattern("HH:mm")(t.astimezone(resolve_zone("GMT-08:00"))) == "21:04"
    assert BucketAssigner.date_time_bucket_assigner("yyyy-MM-dd--HH", "UTC").get_batch_bucket_id(
        int(t.timestamp() * 1000)) == "2024-03-07--05"


def test_encoder_and_simple_string_schema():
    enc = Encoder.simple_string_encoder()
    assert enc.encode("ab") == b"ab\n"
    assert Encoder.simple_string_encoder("ISO-8859-1").encode("é") == b"\xe9\n"
    schema = SimpleStringSchema()
    assert schema.deserialize(schema.serialize("✓ ok")) == "✓ ok"
