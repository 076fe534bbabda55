"""The synthetic organisation's calendar, and how random moments on it are drawn.

Events (creations, updates, answers) happen between START and SNAPSHOT, the moment the
data set describes. Planned dates (a scheduled review's start, a request's due date) may
lie a little after SNAPSHOT but never after PLAN_END, so every generated timestamp is
in the past and statuses stay consistent with dates ("running" means started, not ended).
"""

from __future__ import annotations

import random

from .timestamps import MICROS_PER_DAY, MICROS_PER_SECOND, instant

START = instant(2024, 1, 1)
SNAPSHOT = instant(2026, 6, 12)
PLAN_END = instant(2026, 6, 30, 23, 59)

DAY = MICROS_PER_DAY
HOUR = DAY // 24
MINUTE = HOUR // 60


def moment(rng: random.Random, low: int, high: int) -> int:
    """A random instant in [low, high): whole seconds half the time, else milliseconds.

    `low` must be a whole millisecond (every generated instant is), so rounding down
    never leaves the interval.
    """
    if high <= low:
        return low
    drawn = low + rng.randrange(high - low)
    whole_second = drawn - drawn % MICROS_PER_SECOND
    if whole_second >= low and rng.random() < 0.5:
        return whole_second
    return drawn - drawn % 1000
