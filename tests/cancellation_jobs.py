"""Jobs that are hard to cancel, for tests/test_cancellation.py and benchmarks/cancellation.py
(no pytest here: the benchmark imports it too)."""

SLEEPING_MAP = '''\
import time
from runtime.datastream import StreamExecutionEnvironment

def slow(x):
    time.sleep(1)
    return x

env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection(list(range(100000))).map(slow).print()
env.execute("sleeping-map")
'''

SPINNING_MAP = '''\
from runtime.datastream import StreamExecutionEnvironment

def spin(x):
    while True:
        try:
            while True:
                pass
        except Exception:   # a user function that swallows what it can
            pass

env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection(list(range(10))).map(spin).print()
env.execute("spinning-map")
'''

# one C call that never returns to the interpreter: nothing in its TaskManager runs meanwhile
C_CALL_MAP = '''\
from runtime.datastream import StreamExecutionEnvironment

def forever(x):
    return sum(range(10 ** 15))

env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection(list(range(10))).map(forever).print()
env.execute("c-call-map")
'''

STUBBORN_SOURCE = '''\
from runtime.datastream import SourceFunction, StreamExecutionEnvironment

class Stubborn(SourceFunction):
    def run(self, ctx):
        i = 0
        while True:
            ctx.collect(("x" * 100, i))
            i += 1

    def cancel(self):
        pass  # ignores it

env = StreamExecutionEnvironment.get_execution_environment()
env.add_source(Stubborn()).filter(lambda v: v[1] < 0).print()
env.execute("stubborn-source")
'''
