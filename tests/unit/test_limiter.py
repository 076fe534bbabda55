"""The run's limiter: its sliding window counted from each write, its shared pause, who
goes first, and the margin it learns."""

from __future__ import annotations

import threading
import time

import pytest
from impraise_source.arrival_jitter import ArrivalJitter
from impraise_source.rate_limit import SlidingWindowLimiter


def acquire_all(limiter: SlidingWindowLimiter, priorities: list[float]) -> list[float]:
    """Start one waiting caller per priority while the window is full; the order in
    which they got their slots."""
    order: list[float] = []
    lock = threading.Lock()

    def caller(priority: float) -> None:
        limiter.acquire(priority)
        with lock:
            order.append(priority)

    threads = [threading.Thread(target=caller, args=(p,)) for p in priorities]
    for thread in threads:
        thread.start()
        time.sleep(0.01)  # each in the queue before the next (arrival order is the tie-break)
    for thread in threads:
        thread.join(timeout=10)
    return order


def test_no_window_ever_holds_more_than_the_quota():
    limiter = SlidingWindowLimiter(4, window_seconds=0.1, margin_seconds=0)
    sent = []
    for _ in range(13):
        limiter.acquire()
        sent.append(time.monotonic())
    for i in range(len(sent) - 4):
        assert sent[i + 4] - sent[i] >= 0.1


def test_waiting_callers_go_lowest_priority_first_ties_in_arrival_order():
    limiter = SlidingWindowLimiter(1, window_seconds=0.2, margin_seconds=0)
    limiter.acquire()  # the window is full: everyone below waits
    assert acquire_all(limiter, [3.0, 1.0, 2.0, 1.0, float("-inf")]) == [
        float("-inf"),
        1.0,
        1.0,
        2.0,
        3.0,
    ]


def test_a_pause_holds_every_caller():
    limiter = SlidingWindowLimiter(100, window_seconds=1, margin_seconds=0)
    limiter.pause(0.3)
    started = time.monotonic()
    acquire_all(limiter, [1.0, 2.0, 3.0])
    assert time.monotonic() - started >= 0.3


def test_a_fractional_quota_scales_the_window():
    limiter = SlidingWindowLimiter(2.5, window_seconds=0.1, margin_seconds=0)
    sent = []
    for _ in range(5):
        limiter.acquire()
        sent.append(time.monotonic())
    # 2 slots in a window of 0.1 * 2 / 2.5 = 0.08 s: 2.5 per 0.1 s on average.
    assert sent[2] - sent[0] >= 0.08 and sent[4] - sent[2] >= 0.08


def test_a_slot_counts_from_when_its_request_was_written_not_from_its_grant():
    """A request held up between its grant and its write (the GIL, the scheduler) must
    not let the next one out a window after the grant: the server sees the write."""
    limiter = SlidingWindowLimiter(1, window_seconds=0.2, margin_seconds=0)
    with limiter.sending() as slot:
        time.sleep(0.15)  # held up after the grant
        slot.written()
        written = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - written >= 0.2


def test_a_granted_slot_fills_the_window_until_it_is_written():
    limiter = SlidingWindowLimiter(1, window_seconds=0.05, margin_seconds=0)
    granted = threading.Event()
    released = []

    def held_sender() -> None:
        with limiter.sending() as slot:
            granted.set()
            time.sleep(0.3)  # far longer than the window
            released.append(time.monotonic())
            slot.written()

    sender = threading.Thread(target=held_sender)
    sender.start()
    granted.wait(5)
    limiter.acquire()
    sender.join(5)
    assert time.monotonic() - released[0] >= 0.05


def test_a_request_that_fails_before_its_write_counts_from_its_failure():
    limiter = SlidingWindowLimiter(1, window_seconds=0.1, margin_seconds=0)
    try:
        with limiter.sending():
            time.sleep(0.1)
            failed = time.monotonic()
            raise ConnectionError("refused before anything was written")
    except ConnectionError:
        pass
    limiter.acquire()
    assert time.monotonic() - failed >= 0.1


def test_the_margin_grows_to_the_learnt_arrival_jitter_and_429s_raise_its_floor():
    jitter = ArrivalJitter()
    limiter = SlidingWindowLimiter(6, margin_seconds=0.03, jitter=jitter)
    # Before enough answers to judge a spread by, the margin is wide.
    assert limiter.margin == pytest.approx(ArrivalJitter.EARLY_MARGIN)
    for i in range(200):
        jitter.observe(0.4 + 0.1 * (i % 101) / 100)  # evenly spread over 100 ms
    assert 0.1 <= limiter.margin <= 0.13
    for _ in range(200):
        jitter.observe(0.4)  # the spread has gone: so has the margin it taught
    assert limiter.margin == pytest.approx(0.03)
    limiter.widen()
    assert limiter.margin == pytest.approx(0.03 + SlidingWindowLimiter.MARGIN_STEP)


def test_a_few_stalls_do_not_widen_the_learnt_margin():
    jitter = ArrivalJitter()
    for i in range(200):
        jitter.observe(5.0 if i % 50 == 0 else 0.4)  # four 'slow' answers in 200
    assert jitter.margin() == pytest.approx(ArrivalJitter.SAFETY)
