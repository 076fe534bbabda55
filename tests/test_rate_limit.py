"""The shared limiter: the window it keeps, and how a 429 widens it."""

from __future__ import annotations

import itertools
import time

from impraise_source.rate_limit import SlidingWindowLimiter


def test_no_window_holds_more_than_the_quota():
    limiter = SlidingWindowLimiter(3, window_seconds=0.2, margin_seconds=0.0)
    sent = []
    for _ in range(7):
        limiter.acquire()
        sent.append(time.monotonic())
    # Waits can only be longer than asked, so lower bounds are safe on a busy machine.
    assert all(later - earlier >= 0.2 for earlier, later in zip(sent, sent[3:], strict=False))


def test_a_429_widens_the_margin_up_to_its_cap():
    limiter = SlidingWindowLimiter(6)
    margins = [limiter.margin]
    for _ in range(10):
        limiter.widen()
        margins.append(limiter.margin)
    steps = [round(b - a, 9) for a, b in itertools.pairwise(margins)]
    assert steps[0] == SlidingWindowLimiter.MARGIN_STEP
    assert margins == sorted(margins)
    assert margins[-1] == SlidingWindowLimiter.MAX_MARGIN


def test_a_widened_margin_spaces_requests_further():
    limiter = SlidingWindowLimiter(2, window_seconds=0.1, margin_seconds=0.0)
    limiter.widen()
    sent = []
    for _ in range(3):
        limiter.acquire()
        sent.append(time.monotonic())
    assert sent[2] - sent[0] >= 0.1 + SlidingWindowLimiter.MARGIN_STEP
