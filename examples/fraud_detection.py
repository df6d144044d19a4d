"""Fraud detection, after Flink's DataStream walkthrough: alert when an account makes a
small transaction (under 1.00) immediately followed by a large one (over 500.00) within one
minute of event time.

A KeyedProcessFunction remembers, per account, when its last transaction was small
(ValueState) and registers an event-time timer one minute later that forgets it.

    python examples/fraud_detection.py
    pyflink run -p 2 examples/fraud_detection.py
"""
from runtime.common import Types, WatermarkStrategy
from runtime.common.watermark_strategy import TimestampAssigner
from runtime.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from runtime.datastream.state import ValueStateDescriptor

SMALL_AMOUNT = 1.00
LARGE_AMOUNT = 500.00
ONE_MINUTE = 60 * 1000

# (account, event time in ms, amount), in time order
TRANSACTIONS = [
    (1, 0, 188.23), (2, 5_000, 0.40), (3, 8_000, 0.25), (2, 20_000, 712.00),      # 2: alert
    (4, 21_000, 0.90), (1, 30_000, 374.79), (3, 90_000, 950.00),                   # 3: too late
    (4, 95_000, 15.00), (4, 96_000, 600.00),                                       # 4: not immediately
    (5, 100_000, 0.10), (1, 110_000, 0.05), (5, 130_000, 501.00),                  # 5: alert
    (1, 150_000, 0.99), (1, 170_000, 880.00), (2, 200_000, 0.50), (2, 261_000, 510.00),  # 1: alert, 2: too late
    (3, 300_000, 0.01), (3, 359_000, 520.00),                                      # 3: alert
]


class TransactionTime(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


class FraudDetector(KeyedProcessFunction):
    def open(self, runtime_context):
        self.small_at = runtime_context.get_state(ValueStateDescriptor("small-at", Types.LONG()))

    def process_element(self, transaction, ctx):
        account, timestamp, amount = transaction
        small_at = self.small_at.value()
        if small_at is not None:
            if amount > LARGE_AMOUNT and timestamp - small_at <= ONE_MINUTE:
                yield f"ALERT account={account} amount={amount:.2f} time={timestamp}"
            ctx.timer_service().delete_event_time_timer(small_at + ONE_MINUTE)
            self.small_at.clear()
        if amount < SMALL_AMOUNT:
            self.small_at.update(timestamp)
            ctx.timer_service().register_event_time_timer(timestamp + ONE_MINUTE)

    def on_timer(self, timestamp, ctx):
        self.small_at.clear()  # a minute passed: the small transaction no longer counts


def main():
    env = StreamExecutionEnvironment.get_execution_environment()
    watermarks = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(TransactionTime())
    (env.from_collection(TRANSACTIONS)
        .assign_timestamps_and_watermarks(watermarks)
        .key_by(lambda transaction: transaction[0])
        .process(FraudDetector(), output_type=Types.STRING())
        .print())
    env.execute("fraud_detection")


if __name__ == "__main__":
    main()
