"""Word count over text files read with the FileSource, in BATCH mode.

    python examples/file_word_count.py                       # counts this repository's README.md
    python examples/file_word_count.py docs/ --output out/   # a directory (read recursively) into part files
    pyflink run examples/file_word_count.py /path/to/texts   # on a running cluster
    python examples/file_word_count.py --streaming           # the same job in STREAMING mode

The input is bounded, so the job runs in BATCH mode: each word's final count is printed once
(in STREAMING mode the rolling reduce prints every intermediate count instead). With
``--output DIR`` the counts are written to part files under DIR by a FileSink.
"""
import argparse
import os
import re

from runtime.common import Types, WatermarkStrategy
from runtime.common.serialization import Encoder
from runtime.datastream import RuntimeExecutionMode, StreamExecutionEnvironment
from runtime.datastream.connectors.file_system import (
    BucketAssigner,
    FileSink,
    FileSource,
    OutputFileConfig,
    StreamFormat,
)

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "README.md")
WORD = re.compile(r"[a-z0-9']+")


def split(line):
    return [(w, 1) for w in WORD.findall(line.lower())]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input", nargs="*", default=[README], help="files or directories (default: README.md)")
    parser.add_argument("--output", help="write the counts into part files under this directory")
    parser.add_argument("--streaming", action="store_true", help="run in STREAMING mode (rolling counts)")
    args, _ = parser.parse_known_args()

    env = StreamExecutionEnvironment.get_execution_environment()
    if not args.streaming:
        env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), *args.input) \
        .process_static_file_set().build()
    counts = (env.from_source(source, WatermarkStrategy.no_watermarks(), "file-source")
              .flat_map(split, output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
              .key_by(lambda wc: wc[0])
              .reduce(lambda a, b: (a[0], a[1] + b[1])))
    if args.output:
        counts.sink_to(FileSink.for_row_format(args.output, Encoder.simple_string_encoder())
                       .with_output_file_config(OutputFileConfig.builder().with_part_suffix(".txt").build())
                       .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
                       .build())
    else:
        counts.print()
    env.execute("file_word_count")


if __name__ == "__main__":
    main()
