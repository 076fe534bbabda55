"""How many records the API holds, learnt with a few small pages instead of all of them.

The API has no count. A page asked at offset o with m items says: fewer than m, but
some, and the count is o plus those; none, and the count is at most o; m, and it is at
least o + m. So a guessed count is confirmed with one page of two items at its last
offset (one item back: the count is right), and a wrong guess is corrected by pages of
the full size, doubling the step until the end is passed, then halving the gap.
"""

from __future__ import annotations

from collections.abc import Callable

from .pagination import Page

# fetch(offset, max_items) -> the page there.
Fetch = Callable[[int, int], Page]


def holds_exactly(fetch: Fetch, count: int) -> bool:
    """Whether the listing `fetch` reads holds exactly `count` records; one request."""
    if count <= 0:
        return not fetch(0, 1).records
    return len(fetch(count - 1, 2).records) == 1


def count_records(fetch: Fetch, guess: int, page_size: int) -> int:
    """The number of records the listing `fetch` reads holds, starting from `guess`."""
    low, high = 0, None  # low <= count <= high
    offset, size = max(0, guess - 1), 2
    while True:
        page = fetch(offset, size)
        served = len(page.records)
        if 0 < served < min(size, page.page_size):
            return offset + served
        if served == 0:
            high = offset if high is None else min(high, offset)
        else:
            low = max(low, offset + served)
        if high is not None and low >= high:
            return low
        size = page_size
        # Past the end not yet seen: double the step; else halve the gap.
        middle = max(low, 2 * low) if high is None else (low + high) // 2 - size // 2
        offset = max(low, middle)
