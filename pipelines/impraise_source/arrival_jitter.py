"""How late the server may stamp a request, learnt from how its response times spread.

The server judges its rate limit by when each request reaches it. The client knows
only when it wrote a request and when the answer began to come back; between the two
lie the way there (the network, the server's queue), the server's work and the way
back. If the way there takes longer for one request than for the one six later, seven
can land in one of the server's seconds though they left a second apart: the limiter's
margin must cover how much the way there varies. That variation is part of how much the
whole response time varies, so the spread of recent response times, without their
extremes, is the margin that keeps the window at the server, learnt before any 429.

It errs wide: the server's work and the way back spread too, so an API whose pages
take varying time to compute is paced a little slower than needed, never faster.
"""

from __future__ import annotations

import threading
from collections import deque


class ArrivalJitter:
    """The spread of the last `SAMPLES` response times, as a margin in seconds."""

    SAMPLES = 200
    # Until this many answers have come, too few to judge a spread by: a wide margin.
    MIN_SAMPLES = 6
    EARLY_MARGIN = 0.15
    # The share of samples left out at each end: a stall or a retry is not jitter.
    TRIM = 0.025
    # Added to the estimate: the spread of a few hundred samples is itself uncertain.
    SAFETY = 0.02

    def __init__(self) -> None:
        self._samples: deque[float] = deque(maxlen=self.SAMPLES)
        self._margin = self.EARLY_MARGIN
        self._lock = threading.Lock()

    def observe(self, response_seconds: float) -> None:
        """One response time: from the request's write to its answer's first bytes."""
        with self._lock:
            self._samples.append(response_seconds)
            if len(self._samples) >= self.MIN_SAMPLES:
                self._margin = spread(sorted(self._samples), self.TRIM) + self.SAFETY

    def margin(self) -> float:
        with self._lock:
            return self._margin


def spread(ordered: list[float], trim: float) -> float:
    """The range of `ordered` without a `trim` share at each end, scaled to estimate the
    range of the whole distribution: k of n samples left out at each end of a uniform
    spread of width w leave (n - 1 - 2k) / (n + 1) of w on average."""
    n = len(ordered)
    k = int(trim * n)
    kept = n - 1 - 2 * k
    if kept <= 0:
        return 0.0
    return (ordered[n - 1 - k] - ordered[k]) * (n + 1) / kept
