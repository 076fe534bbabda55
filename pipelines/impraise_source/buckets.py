"""Reading one bucket: its incremental window, its pages, and the cursor it leaves.

The cursor is kept in the resource's dlt state by hand rather than with
`dlt.sources.incremental`, because dlt saves the newest `updatedAt` it has seen. A record
changed while a run pages through a bucket can land on a page already read, with an
`updatedAt` older than a later page's: saving the newest value seen would skip that
change for good. So the saved cursor is the newest `updatedAt` seen, but never later
than the moment the run began reading the bucket less a lag. Records at the boundary
are read again by the next run (`after` is inclusive) and merge on `id`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .client import ImpraiseClient
from .errors import BucketFailedError, TokenRefusedError
from .paging import PageReader
from .settings import CURSOR_FIELD
from .timestamps import format_instant, parse_instant

logger = logging.getLogger("impraise")

CURSOR_KEY = "cursor"


@dataclass(frozen=True)
class ReadOptions:
    """What every bucket of one run shares."""

    client: ImpraiseClient
    executor: Executor
    max_items: int
    prefetch_pages: int
    cursor_lag: timedelta
    start_date: datetime | None
    full_refresh: bool


def read_bucket(
    bucket: str, options: ReadOptions, state: MutableMapping[str, Any]
) -> Iterator[list[dict[str, Any]]]:
    """Yield the bucket's changed records page by page, then move its cursor.

    A bucket that fails is recorded in the run's stats and stops without moving its
    cursor, so the other buckets still load and the next run reads it again.
    """
    stats = options.client.stats
    stats.start(bucket)
    began = datetime.now(UTC)
    after = _window_start(state, options)
    params: dict[str, Any] = {"maxItems": options.max_items}
    if after is not None:
        params["after"] = format_instant(after)
    newest: datetime | None = None
    reader = PageReader(options.client, options.executor, bucket, params, options.prefetch_pages)
    try:
        for page in reader.pages():
            stats.add(bucket, rows=len(page.records), pages=1)
            newest = _newest(page.records, newest)
            if page.records:
                yield page.records
    except (BucketFailedError, TokenRefusedError) as error:
        # Not logged as an error: the failure is in the stats, which the caller reports
        # once (the CLI prints one line per failed bucket at the end of the run).
        logger.info("%s", error)
        stats.finish(bucket, error=str(error))
        return
    if newest is not None:
        state[CURSOR_KEY] = format_instant(min(newest, began - options.cursor_lag))
    stats.finish(bucket)


def _window_start(state: MutableMapping[str, Any], options: ReadOptions) -> datetime | None:
    saved = state.get(CURSOR_KEY)
    if options.full_refresh or saved is None:
        return options.start_date
    return parse_instant(saved)


def _newest(records: list[dict[str, Any]], newest: datetime | None) -> datetime | None:
    for record in records:
        value = record.get(CURSOR_FIELD)
        if isinstance(value, str):
            instant = parse_instant(value)
            if newest is None or instant > newest:
                newest = instant
    return newest
