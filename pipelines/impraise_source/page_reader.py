"""The reading loop: every page of one bucket, in order, each at most once in flight.

The reader advances by the items it received (see pagination.py for why `next` alone
never decides) and asks `Readings` how many pages ahead the hints make safe to request.

dlt's paginators request one page at a time (dlt-hub/dlt#2844), which at the API's
latency reaches a fraction of the rate limit (docs/benchmarks.md); so pages are fetched
ahead where safe, and read by a thread of the bucket's own (read_ahead.py).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

from .pagination import Page, Reading, Readings, parse_page
from .read_ahead import BucketProgress, Plan, Scout, read_ahead

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
        # Pages requested and not yet read, by offset.
        self._ahead: dict[int, Future[Page]] = {}
        self._progress = BucketProgress(time.time())
        self._scout = Scout(self._in_flight)

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
        offset, previous, index = 0, None, 0
        try:
            while True:
                page = self._take(offset)
                self._readings.observe(self._bucket, page)
                self._progress.observe(page.records)
                if not page.is_last:
                    self._settle_guess(index, page)
                last = page.is_last or self._scout.ends_with(page)
                if not last:
                    # Before the page is handed on: the next ones load while it is used.
                    plan = self._plan(index, page, previous)
                    self._fetch_ahead(page.end, stride=len(page.records), plan=plan)
                yield page
                if last:
                    return
                offset, previous, index = page.end, page, index + 1
        finally:
            self._drop_ahead()

    def _plan(self, index: int, page: Page, previous: Page | None) -> Plan:
        """The pages to have in flight after the full page `page`, the `index`th."""
        wanted = self._readings.pages_to_request(page, self._in_flight, previous)
        if Reading.REMAINING in self._readings.detected():
            # A remaining count: the `wanted` pages are exactly those that hold data.
            return self._scout.plan(index, wanted, may_guess=False)
        # Otherwise `wanted` is the pages promised, plus one that may miss.
        return self._scout.plan(index, wanted - 1)

    def _settle_guess(self, index: int, page: Page) -> None:
        """Tell the scout what the guess brought, if it has come back. When `page` may be
        the last (its `next` is null), the guess is had back, or kept from being sent:
        whether it missed decides if the end needs confirming (Scout.ends_with)."""
        guess = self._scout.guess
        if guess is None:
            return
        at = page.end + (guess - index - 1) * len(page.records)
        future = self._ahead.get(at)
        may_be_last = page.next_value is None
        if future is None or (may_be_last and future.cancel()):
            self._ahead.pop(at, None)
            self._scout.forget_guess()
            return
        if not (future.done() or may_be_last):
            return
        try:
            guessed = future.result()
        except Exception:  # the page is requested again when reading reaches it
            self._ahead.pop(at)
            self._scout.forget_guess()
            return
        self._scout.learn(guessed)

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
        ahead = self._ahead.pop(offset, None)
        if ahead is not None:
            return ahead.result()
        # The pages fetched ahead assumed full pages; these did not come: no use now.
        self._drop_ahead()
        return self.fetch(offset)

    def _fetch_ahead(self, offset: int, stride: int, plan: Plan) -> None:
        """Have the pages of `plan` requested, the next one at `offset` and each `stride`
        after the one before (some may be already); pages requested at other offsets, or
        past both the guess and the pages known to hold data, are no use."""
        planned = [offset + i * stride for i in range(plan.run)]
        if plan.guess is not None:
            # First: the sooner its answer is back, the sooner the pages it proves go out.
            planned.insert(0, offset + plan.guess * stride)
        useful = offset + max(plan.run - 1, plan.known, plan.guess or 0) * stride
        for stale in [
            at for at in self._ahead if (at - offset) % stride or not offset <= at <= useful
        ]:
            self._ahead.pop(stale).cancel()
        for at in planned:
            if at not in self._ahead and self._executor is not None:
                self._ahead[at] = self._executor.submit(self.fetch, at)

    def _drop_ahead(self) -> None:
        while self._ahead:
            self._ahead.popitem()[1].cancel()
