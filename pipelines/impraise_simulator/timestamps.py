"""Instants as integer microseconds since the Unix epoch, and their ISO 8601 renderings.

The simulator keeps every timestamp as an integer instant, so filters compare instants
and never strings; only rendering decides which UTC offset and precision a client sees.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND

# Offsets (minutes east of UTC) the live API could plausibly use. Rendering picks one per
# field, so a client that compares timestamp strings instead of instants gets caught.
# 0 appears twice because it is written two ways: "Z" and "+00:00".
_OFFSET_MINUTES = (0, 0, 60, 120, -300, -480, 330, 540, -210, 345, 840, -660)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now() -> int:
    """The real UTC clock, in microseconds."""
    return time.time_ns() // 1000


def instant(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """A UTC calendar time, in microseconds."""
    return _micros(datetime(year, month, day, hour, minute, tzinfo=UTC))


def parse(text: str) -> int:
    """An ISO 8601 timestamp (any offset; none means UTC) or a bare date (midnight UTC).

    Raises ValueError when the text is neither.
    """
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _micros(parsed)


def canonical(micros: int) -> str:
    """The plain rendering: UTC with a "Z", milliseconds, or microseconds when needed."""
    return _render(micros, offset_minutes=0, zulu=True, long_fraction=micros % 1000 != 0)


def varied(micros: int, style: int) -> str:
    """One of many renderings of the same instant, chosen by `style` (any integer).

    The offset varies, and so does the precision: a whole second may come with or
    without ".000", a whole millisecond with three or six digits.
    """
    offset_index = style % len(_OFFSET_MINUTES)
    return _render(
        micros,
        offset_minutes=_OFFSET_MINUTES[offset_index],
        zulu=offset_index == 0,
        long_fraction=micros % 1000 != 0 or (style >> 8) % 2 == 1,
        omit_whole_fraction=(style >> 9) % 2 == 1,
    )


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS_PER_SECOND + delta.microseconds


@functools.lru_cache(maxsize=4096)
def _date(day: int) -> str:
    """ "YYYY-MM-DD" of a day counted from the epoch."""
    wall = time.gmtime(day * 86_400)
    return f"{wall.tm_year:04d}-{wall.tm_mon:02d}-{wall.tm_mday:02d}"


def _render(
    micros: int,
    *,
    offset_minutes: int,
    zulu: bool,
    long_fraction: bool,
    omit_whole_fraction: bool = False,
) -> str:
    # Plain arithmetic and a cached date are several times faster than datetime
    # formatting, which matters for millions of records. The offset is added first, so
    # this is the wall-clock time at that offset.
    seconds, fraction = divmod(micros + offset_minutes * 60 * MICROS_PER_SECOND, MICROS_PER_SECOND)
    day, second_of_day = divmod(seconds, 86_400)
    hour, second_of_hour = divmod(second_of_day, 3600)
    minute, second = divmod(second_of_hour, 60)
    text = f"{_date(day)}T{hour:02d}:{minute:02d}:{second:02d}"
    if fraction or not omit_whole_fraction:
        text += f".{fraction:06d}" if long_fraction else f".{fraction // 1000:03d}"
    if zulu:
        return text + "Z"
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"
