"""Offset paging with the contract's tolerances, and pages fetched ahead of the reader.

The API pages by offset, so once a full page has come back the next offsets are
predictable and several can be in flight at once, all inside the shared rate limit.
dlt's paginators request one page at a time (dlt-hub/dlt#2844), which at 400 ms per
request reaches about a third of the limit. Every page fetched ahead is only used once
the page before it confirms, through its `pagination.next`, that the API really pages
that way; the moment it does not, the pages fetched ahead are dropped and reading goes
on from the `next` the API gave.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from .client import ImpraiseClient
from .errors import BucketFailedError


@dataclass(frozen=True)
class Page:
    offset: int
    records: list[dict[str, Any]]
    # Where the next page starts, or None when this is the last page.
    next_offset: int | None


class PageReader:
    """Reads every page of one bucket, in order, starting at offset 0."""

    def __init__(
        self,
        client: ImpraiseClient,
        executor: Executor,
        bucket: str,
        params: dict[str, Any],
        prefetch_pages: int,
    ) -> None:
        self._client = client
        self._executor = executor
        self._bucket = bucket
        self._params = params
        self._prefetch_pages = max(0, prefetch_pages)
        self._ahead: deque[tuple[int, Future[Page]]] = deque()

    def pages(self) -> Iterator[Page]:
        offset: int | None = 0
        try:
            while offset is not None:
                page = self._take(offset)
                yield page
                offset = page.next_offset
                if offset is not None and len(page.records) == offset - page.offset:
                    self._fetch_ahead(offset, stride=len(page.records))
                else:
                    self._drop_ahead()
        finally:
            self._drop_ahead()

    def fetch(self, offset: int) -> Page:
        """One page at `offset`, with retries; raises BucketFailedError."""
        params = {**self._params, "offset": offset}
        return self._client.get_json(
            f"/{self._bucket}",
            params,
            bucket=self._bucket,
            offset=offset,
            parse=lambda payload: self._page(offset, payload),
        )

    def _take(self, offset: int) -> Page:
        if self._ahead and self._ahead[0][0] == offset:
            return self._ahead.popleft()[1].result()
        # The API did not page as predicted: what was fetched ahead is of no use.
        self._drop_ahead()
        return self.fetch(offset)

    def _fetch_ahead(self, offset: int, stride: int) -> None:
        """Keep the next `prefetch_pages` pages after `offset` in flight."""
        if self._ahead and self._ahead[0][0] != offset:
            self._drop_ahead()
        planned = self._ahead[-1][0] + stride if self._ahead else offset
        while len(self._ahead) < self._prefetch_pages:
            self._ahead.append((planned, self._executor.submit(self.fetch, planned)))
            planned += stride

    def _drop_ahead(self) -> None:
        while self._ahead:
            self._ahead.popleft()[1].cancel()

    def _page(self, offset: int, payload: Any) -> Page:
        """Validate one page document; ValueError makes the client retry it."""
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise ValueError("the page has no 'data' list")
        records = payload["data"]
        pagination = payload.get("pagination")
        pagination = pagination if isinstance(pagination, dict) else {}
        return Page(offset, records, self._next_offset(offset, records, pagination))

    def _next_offset(
        self, offset: int, records: list[dict[str, Any]], pagination: dict[str, Any]
    ) -> int | None:
        if not records:
            return None
        if "next" not in pagination:
            # No `next`: go on right after this page, and stop on a short page.
            page_size = pagination.get("maxItems") or self._params["maxItems"]
            return offset + len(records) if len(records) >= int(page_size) else None
        next_offset = pagination["next"]
        if next_offset is None:
            return None
        try:
            next_offset = int(next_offset)
        except (TypeError, ValueError):
            raise BucketFailedError(
                self._bucket, offset, f"pagination.next {next_offset!r} is not an offset"
            ) from None
        if next_offset <= offset:
            # Following it would read the same page forever.
            raise BucketFailedError(
                self._bucket,
                offset,
                f"pagination.next {next_offset} does not move forward from offset {offset}",
            )
        return next_offset
