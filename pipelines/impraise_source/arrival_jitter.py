"""How late the server may stamp a request, learnt from how its response times spread.

The server judges its rate limit by when each request reaches it. The client knows
only when it wrote a request and when the answer began to come back; between the two
lie the way there (the network, the server's queue), the server's work and the way
back. If the way there takes longer for one request than for the one six later, seven
can land in one of the server's seconds though they left a second apart: the limiter's
margin must cover how much the way there varies, and that shows in how much the whole
response time varies, learnt here before any 429.

The spread is read from the faster half of recent response times: how far the median
lies above the fastest (without the fastest few), scaled to the width of an even spread.
The slower half is left out because the client's own delays in noticing an answer (its
threads waiting for the GIL while another bucket's page is converted, the machine's
scheduler) only ever add time, now and then and a lot, and never delay an arrival: at a
load average of 10 on 2 cores, 1,000 users, the whole spread (without 2.5% at each end)
was 15 ms, the faster half's 5 ms (benchmarks/send_timing.py). A way there whose delays
have a long tail is underestimated by this; its 429s then widen the margin's floor.
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
    # The share of the fastest samples left out: a cached or refused answer is not jitter.
    TRIM = 0.025
    # Added to the estimate: the spread of a few hundred samples is itself uncertain.
    SAFETY = 0.01

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
    """The width of the spread of `ordered`, from its faster half: the median less the
    value `trim` of the way up, scaled as for an even spread (the i-th of n samples of an
    even spread of width w lies i / (n + 1) of w up, on average)."""
    n = len(ordered)
    low, middle = int(trim * n), n // 2
    if middle <= low:
        return 0.0
    return (ordered[middle] - ordered[low]) * (n + 1) / (middle - low)
