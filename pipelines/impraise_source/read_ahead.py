"""Read-ahead and scheduling: a bucket's pages read by a thread of its own, and the
estimate of how much of a bucket is left, by which the limiter orders the buckets.

Under the one-extra-request budget a bucket has at most two pages in flight, so alone it
reads slower than the limit. Two things keep the buckets of a run finishing together
instead: each bucket's pages are read by a thread of its own (`read_ahead`), so its next
request goes out when a page arrives rather than when the loader comes back for it, and
the limiter serves the bucket with the most pages left first (`BucketProgress`).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Generator, Iterator
from typing import Any, TypeVar

from .timestamps import parse_instant

T = TypeVar("T")
# How often a reading thread blocked on a full hand-over checks that it should stop.
_STOP_CHECK_SECONDS = 0.1


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
