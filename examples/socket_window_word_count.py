"""SocketWindowWordCount, the job the seed documents walk through.

Counts words arriving on a TCP socket in 5-second processing-time windows.

Start a local text server first (in another terminal), then the job:

    nc -lk 9000                                  # or: python -m examples.text_server 9000
    python examples/socket_window_word_count.py --port 9000          # embedded
    pyflink run examples/socket_window_word_count.py --port 9000     # on a cluster

Type lines into the server's terminal; every 5 s the job prints `WordWithCount(word, n)`
for the words of that window. The job ends when the server closes the connection.
"""
import argparse
from dataclasses import dataclass

from runtime.common import Time
from runtime.datastream import StreamExecutionEnvironment
from runtime.datastream.window import TumblingProcessingTimeWindows


@dataclass
class WordWithCount:
    word: str
    count: int

    def __str__(self):
        return f"{self.word} : {self.count}"


def split(line):
    for word in line.split():
        yield WordWithCount(word, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hostname", default="localhost")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--window-seconds", type=int, default=5)
    args, _ = parser.parse_known_args()

    env = StreamExecutionEnvironment.get_execution_environment()
    text = env.socket_text_stream(args.hostname, args.port, "\n")
    (text.flat_map(split)
         .key_by(lambda wc: wc.word)
         .window(TumblingProcessingTimeWindows.of(Time.seconds(args.window_seconds)))
         .reduce(lambda a, b: WordWithCount(a.word, a.count + b.count))
         .print().set_parallelism(1))
    env.execute("Socket Window WordCount")


if __name__ == "__main__":
    main()
