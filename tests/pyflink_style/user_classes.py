from dataclasses import dataclass
from runtime.datastream import StreamExecutionEnvironment

@dataclass
class Event:
    user: str
    amount: int

env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(2)
(env.from_collection([("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)])
    .map(lambda t: Event(t[0], t[1]))
    .key_by(lambda e: e.user)
    .reduce(lambda x, y: Event(x.user, x.amount + y.amount))
    .map(lambda e: f"{e.user}={e.amount}")
    .print())
env.execute("classes")
