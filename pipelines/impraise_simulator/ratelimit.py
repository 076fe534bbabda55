"""The API's rate limit: a sliding one-second window of admitted requests."""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_SECONDS = 1.0


class SlidingWindowLimiter:
    """Admits at most `limit` requests in any window of one second.

    Refused requests do not count, so a client that backs off is not punished twice.
    """

    def __init__(self) -> None:
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self, limit: int) -> tuple[bool, float, int]:
        """(admitted?, the monotonic arrival time the decision was made at, how many
        more requests the window admits now).

        The time is read under the lock, so arrival times in the request log are in
        decision order and a test recomputing windows from the log sees what this saw.
        """
        with self._lock:
            now = time.monotonic()
            while self._admitted and now - self._admitted[0] >= WINDOW_SECONDS:
                self._admitted.popleft()
            if limit and len(self._admitted) >= limit:
                return False, now, 0
            self._admitted.append(now)
            return True, now, max(0, limit - len(self._admitted))
