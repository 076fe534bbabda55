"""The reading loop: every record of one bucket, page by page, in order.

The reader advances by the items it received (see pagination.py for why `next` alone
never decides), overlapping each page with the one before by one record to notice
records that shifted meanwhile (anchoring.py), and asks `Readings` how many pages ahead
the hints make safe to request.

dlt's paginators request one page at a time (dlt-hub/dlt#2844), which at the API's
latency reaches a fraction of the rate limit (docs/benchmarks.md); so pages are fetched
ahead where safe, and read by a thread of the bucket's own (read_ahead.py).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

from .anchoring import Anchor, Identity, served_identity
from .pagination import Page, Reading, Readings, parse_page
from .read_ahead import BucketProgress, Plan, Scout, read_ahead

if TYPE_CHECKING:
    from .client import ImpraiseClient

Record = dict[str, Any]
# Records as the documented API serves them, or in snake_case.
DEFAULT_IDENTITY = served_identity({})


class PageReader:
    """Reads every record of one bucket, page by page, from offset 0 or from where a
    failed read stopped (`resume`), noticing shifts (anchoring.py)."""

    def __init__(
        self,
        client: ImpraiseClient,
        executor: Executor | None,
        bucket: str,
        path: str,
        params: dict[str, Any],
        prefetch_pages: int,
        readings: Readings,
        identity: Identity = DEFAULT_IDENTITY,
        resume: Anchor | None = None,
    ) -> None:
        self._client = client
        self._executor = executor
        self._bucket = bucket
        self._path = path
        self._params = params
        self._in_flight = max(1, prefetch_pages)
        self._readings = readings
        self._identity = identity
        self._resume = resume
        # Pages requested and not yet used, by offset: fetched ahead of the reading.
        self._ahead: dict[int, Future[Page]] = {}
        # A page that did not go on from its anchor, kept in case reading comes back to
        # its offset after a rewind: it goes on from the page found there, once.
        self._kept: Page | None = None
        self._progress = BucketProgress(time.time())
        self._scout = Scout(self._in_flight)
        self._reached: Anchor | None = resume

    def records(self) -> Iterator[list[Record]]:
        """The bucket's records, a list per page read (empty for a page that held only
        records read before), in order.

        With an executor they are read by a thread of their own, a page or two ahead of
        the caller: the next requests go out as soon as a page arrives, not when the
        loader, busy with other buckets' pages, comes back for it.
        """
        if self._executor is None:
            return self._records_in_order()
        return read_ahead(self._records_in_order(), self._in_flight, f"impraise-{self._bucket}")

    @property
    def reached(self) -> Anchor | None:
        """Where the records handed on so far end: the next read can resume there."""
        return self._reached

    def _records_in_order(self) -> Generator[list[Record], None, None]:
        anchor, previous, index = self._resume, None, 0
        offset = anchor.offset if anchor else 0
        try:
            while True:
                page, kept = self._take(offset)
                fresh = page.records if anchor is None else anchor.fresh(page)
                if fresh is None:
                    self._client.stats.add(self._bucket, shifts=int(not anchor.rewound), rereads=1)
                    self._kept = None if kept else page
                    anchor = anchor.rewind(page.page_size)
                    offset = anchor.offset
                    # The scout counts pages from where reading stood; after a rewind
                    # they lie elsewhere: it starts over from here.
                    self._scout, previous, index = Scout(self._in_flight), None, 0
                    continue
                self._readings.observe(self._bucket, page)
                self._progress.observe(page.records)
                last = page.is_last
                if not last:
                    anchor = Anchor.after(page, self._identity)
                    offset = anchor.offset if anchor else page.end
                    stride = offset - page.offset
                    self._settle_guess(index, page, offset, stride)
                    last = self._scout.ends_with(page)
                if not last:
                    # Before the page is handed on: the next ones load while it is used.
                    plan = self._plan(index, page, previous, stride)
                    self._fetch_ahead(offset, stride, plan)
                    self._reached = anchor
                yield fresh
                if last:
                    return
                previous, index = page, index + 1
        finally:
            self._drop_ahead()

    def _plan(self, index: int, page: Page, previous: Page | None, stride: int) -> Plan:
        """The pages to have in flight after the full page `page`, the `index`th."""
        wanted = self._readings.pages_to_request(page, self._in_flight, previous, stride)
        if Reading.REMAINING in self._readings.detected():
            # A remaining count: the `wanted` pages are exactly those that hold data.
            return self._scout.plan(index, wanted, may_guess=False)
        # Otherwise `wanted` is the pages promised, plus one that may miss.
        return self._scout.plan(index, wanted - 1)

    def _settle_guess(self, index: int, page: Page, offset: int, stride: int) -> None:
        """Tell the scout what the guess brought, if it has come back (the next page is at
        `offset`, each after it `stride` further). When `page` may be the last (its `next`
        is null), the guess is had back, or kept from being sent: whether it missed
        decides if the end needs confirming (Scout.ends_with)."""
        guess = self._scout.guess
        if guess is None:
            return
        at = offset + (guess - index - 1) * stride
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
            parse=lambda payload: parse_page(offset, payload, params["maxItems"]),
            priority=-self._progress.pages_left(),
        )

    def _take(self, offset: int) -> tuple[Page, bool]:
        """The page at `offset`, and whether it is the page kept after a shift."""
        kept, self._kept = self._kept, None
        if kept is not None and kept.offset == offset:
            return kept, True
        self._kept = kept
        ahead = self._ahead.pop(offset, None)
        return (ahead.result() if ahead is not None else self.fetch(offset)), False

    def _fetch_ahead(self, offset: int, stride: int, plan: Plan) -> None:
        """Have the pages of `plan` requested, the next one at `offset` and each `stride`
        after the one before (some may be already); pages requested at other offsets, or
        past both the guess and the pages known to hold data, are no use."""
        if stride <= 0:  # a page of one record, overlapped by one: no page ahead is known
            plan = Plan(1, None, 0)
            stride = 1
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
