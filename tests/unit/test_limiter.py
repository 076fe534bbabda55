"""The run's limiter: its sliding window, its shared pause, and who goes first."""

from __future__ import annotations

import threading
import time

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
