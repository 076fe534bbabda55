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

from .anchoring import Anchor, Identity
from .client import ImpraiseClient
from .errors import BucketFailedError, TokenRefusedError
from .page_reader import DEFAULT_IDENTITY, PageReader
from .pagination import Readings
from .pool import ReadingPool
from .raw_view import raw_view
from .reconcile import reconcile
from .routes import Bucket
from .schema import CURSOR_FIELD
from .settings import Record
from .timestamps import format_instant, parse_instant

logger = logging.getLogger("impraise")

CURSOR_KEY = "cursor"
# Where a read that failed stopped, for the next run to go on from (see read_bucket).
RESUME_KEY = "resume"
# How many records before the point a failed read reached are kept to find it again.
RESUME_KEYS = 20
# More records than this read by one run (a first load, a bulk change): their counts
# are not reconciled that run; a complete read marks deletions itself (deletions.py).
MAX_RECONCILED_READS = 200_000
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
    # What tells one record of a bucket from another and from its earlier versions, as
    # served (anchoring.py).
    identity: Callable[[str], Identity] = lambda _bucket: DEFAULT_IDENTITY
    # Told of each bucket read from its very first record to its last (deletions.py).
    on_complete_read: Callable[[str], None] | None = None
    # Whether each bucket's counts are reconciled with the warehouse after it is read
    # (reconcile.py); told of the ids found deleted at the source.
    reconcile: bool = False
    on_found_deleted: Callable[[str, set[str]], None] | None = None


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
    after = _window_start(state, options)
    resume = _resume_point(state, after)
    began = datetime.now(UTC)
    loaded = _loaded_boundary(state, options)
    newest = _Newest.resumed(resume) if resume else _Newest()
    identity = options.identity(name)
    read: dict[str, datetime] | None = {}

    def pages(reader: PageReader) -> Iterator[list[Record]]:
        nonlocal read
        for page in reader.records():
            prepared = (prepare(record) for record in page)
            records = [record for record in prepared if not newest.see(record, loaded)]
            stats.add(name, rows=len(records), pages=1)
            read = _note_read(read, records)
            if records:
                yield records

    with options.pool.reading() if options.pool else nullcontext() as executor:

        def reader(window_start: datetime | None, start: Anchor | None = None) -> PageReader:
            params: dict[str, Any] = {"maxItems": options.max_items}
            if window_start is not None:
                params["after"] = format_instant(window_start)
            prefetch, readings = options.prefetch_pages, options.readings
            client, path = options.client, bucket.path
            return PageReader(
                client, executor, name, path, params, prefetch, readings, identity, start
            )

        main = reader(
            after, Anchor.resumed(resume["offset"], resume["keys"], identity) if resume else None
        )
        try:
            yield from pages(main)
            if resume:
                # The pages before the resume point were read by an earlier run: what
                # changed in them since is read now, so the run is as complete as one
                # that read the whole window, and its cursor can be its own start's.
                failed_began = parse_instant(resume["began"]) - options.cursor_lag
                yield from pages(reader(max(after, failed_began) if after else failed_began))
        except (BucketFailedError, TokenRefusedError) as error:
            # Not logged as an error: the failure is in the stats, which the caller
            # reports once (the CLI prints one line per failed bucket at the end).
            logger.info("%s", error)
            reason = (
                str(error) if isinstance(error, BucketFailedError) else f"bucket '{name}': {error}"
            )
            stats.finish(name, error=reason, exit_code=error.exit_code)
            first_began = parse_instant(resume["began"]) if resume else began
            _keep_resume_point(state, after, first_began, newest, main.reached)
            return
        if options.reconcile:
            # While the bucket holds the run's pool: the last bucket to let go of it
            # closes the connections these requests use too (pool.py).
            yield from _reconciled(bucket, options, read, began - options.cursor_lag, prepare)
    state.pop(RESUME_KEY, None)
    newest.save_cursor(state, began - options.cursor_lag)
    if after is None and resume is None and options.on_complete_read is not None:
        options.on_complete_read(name)
    stats.paging_notice = options.readings.notice()
    stats.finish(name)


def _note_read(
    read: dict[str, datetime] | None, records: list[Record]
) -> dict[str, datetime] | None:
    """Note the id and `updatedAt` of each record read, for the reconciliation; None
    once there are too many to keep."""
    if read is None or len(read) + len(records) > MAX_RECONCILED_READS:
        return None
    for record in records:
        value = record.get(CURSOR_FIELD)
        if isinstance(value, str):
            read[str(record.get("id"))] = parse_instant(value)
    return read


def _reconciled(
    bucket: Bucket,
    options: ReadOptions,
    read: dict[str, datetime] | None,
    limit: datetime,
    prepare: Callable[[Record], Record],
) -> Iterator[list[Record]]:
    """Reconcile the bucket's counts (reconcile.py): yield what was missed, note what
    was deleted, and put both counts in the run's stats. A failure here loses nothing
    that was read; the next run reconciles again."""
    stats, name = options.client.stats, bucket.name
    identity = options.identity(name)

    def reader(params: dict[str, Any]) -> PageReader:
        params = {"maxItems": options.max_items, **params}
        client, readings = options.client, options.readings
        return PageReader(client, None, name, bucket.path, params, 1, readings, identity)

    try:
        with raw_view(name) as view:
            if view is None:
                return
            if read is None:
                logger.info("bucket '%s': too many changes to reconcile its counts", name)
                return
            before = stats.buckets[name].requests
            since = options.start_date
            outcome = reconcile(reader, view, read, limit, since, prepare, options.max_items)
            # A row this run did not read is marked now: its load cannot bring it back.
            # One it read is marked once the load has merged it (deletions.py).
            view.mark_deleted(outcome.deleted - set(read))
    except (BucketFailedError, TokenRefusedError) as error:
        logger.info("bucket '%s': counts not reconciled: %s", name, error)
        return
    stats.reconciled(name, outcome, stats.buckets[name].requests - before)
    read_and_deleted = outcome.deleted & set(read)
    if read_and_deleted and options.on_found_deleted is not None:
        options.on_found_deleted(name, read_and_deleted)
    if outcome.missed:
        stats.add(name, rows=len(outcome.missed))
        yield outcome.missed


def _resume_point(state: MutableMapping[str, Any], after: datetime | None) -> dict[str, Any] | None:
    """Where a failed read of the same window stopped, if one did.

    The records it read were loaded; the cursor it would have saved was not. So the read
    goes on from there, as if it were the same run: its start and newest record count,
    and the window is the one it read (a moved cursor or a full refresh is a new one).
    """
    resume = state.get(RESUME_KEY)
    window = format_instant(after) if after is not None else None
    if not isinstance(resume, dict) or resume.get("after") != window:
        state.pop(RESUME_KEY, None)
        return None
    return resume


def _keep_resume_point(
    state: MutableMapping[str, Any],
    after: datetime | None,
    began: datetime,
    newest: _Newest,
    reached: Anchor | None,
) -> None:
    if reached is None:
        return  # nothing read past the first page, or no way to find the place again
    state[RESUME_KEY] = {
        "after": format_instant(after) if after is not None else None,
        "began": format_instant(began),
        "newest": format_instant(newest.instant) if newest.instant else None,
        **reached.kept(RESUME_KEYS),
    }


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

    @classmethod
    def resumed(cls, resume: dict[str, Any]) -> _Newest:
        """The newest instant a failed read saw; the digests of its records at that
        instant are not kept, so the next run reads them again."""
        newest = resume.get("newest")
        return cls(parse_instant(newest) if newest else None, None)

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
