"""The reading loop: every page of one bucket, in order, each at most once in flight.

The reader advances by the items it received (see pagination.py for why `next` alone
never decides) and asks `Readings` how many pages ahead the hints make safe to request.

dlt's paginators request one page at a time (dlt-hub/dlt#2844), which at the API's
latency reaches a fraction of the rate limit (docs/benchmarks.md); so pages are fetched
ahead where safe, and read by a thread of the bucket's own (read_ahead.py).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

from .pagination import Page, Readings, parse_page
from .read_ahead import BucketProgress, read_ahead

if TYPE_CHECKING:
    from .client import ImpraiseClient


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
            parse=lambda payload: parse_page(offset, payload, self._params["maxItems"]),
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
