"""Offset paging that is right under every reading of `pagination`, with pages fetched
ahead only where they are known to hold data.

The vendor's one example, `{"maxItems": 250, "next": 158, "offset": 0}`, fits several
readings of `next`: the next page's offset (null at the end: what the simulator does by
default), `offset + len(data)` on every page, the count of items still to come (0 at
the end), or no `next` at all; and a server may serve fewer items than asked, echoing
its own page size in `maxItems`. So the data decides, never `next` alone: the reader
advances by the items it received and stops on an empty page or on a page shorter than
the page size the server says it served.

`next` is a hint that only decides how far ahead it is safe to fetch. Each bucket may
spend at most one request past the pages that hold data, so a page is requested ahead
only when the hints say it holds data, plus one page beyond those. What a hint means is
learnt from every bucket of the run (`Readings`): a null `next` seen anywhere shows that
`next` is an offset that turns null at the end, so a non-null one promises another page;
a `next` other than `offset + len(data)` counts what remains, which says exactly how
many pages follow.

Under that budget a bucket has at most two pages in flight, so alone it reads slower
than the limit. Two things keep the buckets of a run finishing together instead: each
bucket's pages are read by a thread of its own (`read_ahead`), so its next request goes
out when a page arrives rather than when the loader comes back for it, and the limiter
serves the bucket with the most pages left first (`BucketProgress`).

dlt's paginators request one page at a time (dlt-hub/dlt#2844), which at the API's
latency reaches a fraction of the rate limit (docs/benchmarks.md).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from .timestamps import parse_instant

T = TypeVar("T")
# How often a reading thread blocked on a full hand-over checks that it should stop.
_STOP_CHECK_SECONDS = 0.1

if TYPE_CHECKING:
    from .client import ImpraiseClient


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

    def pages_to_request(self, page: Page, most: int, previous: Page | None = None) -> int:
        """How many pages after the full page `page` to have in flight, at most `most`.

        The next page is always needed: only an empty or short page ends a bucket. Beyond
        it, a remaining count says exactly how many pages hold data, so exactly those are
        requested; a `next` that turns null at the end promises one more page with data,
        so one page past it may be requested too (the only request that can miss).
        A remaining count must fall by the items of each page (`previous` is the page
        before); one that does not is no count, and promises nothing.
        """
        with self._lock:
            seen = set(self._seen)
        remaining = page.remaining()
        if remaining is None and seen == {Reading.REMAINING}:
            remaining = page.next_number()  # equal to offset + len only by coincidence
        if remaining is not None and Reading.REMAINING in seen:
            before = previous.next_number() if previous is not None else None
            if before is not None and before - len(page.records) != remaining:
                return 1
            return max(1, min(math.ceil(remaining / max(1, page.page_size)), most))
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


class PageReader:
    """Reads every page of one bucket, in order, starting at offset 0."""

    def __init__(
        self,
        client: ImpraiseClient,
        executor: Executor | None,
        bucket: str,
        path: str,
        params: dict[str, Any],
        prefetch_pages: int,
        readings: Readings,
    ) -> None:
        self._client = client
        self._executor = executor
        self._bucket = bucket
        self._path = path
        self._params = params
        self._in_flight = max(1, prefetch_pages)
        self._readings = readings
        self._ahead: deque[tuple[int, Future[Page]]] = deque()
        self._progress = BucketProgress(time.time())

    def pages(self) -> Iterator[Page]:
        """The bucket's pages in order.

        With an executor they are read by a thread of their own, a page or two ahead of
        the caller: the next requests go out as soon as a page arrives, not when the
        loader, busy with other buckets' pages, comes back for it.
        """
        if self._executor is None:
            return self._pages_in_order()
        return read_ahead(self._pages_in_order(), self._in_flight, f"impraise-{self._bucket}")

    def _pages_in_order(self) -> Generator[Page, None, None]:
        offset, previous = 0, None
        try:
            while True:
                page = self._take(offset)
                self._readings.observe(self._bucket, page)
                self._progress.observe(page.records)
                if not page.is_last:
                    # Before the page is handed on: the next ones load while it is used.
                    wanted = self._readings.pages_to_request(page, self._in_flight, previous)
                    self._fetch_ahead(page.end, stride=len(page.records), pages=wanted)
                yield page
                if page.is_last:
                    return
                offset, previous = page.end, page
        finally:
            self._drop_ahead()

    def fetch(self, offset: int, **extra_params: Any) -> Page:
        """One page at `offset`, with retries; raises BucketFailedError."""
        params = {**self._params, **extra_params, "offset": offset}
        return self._client.get_json(
            self._path,
            params,
            bucket=self._bucket,
            offset=offset,
            parse=lambda payload: self._page(offset, payload),
            priority=-self._progress.pages_left(),
        )

    def _take(self, offset: int) -> Page:
        if self._ahead and self._ahead[0][0] == offset:
            return self._ahead.popleft()[1].result()
        # The pages fetched ahead assumed full pages; these did not come: no use now.
        self._drop_ahead()
        return self.fetch(offset)

    def _fetch_ahead(self, offset: int, stride: int, pages: int) -> None:
        """Have the `pages` pages from `offset` on requested (some may be already)."""
        if self._ahead and self._ahead[0][0] != offset:
            self._drop_ahead()
        planned = self._ahead[-1][0] + stride if self._ahead else offset
        while len(self._ahead) < pages and self._executor is not None:
            self._ahead.append((planned, self._executor.submit(self.fetch, planned)))
            planned += stride

    def _drop_ahead(self) -> None:
        while self._ahead:
            self._ahead.popleft()[1].cancel()

    def _page(self, offset: int, payload: Any) -> Page:
        """Validate one page document; ValueError makes the client retry it."""
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise ValueError("the page has no 'data' list")
        pagination = payload.get("pagination")
        pagination = pagination if isinstance(pagination, dict) else {}
        requested = self._params["maxItems"]
        return Page(
            offset,
            payload["data"],
            _page_size(pagination.get("maxItems"), requested),
            requested,
            pagination.get("next", _ABSENT),
        )


_FINISHED = object()


def read_ahead(items: Generator[T, None, None], depth: int, name: str) -> Iterator[T]:
    """Iterate `items` in a thread named `name`, at most `depth` items ahead of the caller.

    An exception the thread meets is raised to the caller; closing the returned iterator
    (or leaving it unfinished) stops the thread and closes `items`.
    """
    handoff: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: Any, error: BaseException | None = None) -> bool:
        while not stop.is_set():
            try:
                handoff.put((item, error), timeout=_STOP_CHECK_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
            hand_over(_FINISHED)
        except BaseException as error:  # handed to the caller, who raises it
            hand_over(_FINISHED, error)
        finally:
            items.close()

    threading.Thread(target=produce, name=name, daemon=True).start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _FINISHED:
                return
            yield item
    finally:
        stop.set()


class BucketProgress:
    """How much of a bucket is left, estimated from how far through time it has been read.

    Records come in creation order, so a bucket whose pages so far took it from its first
    record's `createdAt` a fraction f of the way to now has about pages * (1 - f) / f
    pages to go. The limiter serves the bucket with the most left first, so the buckets
    of a run end together instead of the largest reading alone at the end, slower than
    the limit allows (a bucket may have only two pages in flight).
    """

    def __init__(self, now: float) -> None:
        self._now = now
        self._pages = 0
        self._first = math.inf
        self._last = -math.inf

    def observe(self, records: list[Any]) -> None:
        self._pages += 1
        for record in (records[0], records[-1]) if records else ():
            created = _created(record)
            if created is not None:
                self._first = min(self._first, created)
                self._last = max(self._last, created)

    def pages_left(self) -> float:
        """Estimated pages still to read; infinite until two instants are seen."""
        read = self._last - self._first
        if not read > 0:
            return math.inf
        return self._pages * max(0.0, self._now - self._last) / read


def _created(record: Any) -> float | None:
    """A record's creation time as a POSIX timestamp, in either spelling of the field."""
    if not isinstance(record, dict):
        return None
    try:
        return parse_instant(record.get("createdAt", record.get("created_at"))).timestamp()
    except (TypeError, ValueError, AttributeError):
        return None


def _page_size(served: Any, requested: int) -> int:
    """The page size the server says it served; the one requested when it says none."""
    try:
        size = int(served)
    except (TypeError, ValueError):
        return requested
    return size if 0 < size <= requested else requested
