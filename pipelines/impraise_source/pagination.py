"""How a page is read, and what its `pagination` means.

The vendor's one example, `{"maxItems": 250, "next": 158, "offset": 0}`, fits several
readings of `next`: the next page's offset (null at the end: what the simulator does by
default), `offset + len(data)` on every page, the count of items still to come (0 at
the end), or no `next` at all; and a server may serve fewer items than asked, echoing
its own page size in `maxItems`. So the data decides, never `next` alone: a reader
advances by the items it received and stops on an empty page or on a page shorter than
the page size the server says it served (`Page.is_last`).

`next` is a hint that only decides how far ahead it is safe to fetch. Each bucket may
spend at most one request past the pages that hold data, so a page is requested ahead
only when the hints say it holds data, plus one page beyond those. What a hint means is
learnt from every bucket of the run (`Readings`): a null `next` seen anywhere shows that
`next` is an offset that turns null at the end, so a non-null one promises another page;
a `next` other than `offset + len(data)` counts what remains, which says exactly how
many pages follow.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Reading(Enum):
    """What `pagination.next` turned out to mean."""

    NEXT_OFFSET = "`next` is the next page's offset, null on the last page"
    OFFSET_PLUS_LEN = "`next` is offset + items served, on the last page too"
    REMAINING = "`next` counts the items still to come, 0 on the last page"
    ABSENT = "pagination has no `next`"


# The reading the project's contract assumes: the others are worth saying once a run.
ASSUMED_READING = Reading.NEXT_OFFSET
_ABSENT = object()


@dataclass(frozen=True)
class Page:
    offset: int
    records: list[dict[str, Any]]
    # The page size the server says it served (`pagination.maxItems`), else the one asked.
    page_size: int
    requested_size: int
    # `pagination.next` as served; _ABSENT when the key is missing.
    next_value: Any = _ABSENT

    @property
    def is_last(self) -> bool:
        return len(self.records) < max(1, self.page_size)

    @property
    def end(self) -> int:
        """The offset right after this page's items: where reading goes on."""
        return self.offset + len(self.records)

    def remaining(self) -> int | None:
        """`next` read as a count of items still to come, when it can only be that."""
        value = self.next_number()
        return value if value is not None and value != self.end else None

    def reading(self) -> Reading | None:
        """The reading this page alone proves, if any."""
        if self.next_value is _ABSENT:
            return Reading.ABSENT
        if self.next_value is None:
            return Reading.NEXT_OFFSET
        value = self.next_number()
        if value is None:
            return None
        if value != self.end:
            return Reading.REMAINING
        # `next` = offset + len: on a last page only offset + len always explains it.
        return Reading.OFFSET_PLUS_LEN if self.records and self.is_last else None

    def next_number(self) -> int | None:
        """`next` as a non-negative whole number, or None."""
        value = self.next_value
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            number = int(value)
        except ValueError:
            return None
        return number if number >= 0 else None


class Readings:
    """What the run has learnt about `pagination`, from every bucket; thread-safe."""

    def __init__(self) -> None:
        self._seen: dict[Reading, str] = {}
        self._served_page_size: int | None = None
        self._lock = threading.Lock()

    def observe(self, bucket: str, page: Page) -> None:
        reading = page.reading()
        with self._lock:
            if reading is not None:
                self._seen.setdefault(reading, bucket)
            if page.page_size < page.requested_size:
                self._served_page_size = page.page_size

    def pages_to_request(
        self, page: Page, most: int, previous: Page | None = None, stride: int | None = None
    ) -> int:
        """How many pages after the full page `page` to have in flight, at most `most`,
        when each brings `stride` records not read before (default: a page's worth).

        The next page is always needed: only an empty or short page ends a bucket. Beyond
        it, a remaining count says exactly how many pages hold data, so exactly those are
        requested; a `next` that turns null at the end promises one more page with data,
        so one page past it may be requested too (the only request that can miss).
        A remaining count must fall by the records each page brought (`previous` is the
        page before); one that does not is no count, and promises nothing.
        """
        with self._lock:
            seen = set(self._seen)
        remaining = page.remaining()
        if remaining is None and seen == {Reading.REMAINING}:
            remaining = page.next_number()  # equal to offset + len only by coincidence
        if remaining is not None and Reading.REMAINING in seen:
            before = previous.next_number() if previous is not None else None
            if before is not None and before - (page.end - previous.end) != remaining:
                return 1
            per_page = max(1, stride if stride is not None else page.page_size)
            return max(1, min(math.ceil(remaining / per_page), most))
        if seen == {Reading.NEXT_OFFSET} and page.next_value is not None:
            return min(2, most)
        return 1

    def detected(self) -> dict[Reading, str]:
        """Each reading seen, with the first bucket that showed it."""
        with self._lock:
            return dict(self._seen)

    @property
    def served_page_size(self) -> int | None:
        """The server's own page size, when it serves fewer items than asked."""
        return self._served_page_size

    def notice(self) -> str | None:
        """One line on how this API pages, when that differs from the assumed reading."""
        seen = self.detected()
        parts = [
            f"{reading.value} (seen on {bucket})"
            for reading, bucket in seen.items()
            if reading is not ASSUMED_READING
        ]
        if self.served_page_size is not None:
            parts.append(f"the server serves at most {self.served_page_size} items a page")
        if not parts:
            return None
        return "paging: " + "; ".join(parts) + "; paging by the items received"


def parse_page(offset: int, payload: Any, requested_size: int) -> Page:
    """The page document served at `offset`, validated; ValueError makes the client
    retry it."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise ValueError("the page has no 'data' list")
    pagination = payload.get("pagination")
    pagination = pagination if isinstance(pagination, dict) else {}
    return Page(
        offset,
        payload["data"],
        _page_size(pagination.get("maxItems"), requested_size),
        requested_size,
        pagination.get("next", _ABSENT),
    )


def _page_size(served: Any, requested: int) -> int:
    """The page size the server says it served; the one requested when it says none."""
    try:
        size = int(served)
    except (TypeError, ValueError):
        return requested
    return size if 0 < size <= requested else requested
