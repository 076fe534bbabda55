"""A sliding-window rate limiter shared by every request of a run.

Impraise allows 6 requests in any one-second window per token. A token bucket would
allow short bursts above that, so this limiter keeps the send times of the last
`max_requests` requests and makes a caller wait until the oldest of them has left the
window. It is thread-safe: parallel buckets and prefetching threads share one instance.

When several callers wait, the one with the lowest priority goes first. The page reader
passes minus its bucket's estimated pages left, so the bucket with most to read gets the
next request and the buckets of a run finish together: a bucket left alone at the end
reads slower than the limit, since only a page or two of it may be in flight at once.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """Allow at most `max_requests` acquisitions in any window of `window_seconds`.

    `margin_seconds` widens the window on the client side: the server stamps a request
    when it arrives, later than the limiter let it go and with some jitter (thread
    scheduling here, the network, pauses on the server), so pacing to exactly one second
    could let seven arrivals share one of the server's windows. Each 429 shows the jitter
    exceeded the margin, so `widen` adds `MARGIN_STEP` to it, up to `MAX_MARGIN`.
    """

    MARGIN_STEP = 0.05
    MAX_MARGIN = 0.25

    def __init__(
        self, max_requests: float, window_seconds: float = 1.0, margin_seconds: float = 0.04
    ) -> None:
        if max_requests <= 0:
            raise ValueError(f"requests_per_second must be positive, got {max_requests}")
        # A fractional quota (e.g. 2.5/s) is kept exact by scaling the window.
        self._slots = max(1, int(max_requests))
        self._base_window = window_seconds * self._slots / max_requests
        self.margin = margin_seconds
        self._window = self._base_window + margin_seconds
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        # Callers waiting for a slot, as (priority, arrival) in a heap.
        self._waiting: list[tuple[float, int]] = []
        self._tickets = itertools.count()
        self._ready = threading.Condition()

    def acquire(self, priority: float = -math.inf) -> None:
        """Block until one more request may be sent, then record it as sent.

        Waiting callers go in `priority` order, lowest first (ties: first come first).
        """
        with self._ready:
            ticket = (priority, next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self._window:
                    self._sent.popleft()
                wait: float | None = self._paused_until - now
                if self._waiting[0] != ticket:
                    wait = None  # the caller ahead is woken first, and wakes the next
                elif wait <= 0 and len(self._sent) < self._slots:
                    heapq.heappop(self._waiting)
                    self._sent.append(now)
                    self._ready.notify_all()
                    return
                elif wait <= 0:
                    wait = self._window - (now - self._sent[0])
                self._ready.wait(wait)

    def widen(self) -> None:
        """The server saw too many requests in one window: keep them further apart."""
        with self._ready:
            self.margin = min(self.MAX_MARGIN, self.margin + self.MARGIN_STEP)
            self._window = self._base_window + self.margin

    def pause(self, seconds: float) -> None:
        """Hold every caller back for `seconds`: the server asked us to (Retry-After)."""
        with self._ready:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
