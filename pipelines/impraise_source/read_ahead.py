"""Read-ahead and scheduling: which pages of a bucket to have in flight, a bucket's pages
read by a thread of its own, and the estimate of how much of a bucket is left, by which
the limiter orders the buckets.

Each bucket may spend one request past the pages that hold data. `next` promises at
most the page after the one just read, so with that alone a bucket keeps two pages in
flight (the promised one and one guess), and alone it reads about 4.8 requests/s at
400 ms, below the limit: the largest bucket of a run, read alone at its end, slowed the
whole run (docs/benchmarks.md). So the one guess is placed far ahead instead (`Scout`):
a page that comes back full proves every page before it holds data, and those are then
requested together. Only a guess that lands past the end is a request past the data,
and after one such miss no more guesses are made, and a full page with a null `next`
ends the bucket (`Scout.ends_with`). Whatever the order of the records,
a bucket alone then keeps up to `prefetch_pages` pages in flight, enough for the limit.

Two things keep the buckets of a run finishing together: each bucket's pages are read
by a thread of its own (`read_ahead`), so its next request goes out when a page arrives
rather than when the loader comes back for it, and the limiter serves the bucket with
the most pages left first (`BucketProgress`).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .timestamps import parse_instant

if TYPE_CHECKING:
    from .pagination import Page

T = TypeVar("T")
# How often a reading thread blocked on a full hand-over checks that it should stop.
_STOP_CHECK_SECONDS = 0.1


_FINISHED = object()
# How far past the pages known to hold data the guess goes. Each guess that comes back
# full must prove more pages than the bucket reads meanwhile (2.7 at 6 requests/s and
# 0.45 s per answer), or the pages known ahead run out; and a guess that misses leaves
# up to this many pages less one to read one at a time, each when the one before it
# has come back. Measured alone against a paced in-memory API (400 ms, 101 pages):
# 2 reads 4.9 requests/s, 3 reads 5.65-5.71, 4 reads 5.51.
GUESS_DISTANCE = 3


@dataclass(frozen=True)
class Plan:
    """What to have requested after the page just read: `run` pages in a row from the
    next one on, and one page `guess` pages after the next one (None: no guess). Pages
    up to `known` pages after the next one hold data: any requested stays of use."""

    run: int
    guess: int | None
    known: int = 0


class Scout:
    """How far ahead one bucket's pages are known to hold data, and where its one guess
    goes. Pages are counted from 0, in reading order; `depth` is the most in flight."""

    def __init__(self, depth: int) -> None:
        self._depth = max(1, depth)
        self._known = -1  # the last page known to hold data
        self._guess: int | None = None  # the page of the guess in flight
        self._missed = False  # a guess came back empty: the budget is spent
        self._ended = False  # a guess came back short: it is the last page

    @property
    def guess(self) -> int | None:
        """The page of the guess in flight, if any."""
        return self._guess

    def learn(self, guessed: Page) -> None:
        """The guess came back: full, every page up to it holds data; empty, a miss."""
        if self._guess is None:
            return
        if guessed.records:
            self._known = max(self._known, self._guess)
            self._ended = guessed.is_last
        else:
            self._missed = True
        self._guess = None

    def forget_guess(self) -> None:
        """The guess was never sent, or failed, or was read in order: nothing learnt."""
        self._guess = None

    def ends_with(self, page: Page) -> bool:
        """Whether the full `page` is the bucket's last: a guess beyond it came back empty,
        so the data ends before the guess, and its `next` is null, as on a last page.

        Guesses are only made where a null `next` has shown the end of a bucket; trusting
        both signals saves confirming the end with an empty page, which would be a second
        request past the data."""
        return self._missed and page.next_value is None

    def plan(self, index: int, promised: int, may_guess: bool = True) -> Plan:
        """After page `index` came back full, `next` promising the `promised` pages after
        it hold data. No guess where `next` counts exactly what remains (`may_guess`
        False): it could only miss."""
        self._known = max(self._known, index + promised)
        if self._guess is not None and self._guess <= index:
            self._guess = None
        # With a guess to come, one place of `depth` is kept for it.
        run = max(1, min(self._known - index, self._depth - (1 if may_guess else 0)))
        # A guess only beside a next page known to hold data: that one cannot miss.
        if (
            may_guess
            and self._guess is None
            and not (self._missed or self._ended)
            and self._known > index
            and self._depth > 1
        ):
            self._guess = self._known + GUESS_DISTANCE
        guess = None if self._guess is None else self._guess - index - 1
        return Plan(run, guess, self._known - index - 1)


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
    of a run end together instead of the largest reading alone at the end.
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
