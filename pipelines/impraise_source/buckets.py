"""Reading one bucket: its incremental window, its pages, and the cursor it leaves.

The cursor is kept in the resource's dlt state by hand rather than with
`dlt.sources.incremental`, because dlt saves the newest `updatedAt` it has seen. A record
changed while a run pages through a bucket can land on a page already read, with an
`updatedAt` older than a later page's: saving the newest value seen would skip that
change for good. So the saved cursor is the newest `updatedAt` seen, but never later
than the moment the run began reading the bucket less a lag.

The next run reads from the cursor on (`after` is inclusive), so the records at the
boundary come back. As `dlt.sources.incremental` does, the state also keeps a content
digest of each record whose `updatedAt` is the cursor's instant, when the cursor is that
newest instant (not held back by the lag) and at most `MAX_BOUNDARY_RECORDS` records
share it. The next run drops a record only when its `updatedAt` is that same instant
(compared as instants) and its digest is one of those: the very record already loaded.
Any other record, a record changed without its `updatedAt` moving included, loads and
merges on `id`. A run that finds nothing new yields nothing and leaves the state as it
was, so dlt has nothing to load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dlt.common import json
from dlt.common.utils import digest128

from .client import ImpraiseClient
from .errors import BucketFailedError, TokenRefusedError
from .page_reader import PageReader
from .pagination import Readings
from .pool import ReadingPool
from .routes import Bucket
from .schema import CURSOR_FIELD
from .settings import Record
from .timestamps import format_instant, parse_instant

logger = logging.getLogger("impraise")

CURSOR_KEY = "cursor"
# Digests of the records at the cursor's instant that the run saving it loaded.
BOUNDARY_KEY = "boundary"
# More records than this at one instant (a bulk change) keep no digests: they are read
# and merged again until a later change moves the cursor. One page's worth.
MAX_BOUNDARY_RECORDS = 1000


@dataclass(frozen=True)
class ReadOptions:
    """What every bucket of one run shares."""

    client: ImpraiseClient
    # The run's read-ahead threads; None reads each page in the caller's thread.
    pool: ReadingPool | None
    readings: Readings
    max_items: int
    prefetch_pages: int
    cursor_lag: timedelta
    start_date: datetime | None
    full_refresh: bool
    # Told of each bucket read from its very first record to its last (deletions.py).
    on_complete_read: Callable[[str], None] | None = None


def read_bucket(
    bucket: Bucket,
    options: ReadOptions,
    state: MutableMapping[str, Any],
    prepare: Callable[[Record], Record],
) -> Iterator[list[Record]]:
    """Yield the bucket's changed records page by page, then move its cursor.

    `prepare` turns each record as served into the record to load (canonical field
    names, say), before the cursor or anything else sees it.

    A bucket that fails is recorded in the run's stats and stops without moving its
    cursor, so the other buckets still load and the next run reads it again. One read
    from the start to the end without fail is told to `options.on_complete_read`.
    """
    stats = options.client.stats
    name = bucket.name
    stats.start(name)
    began = datetime.now(UTC)
    after = _window_start(state, options)
    loaded = _loaded_boundary(state, options)
    params: dict[str, Any] = {"maxItems": options.max_items}
    if after is not None:
        params["after"] = format_instant(after)
    newest = _Newest()
    with options.pool.reading() if options.pool else nullcontext() as executor:
        reader = PageReader(
            options.client,
            executor,
            name,
            bucket.path,
            params,
            options.prefetch_pages,
            options.readings,
        )
        try:
            for page in reader.pages():
                prepared = (prepare(record) for record in page.records)
                records = [record for record in prepared if not newest.see(record, loaded)]
                stats.add(name, rows=len(records), pages=1)
                if records:
                    yield records
        except (BucketFailedError, TokenRefusedError) as error:
            # Not logged as an error: the failure is in the stats, which the caller
            # reports once (the CLI prints one line per failed bucket at the end).
            logger.info("%s", error)
            reason = (
                str(error) if isinstance(error, BucketFailedError) else f"bucket '{name}': {error}"
            )
            stats.finish(name, error=reason, exit_code=error.exit_code)
            return
    newest.save_cursor(state, began - options.cursor_lag)
    if after is None and options.on_complete_read is not None:
        options.on_complete_read(name)
    stats.paging_notice = options.readings.notice()
    stats.finish(name)


@dataclass(frozen=True)
class _Boundary:
    """The instant of a saved cursor, and the digests of the records loaded at it."""

    instant: datetime
    digests: frozenset[str]


@dataclass
class _Newest:
    """The newest `updatedAt` seen, and the digests of the records that carry it."""

    instant: datetime | None = None
    digests: set[str] | None = field(default_factory=set)  # None: too many to keep

    def see(self, record: Record, loaded: _Boundary | None) -> bool:
        """Note `record`; True when it is a boundary record already loaded (to drop)."""
        value = record.get(CURSOR_FIELD)
        if not isinstance(value, str):
            return False
        instant = parse_instant(value)
        if self.instant is None or instant > self.instant:
            self.instant, self.digests = instant, set()
        digest = None
        if instant == self.instant and self.digests is not None:
            digest = _digest(record)
            self.digests.add(digest)
            if len(self.digests) > MAX_BOUNDARY_RECORDS:
                self.digests = None
        if loaded is None or instant != loaded.instant:
            return False
        return (digest or _digest(record)) in loaded.digests

    def save_cursor(self, state: MutableMapping[str, Any], limit: datetime) -> None:
        """Move the cursor to the newest instant seen, but never past `limit`; keep the
        digests of the records at it when it is that instant. No record seen: no change."""
        if self.instant is None:
            return
        cursor = min(self.instant, limit)
        state[CURSOR_KEY] = format_instant(cursor)
        if cursor == self.instant and self.digests is not None:
            # Sorted: a run that saw the same records leaves the state as it was.
            state[BOUNDARY_KEY] = sorted(self.digests)
        else:
            state.pop(BOUNDARY_KEY, None)


def _window_start(state: MutableMapping[str, Any], options: ReadOptions) -> datetime | None:
    saved = state.get(CURSOR_KEY)
    if options.full_refresh or saved is None:
        return options.start_date
    return parse_instant(saved)


def _loaded_boundary(state: MutableMapping[str, Any], options: ReadOptions) -> _Boundary | None:
    """What the run that saved the cursor loaded at its instant; None to drop nothing."""
    saved, digests = state.get(CURSOR_KEY), state.get(BOUNDARY_KEY)
    if options.full_refresh or saved is None or not digests:
        return None
    return _Boundary(parse_instant(saved), frozenset(digests))


def _digest(record: Record) -> str:
    """A digest of the record's whole content, independent of its keys' order."""
    return digest128(json.dumps(record, sort_keys=True))
