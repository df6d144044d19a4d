"""Unit tests of the task runtime's parts: the mailbox, the watermark valve, the input
processor over a real input gate, the task interrupter, and the message codec refusing
malformed job graphs."""
from __future__ import annotations

import threading
import time

import pytest

from runtime.io.network.elements import DATA, END_OF_PARTITION, IDLE, MAX_WATERMARK, MIN_WATERMARK, WATERMARK
from runtime.io.network.input_gate import InputChannel, InputGate
from runtime.io.network.network_environment import encode_buffer
from runtime.streaming.io.status_watermark_valve import StatusWatermarkValve
from runtime.streaming.io.stream_input_processor import InputStatus, StreamInputProcessor
from runtime.streaming.tasks.mailbox import Mailbox, MailboxClosedError
from runtime.streaming.tasks.task_interrupter import TaskInterrupted, TaskInterrupter


# ------------------------------------------------------------------------------ mailbox
def test_mailbox_runs_actions_in_order_in_the_calling_thread_and_wakes_the_task():
    mailbox = Mailbox()
    woken = []
    mailbox.set_wakeup(lambda: woken.append(1))
    ran: list[tuple[str, str]] = []
    threads = [threading.Thread(target=lambda i=i: mailbox.put(lambda i=i: ran.append((str(i), threading.current_thread().name)), f"m{i}"))
               for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mailbox.has_mail and len(woken) == 5
    assert mailbox.run_all() == 5
    assert sorted(r[0] for r in ran) == ["0", "1", "2", "3", "4"]
    assert {r[1] for r in ran} == {threading.current_thread().name}
    assert not mailbox.has_mail and mailbox.run_all() == 0


def test_mailbox_action_exception_propagates_and_later_mail_stays():
    mailbox = Mailbox()
    ran = []

    def boom():
        raise RuntimeError("cancel")
    mailbox.put(boom, "boom")
    mailbox.put(lambda: ran.append("after"), "after")
    with pytest.raises(RuntimeError, match="cancel"):
        mailbox.run_all()
    assert ran == []
    mailbox.run_all()
    assert ran == ["after"]
    assert mailbox.close() == []
    with pytest.raises(MailboxClosedError):
        mailbox.put(lambda: None, "late")


# ------------------------------------------------------------------------------ valve
class _Recorder:
    def __init__(self) -> None:
        self.watermarks: list[int] = []
        self.idle: list[bool] = []


def _valve(n: int) -> tuple[StatusWatermarkValve, _Recorder]:
    rec = _Recorder()
    return StatusWatermarkValve(n, rec.watermarks.append, rec.idle.append), rec


def test_valve_emits_the_minimum_over_channels_only_when_it_advances():
    valve, rec = _valve(3)
    valve.input_watermark(0, 10)
    valve.input_watermark(1, 5)
    assert rec.watermarks == []            # channel 2 has not said anything yet
    valve.input_watermark(2, 7)
    assert rec.watermarks == [5]
    valve.input_watermark(1, 20)
    assert rec.watermarks == [5, 7]
    valve.input_watermark(2, 6)            # a channel going back does not move time back
    assert rec.watermarks == [5, 7]
    valve.input_watermark(2, 30)
    assert rec.watermarks == [5, 7, 10]


def test_valve_excludes_idle_channels_and_counts_finished_ones_with_max():
    valve, rec = _valve(3)
    valve.input_watermark(0, 100)
    valve.input_watermark(1, 50)
    valve.input_idle(2, True)              # channel 2 idle: the minimum is over 0 and 1
    assert rec.watermarks == [50] and rec.idle == []
    valve.input_idle(1, True)
    assert rec.watermarks == [50, 100]
    valve.input_idle(0, True)              # every channel idle: the task is idle
    assert rec.idle == [True]
    valve.input_watermark(2, 70)           # a watermark ends channel 2's idleness
    assert rec.idle == [True, False]
    valve.channel_finished(0)              # finished counts with MAX, so idle 1 and live 2 decide
    valve.input_watermark(2, 200)
    assert rec.watermarks == [50, 100, 200]
    valve.channel_finished(2)
    # only idle channel 1 is left open: the finished ones count with MAX, so time runs to the end
    assert rec.watermarks == [50, 100, 200, MAX_WATERMARK]


# ------------------------------------------------------------------------------ input processor
class _Head:
    def __init__(self) -> None:
        self.batches: list[tuple[int, list]] = []
        self.watermarks: list[int] = []
        self.idle: list[bool] = []

    def process_batch(self, values, timestamps=None, keys=None):
        self.batches.append((0, list(values)))

    def process_batch2(self, values, timestamps=None, keys=None):
        self.batches.append((1, list(values)))

    def process_watermark(self, wm):
        self.watermarks.append(wm)

    def process_idle(self, idle):
        self.idle.append(idle)


def _gate(inputs: list[int]) -> tuple[InputGate, list[list[int]]]:
    released: list[list[int]] = [[] for _ in inputs]
    channels = []
    for i, input_index in enumerate(inputs):
        ch = InputChannel(i, input_index, f"p{i}", 0)
        ch.release = lambda i=i: released[i].append(1)
        channels.append(ch)
    return InputGate(channels), released


def test_input_processor_routes_data_watermarks_and_end_of_input():
    gate, released = _gate([0, 1])
    head = _Head()
    mailbox = Mailbox()
    flushes = []
    proc = StreamInputProcessor(gate, head, False, 10.0, lambda: flushes.append(1), mailbox)
    q = gate.queue
    q.put((0, (DATA, [1, 2], None, None)))
    q.put((1, encode_buffer((DATA, ["a"], None, None))))   # a remote buffer arrives encoded
    q.put((0, (WATERMARK, 5)))
    q.put((1, (WATERMARK, 3)))
    q.put((1, (IDLE, True)))
    assert proc.process_input() is InputStatus.NOTHING_AVAILABLE
    assert head.batches == [(0, [1, 2]), (1, ["a"])]
    assert head.watermarks == [3, 5]       # min(5, 3), then channel 1 idle: channel 0's 5
    assert [len(r) for r in released] == [2, 3]   # every item gives its credit back
    q.put((0, (END_OF_PARTITION,)))
    assert proc.process_input() is InputStatus.NOTHING_AVAILABLE
    # channel 0 finished (it counts with MAX) and channel 1 is idle: nothing holds time back
    assert head.watermarks == [3, 5, MAX_WATERMARK]
    q.put((1, (END_OF_PARTITION,)))
    assert proc.process_input() is InputStatus.END_OF_INPUT


def test_input_processor_stops_for_mail_and_is_woken_by_it():
    gate, _ = _gate([0])
    head = _Head()
    mailbox = Mailbox()
    proc = StreamInputProcessor(gate, head, False, 10.0, lambda: None, mailbox)
    mailbox.set_wakeup(proc.wakeup)
    for i in range(10):
        gate.queue.put((0, (DATA, [i], None, None)))
    mailbox.put(lambda: None, "first")
    assert proc.process_input() is InputStatus.MORE_AVAILABLE   # one batch, then the mail
    assert len(head.batches) == 1
    mailbox.run_all()
    assert proc.process_input() is InputStatus.MORE_AVAILABLE   # the mail's wake-up token
    assert proc.process_input() is InputStatus.NOTHING_AVAILABLE
    assert len(head.batches) == 10
    # a task waiting for input returns as soon as mail arrives from another thread
    threading.Timer(0.05, lambda: mailbox.put(lambda: None, "late")).start()
    start = time.monotonic()
    proc.await_input(5.0)
    assert time.monotonic() - start < 2.0
    assert proc.process_input() is InputStatus.MORE_AVAILABLE


def test_input_processor_in_batch_mode_ignores_all_but_the_final_watermark():
    gate, _ = _gate([0])
    head = _Head()
    proc = StreamInputProcessor(gate, head, True, 10.0, lambda: None, Mailbox())
    gate.queue.put((0, (WATERMARK, 10)))
    gate.queue.put((0, (WATERMARK, MAX_WATERMARK)))
    proc.process_input()
    assert head.watermarks == [MAX_WATERMARK]
    assert MIN_WATERMARK < 0


# ------------------------------------------------------------------------------ interrupter
def test_interrupter_stops_a_python_loop_but_never_after_it_is_disarmed():
    interrupter = TaskInterrupter()
    armed = threading.Event()
    outcome = []
    cleanup_done = threading.Event()

    def task():
        try:
            interrupter.arm()
            armed.set()
            while True:
                pass
        except TaskInterrupted:
            outcome.append("interrupted")
        interrupter.disarm()
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:  # clean-up that must not be interrupted
            pass
        cleanup_done.set()

    t = threading.Thread(target=task, daemon=True)
    t.start()
    assert armed.wait(5)
    assert interrupter.interrupt()
    t.join(5)
    assert outcome == ["interrupted"] and cleanup_done.is_set()
    assert not interrupter.interrupt()      # not armed (and the thread has ended)


def test_interrupter_reaches_user_threads():
    interrupter = TaskInterrupter()
    started = threading.Event()
    stopped = []

    def user_code():
        started.set()
        try:
            while True:
                time.sleep(0.01)
        except TaskInterrupted:
            stopped.append(True)

    t = threading.Thread(target=user_code, daemon=True)
    interrupter.user_threads.append(t)
    t.start()
    assert started.wait(5)
    assert interrupter.has_live_user_threads()
    interrupter.interrupt()
    t.join(5)
    assert stopped == [True] and not interrupter.has_live_user_threads()
