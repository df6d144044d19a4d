"""OutputRelay: what a job prints, held by its JobMaster and streamed to attached clients."""
from runtime.jobmaster.output_relay import OutputRelay


def read_all(relay: OutputRelay, offset: int = 0) -> tuple[str, int, int]:
    text, polls = "", 0
    while True:
        part, offset = relay.read(offset)
        polls += 1
        text += part
        if not relay.has_more(offset):
            return text, offset, polls


def test_a_burst_is_streamed_in_pieces_without_loss():
    relay = OutputRelay(retention=10_000, max_chunk=100)
    lines = [f"line {i}\n" for i in range(500)]
    for line in lines:
        relay.append(line)
    # retention keeps the newest ~10,000 characters; a reader from the base gets them all
    text, offset, polls = read_all(relay, relay.base)
    assert text == "".join(lines)[relay.base:]
    assert offset == relay.end and polls > 1


def test_reader_keeps_up_across_appends():
    relay = OutputRelay(retention=1_000_000, max_chunk=64)
    got, offset = "", 0
    expected = ""
    for i in range(300):
        chunk = f"{i},"
        relay.append(chunk)
        expected += chunk
        if i % 7 == 0:
            part, offset = relay.read(offset)
            got += part
    part, offset = read_all(relay, offset)[:2]
    assert got + part == expected


def test_a_reader_that_fell_behind_is_told_how_much_it_missed():
    relay = OutputRelay(retention=50, max_chunk=1000)
    for i in range(20):
        relay.append("0123456789")
    text, _ = relay.read(0)
    missed = relay.base
    assert text.startswith(f"[... {missed} characters of output dropped ...]\n")
    assert text.endswith("0123456789" * ((relay.end - missed) // 10))
