"""The run's limiter: its sliding window and its shared pause."""

from __future__ import annotations

import threading
import time

from impraise_source.rate_limit import SlidingWindowLimiter


def acquire_in_threads(limiter: SlidingWindowLimiter, callers: int) -> None:
    """`callers` threads each acquiring once; returns when all have."""
    threads = [threading.Thread(target=limiter.acquire) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)


def test_no_window_ever_holds_more_than_the_quota():
    limiter = SlidingWindowLimiter(4, window_seconds=0.1, margin_seconds=0)
    sent = []
    for _ in range(13):
        limiter.acquire()
        sent.append(time.monotonic())
    for i in range(len(sent) - 4):
        assert sent[i + 4] - sent[i] >= 0.1


def test_a_pause_holds_every_caller():
    limiter = SlidingWindowLimiter(100, window_seconds=1, margin_seconds=0)
    limiter.pause(0.3)
    started = time.monotonic()
    acquire_in_threads(limiter, 3)
    assert time.monotonic() - started >= 0.3


def test_a_fractional_quota_scales_the_window():
    limiter = SlidingWindowLimiter(2.5, window_seconds=0.1, margin_seconds=0)
    sent = []
    for _ in range(5):
        limiter.acquire()
        sent.append(time.monotonic())
    # 2 slots in a window of 0.1 * 2 / 2.5 = 0.08 s: 2.5 per 0.1 s on average.
    assert sent[2] - sent[0] >= 0.08 and sent[4] - sent[2] >= 0.08
