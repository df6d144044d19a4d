"""Keyed state: every kind of state a KeyedProcessFunction can keep per key.

For each customer: the previous purchase (ValueState), every item bought (ListState), how
often each item was bought (MapState), the total spent (ReducingState) and the average
price (AggregatingState). Each purchase prints what the state says after it.

    python examples/state_access.py
"""
from runtime.common import Types
from runtime.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from runtime.datastream.functions import AggregateFunction
from runtime.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    ValueStateDescriptor,
)

# (customer, item, price)
PURCHASES = [
    ("alice", "book", 12.5), ("bob", "pen", 1.5), ("alice", "lamp", 30.0), ("carol", "book", 12.5),
    ("bob", "book", 11.0), ("alice", "book", 13.0), ("bob", "pen", 1.75), ("carol", "mug", 8.0),
    ("alice", "pen", 2.0), ("carol", "mug", 7.5),
]


class Average(AggregateFunction):
    def create_accumulator(self):
        return 0.0, 0

    def add(self, value, accumulator):
        return accumulator[0] + value, accumulator[1] + 1

    def get_result(self, accumulator):
        return accumulator[0] / accumulator[1]

    def merge(self, a, b):
        return a[0] + b[0], a[1] + b[1]


class CustomerProfile(KeyedProcessFunction):
    def open(self, runtime_context):
        self.last_item = runtime_context.get_state(ValueStateDescriptor("last-item", Types.STRING()))
        self.items = runtime_context.get_list_state(ListStateDescriptor("items", Types.STRING()))
        self.counts = runtime_context.get_map_state(MapStateDescriptor("counts", Types.STRING(), Types.INT()))
        self.spent = runtime_context.get_reducing_state(
            ReducingStateDescriptor("spent", lambda a, b: a + b, Types.DOUBLE()))
        self.average = runtime_context.get_aggregating_state(
            AggregatingStateDescriptor("average", Average(), Types.TUPLE([Types.DOUBLE(), Types.INT()])))

    def process_element(self, value, ctx):
        customer, item, price = value
        previous = self.last_item.value()
        self.last_item.update(item)
        self.items.add(item)
        self.counts.put(item, (self.counts.get(item) or 0) + 1)
        self.spent.add(price)
        self.average.add(price)
        yield (f"{customer}: {item} (previous: {previous or '-'}), items {list(self.items.get())}, "
               f"{item} x{self.counts.get(item)}, spent {self.spent.get():.2f}, avg {self.average.get():.2f}")


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    (env.from_collection(PURCHASES)
        .key_by(lambda purchase: purchase[0])
        .process(CustomerProfile(), output_type=Types.STRING())
        .print())
    env.execute("state_access")


if __name__ == "__main__":
    main()
