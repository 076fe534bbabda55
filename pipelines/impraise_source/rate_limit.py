"""A sliding-window rate limiter shared by every request of a run.

Impraise allows 6 requests in any one-second window per token. A token bucket would
allow short bursts above that, so this limiter keeps the send times of the last
`max_requests` requests and makes a caller wait until the oldest of them has left the
window. It is thread-safe: parallel buckets and prefetching threads share one instance.

A request's slot counts from the moment its bytes were written to the socket, not from
the moment it was granted (`sending`): a thread granted a slot can be held up before it
writes (the GIL, taken by another bucket's page conversion; the machine's scheduler), and
at 5.5 million records such holds let 7 requests reach the server within one second
(docs/benchmarks.md, "What limits it"). Counting from the write, a held-up request only
delays those after it. Until its write the slot counts as in the window.

When several callers wait, the one with the lowest priority goes first. The page reader
passes minus its bucket's estimated pages left, so the bucket with most to read gets the
next request and the buckets of a run finish together.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .arrival_jitter import ArrivalJitter


class Slot:
    """One granted request: in the window from its write (or its grant, when that is
    all that is known) until a window later."""

    __slots__ = ("_limiter", "written_at")

    def __init__(self, limiter: SlidingWindowLimiter, written_at: float) -> None:
        self._limiter = limiter
        # math.inf while granted and not yet written: in the window, whatever the time.
        self.written_at = written_at

    def written(self) -> None:
        """Its bytes are on the socket now: the slot counts from here."""
        self._limiter._stamp(self)

    def answered(self) -> None:
        """Its response has begun to arrive: how long that took teaches the margin."""
        if math.isfinite(self.written_at):
            self._limiter.learn_response_time(time.monotonic() - self.written_at)


class SlidingWindowLimiter:
    """Allow at most `max_requests` requests in any window of `window_seconds`.

    `margin_seconds` widens the window on the client side: the server stamps a request
    when it reaches its rate limit, later than it left here and by an amount that varies
    (the network, pauses on the server), so pacing to exactly one second could let seven
    arrivals share one of the server's windows. With `jitter` the margin is at least the
    spread of arrival delays learnt from the response times (arrival_jitter.py), before
    any 429. Each 429 shows the margin fell short, so `widen` adds `MARGIN_STEP` to its
    floor, up to `MAX_MARGIN`.
    """

    MARGIN_STEP = 0.05
    MAX_MARGIN = 0.25

    def __init__(
        self,
        max_requests: float,
        window_seconds: float = 1.0,
        margin_seconds: float = 0.03,
        jitter: ArrivalJitter | None = None,
    ) -> None:
        if max_requests <= 0:
            raise ValueError(f"requests_per_second must be positive, got {max_requests}")
        # A fractional quota (e.g. 2.5/s) is kept exact by scaling the window.
        self._slots_allowed = max(1, int(max_requests))
        self._base_window = window_seconds * self._slots_allowed / max_requests
        self._floor = margin_seconds
        self._jitter = jitter
        self._in_window: list[Slot] = []
        self._paused_until = 0.0
        # Callers waiting for a slot, as (priority, arrival) in a heap.
        self._waiting: list[tuple[float, int]] = []
        self._tickets = itertools.count()
        self._ready = threading.Condition()

    @property
    def margin(self) -> float:
        """The margin in use: the floor, or the learnt arrival jitter when larger."""
        learnt = self._jitter.margin() if self._jitter is not None else 0.0
        return min(self.MAX_MARGIN, max(self._floor, learnt))

    def acquire(self, priority: float = -math.inf) -> Slot:
        """Block until one more request may be sent; it counts as sent now.

        Waiting callers go in `priority` order, lowest first (ties: first come first).
        """
        return self._grant(priority, time.monotonic)

    @contextmanager
    def sending(self, priority: float = -math.inf) -> Iterator[Slot]:
        """A slot for one request that counts from `slot.written()`, or, if that is never
        called (the request failed before it was written), from when the block is left."""
        slot = self._grant(priority, lambda: math.inf)
        try:
            yield slot
        finally:
            if not math.isfinite(slot.written_at):
                self._stamp(slot)

    def learn_response_time(self, seconds: float) -> None:
        if self._jitter is not None:
            self._jitter.observe(seconds)

    def widen(self) -> None:
        """The server saw too many requests in one window: keep them further apart."""
        with self._ready:
            self._floor = min(self.MAX_MARGIN, self._floor + self.MARGIN_STEP)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for `seconds`: the server asked us to (Retry-After)."""
        with self._ready:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _grant(self, priority: float, stamp: Callable[[], float]) -> Slot:
        with self._ready:
            ticket = (priority, next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            while True:
                now = time.monotonic()
                window = self._base_window + self.margin
                self._in_window = [s for s in self._in_window if now - s.written_at < window]
                wait: float | None = self._paused_until - now
                if self._waiting[0] != ticket:
                    wait = None  # the caller ahead is woken first, and wakes the next
                elif wait <= 0 and len(self._in_window) < self._slots_allowed:
                    heapq.heappop(self._waiting)
                    slot = Slot(self, stamp())
                    self._in_window.append(slot)
                    self._ready.notify_all()
                    return slot
                elif wait <= 0:
                    oldest = min(s.written_at for s in self._in_window)
                    # Every slot unwritten: the first write wakes us (see _stamp).
                    wait = window - (now - oldest) if math.isfinite(oldest) else None
                self._ready.wait(wait)

    def _stamp(self, slot: Slot) -> None:
        with self._ready:
            slot.written_at = time.monotonic()
            self._ready.notify_all()
