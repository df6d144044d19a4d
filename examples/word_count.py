"""Word count over a small built-in text (or the file given with --input).

    python examples/word_count.py                 # embedded mini cluster
    pyflink run examples/word_count.py            # on a running cluster
"""
import argparse

from runtime.common import Types
from runtime.datastream import StreamExecutionEnvironment

TEXT = [
    "To be, or not to be, that is the question:",
    "Whether 'tis nobler in the mind to suffer",
    "The slings and arrows of outrageous fortune,",
    "Or to take arms against a sea of troubles,",
    "And by opposing end them. To die: to sleep;",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", help="text file to count (default: a built-in text)")
    args, _ = parser.parse_known_args()
    lines = open(args.input).read().splitlines() if args.input else TEXT

    env = StreamExecutionEnvironment.get_execution_environment()
    (env.from_collection(lines, type_info=Types.STRING())
        .flat_map(lambda line: [(w.strip(".,:;'").lower(), 1) for w in line.split()],
                  output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
        .filter(lambda wc: wc[0] != "")
        .key_by(lambda wc: wc[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
        .print())
    env.execute("word_count")


if __name__ == "__main__":
    main()
