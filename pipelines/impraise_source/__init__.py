"""The Impraise source for dlt: one merge resource per bucket of the API's root listing.

Every known bucket loads into a table of its name with primary key `id`, merge write
disposition and an `updatedAt` cursor sent as `after` (see `buckets.py`). A bucket the
root lists that this project does not know is loaded the same generic way, with a
warning. All requests of a run share one client and one rate limiter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import dlt
from dlt.common.configuration.resolve import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.common.storages.load_package import load_package_state
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource

from .buckets import ReadOptions, read_bucket
from .client import ImpraiseClient, RetryPolicy
from .columnar import CHILD_KEY_COLUMNS, page_items
from .errors import ImpraiseError
from .pii import PII_BUCKET, pseudonymiser
from .rate_limit import SlidingWindowLimiter
from .routes import bucket_names
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CURSOR_LAG_SECONDS,
    DEFAULT_PREFETCH_PAGES,
    DEFAULT_REQUESTS_PER_SECOND,
    KNOWN_BUCKETS,
    MAX_ITEMS,
    Record,
    child_columns,
    child_table,
    table_columns,
)
from .stats import RunStats
from .timestamps import parse_instant

logger = logging.getLogger("impraise")


class ConfigurationError(ImpraiseError):
    """The configuration asks for something impossible (an unknown bucket, a bad date)."""


@dlt.source(name="impraise", section="impraise")
def impraise(
    api_token: TSecretStrValue = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    buckets: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    start_date: str | None = None,
    full_refresh: bool = False,
    requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
    cursor_lag_seconds: float = DEFAULT_CURSOR_LAG_SECONDS,
    max_items: int = MAX_ITEMS,
    prefetch_pages: int = DEFAULT_PREFETCH_PAGES,
    pii_salt: TSecretStrValue | None = dlt.secrets.value,
    stats: RunStats | None = None,
) -> list[DltResource]:
    """Every bucket the API's root listing names, filtered by `buckets` and `exclude`.

    Args:
        api_token: The token Impraise issued (a secret: `SOURCES__IMPRAISE__API_TOKEN`).
        base_url: The API's address; the vendor's by default, the simulator's in the demo.
        buckets: Load only these buckets (default: all the root lists).
        exclude: Never load these buckets.
        start_date: ISO date or timestamp where a first run (or a full refresh) starts;
            default: everything.
        full_refresh: Read every bucket again from `start_date`, ignoring saved cursors.
        requests_per_second: The token's quota; no one-second window ever holds more.
        cursor_lag_seconds: How far behind a bucket's read start its saved cursor stays.
        max_items: Page size, at most 1000.
        prefetch_pages: Pages kept in flight ahead of the reader, per bucket.
        pii_salt: When set (a secret), users' names and emails load as salted digests.
        stats: Collects per-bucket counters for the caller's summary.
    """
    if not api_token:
        raise ConfigurationError(
            "no API token: set SOURCES__IMPRAISE__API_TOKEN or api_token in .dlt/secrets.toml"
        )
    if not 1 <= max_items <= MAX_ITEMS:
        raise ConfigurationError(f"max_items must be between 1 and {MAX_ITEMS}, got {max_items}")
    try:
        start = parse_instant(start_date) if start_date else None
    except ValueError as error:
        raise ConfigurationError(f"start_date: {error}") from None
    stats = stats if stats is not None else RunStats()
    retry_policy = RetryPolicy.from_dlt_config(resolve_configuration(RuntimeConfiguration()))
    limiter = SlidingWindowLimiter(requests_per_second)
    client = ImpraiseClient(base_url, api_token, limiter, retry_policy, stats)
    options = ReadOptions(
        client=client,
        # Enough threads to keep a few pages in flight for every bucket at once.
        executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="impraise-page"),
        max_items=max_items,
        prefetch_pages=prefetch_pages,
        cursor_lag=timedelta(seconds=cursor_lag_seconds),
        start_date=start,
        full_refresh=full_refresh,
    )
    listed = bucket_names(client.get_root())
    pseudonymise = pseudonymiser(pii_salt) if pii_salt else None
    resources = [
        bucket_resource(name, options, pseudonymise if name == PII_BUCKET else None)
        for name in select_buckets(listed, buckets, exclude)
    ]
    return resources


def select_buckets(
    listed: Sequence[str], include: Sequence[str] | None, exclude: Sequence[str] | None
) -> list[str]:
    """The listed buckets to load, in listing order; unknown names are a clear error."""
    for option, names in (("buckets", include), ("exclude", exclude)):
        missing = sorted(set(names or ()) - set(listed))
        if missing:
            raise ConfigurationError(
                f"{option}: {', '.join(missing)} not in the API's root listing "
                f"(it lists: {', '.join(listed)})"
            )
    chosen = [name for name in listed if not include or name in include]
    return [name for name in chosen if name not in set(exclude or ())]


def bucket_resource(
    bucket: str, options: ReadOptions, prepare: Callable[[Record], Record] | None = None
) -> DltResource:
    """The merge resource of one bucket; unknown buckets get no column hints.

    `prepare` rewrites each record before it is loaded (pseudonymisation).
    """
    if bucket not in KNOWN_BUCKETS:
        logger.warning(
            "bucket '%s' is not one impraise-elt knows: loading it generically "
            "(merge on id, cursor on updatedAt when present)",
            bucket,
        )

    def read_pages():
        load_id = load_package_state()["load_id"]
        for records in read_bucket(bucket, options, dlt.current.resource_state()):
            if prepare is not None:
                records = [prepare(record) for record in records]
            for table_name, rows in page_items(bucket, records, load_id):
                yield dlt.mark.with_table_name(rows, table_name)

    resource = dlt.resource(read_pages, name=bucket, write_disposition="merge", parallelized=True)()
    # Each table's hints are a variant of the resource's: the child tables, which this
    # resource yields too, must not inherit the bucket's columns and primary key.
    resource.apply_hints(
        table_name=bucket,
        primary_key="id",
        columns=table_columns(bucket),
        create_table_variant=True,
    )
    for field, columns in child_columns(bucket).items():
        resource.apply_hints(
            table_name=child_table(bucket, field),
            write_disposition="append",
            columns={**columns, **CHILD_KEY_COLUMNS},
            create_table_variant=True,
        )
    return resource
