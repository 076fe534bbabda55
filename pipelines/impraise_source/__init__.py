"""The Impraise source for dlt: one merge resource per bucket of the API's root listing.

Every known bucket loads into a table of its name with primary key `id`, merge write
disposition and an `updatedAt` cursor sent as `after` (see `buckets.py`); its fields are
declared in `schema.py`. A bucket the root lists that this project does not know is
loaded the same generic way, with a warning. All requests of a run share one client and
one rate limiter.

The public face, which the command line uses as any other caller would: `impraise`,
the source; `probe`, the compatibility report of `impraise.py --check`; `finish_load`,
the upkeep every load needs once dlt has loaded it; `check_settings`, the settings checked
as `impraise` checks them, with no request; `RunStats`, the counters `impraise` fills;
and the errors, in `errors.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource

from .anchoring import served_identity
from .buckets import ReadOptions, read_bucket
from .client import ImpraiseClient
from .columnar import bucket_resource
from .config import ImpraiseConfiguration, check_settings, validate
from .deletions import note_complete_read, note_found_deleted
from .errors import (
    BucketFailedError,
    ConfigurationError,
    ImpraiseError,
    IncompatibleApiError,
    ProtocolError,
    RunInProgressError,
    TokenRefusedError,
    UpstreamError,
)
from .naming import renamer
from .pagination import Readings
from .pool import ReadingPool
from .probe import BucketReport, CompatibilityReport, probe
from .routes import Bucket, catalog, select_buckets, warn_about_names
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CURSOR_LAG_SECONDS,
    DEFAULT_PREFETCH_PAGES,
    DEFAULT_REQUESTS_PER_SECOND,
    MAX_ITEMS,
    Record,
)
from .stats import RunStats
from .upkeep import FinishedLoad, finish_load

__all__ = [
    "BucketFailedError",
    "BucketReport",
    "CompatibilityReport",
    "ConfigurationError",
    "FinishedLoad",
    "ImpraiseError",
    "IncompatibleApiError",
    "ProtocolError",
    "RunInProgressError",
    "RunStats",
    "TokenRefusedError",
    "UpstreamError",
    "check_settings",
    "finish_load",
    "impraise",
    "probe",
]

logger = logging.getLogger("impraise")


@dlt.source(name="impraise", section="impraise", spec=ImpraiseConfiguration)
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
    routes: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    field_policy: dict[str, str] | None = None,
    field_policy_undeclared: list[str] | None = None,
    hash_key: TSecretStrValue | None = dlt.secrets.value,
    pii_salt: TSecretStrValue | None = dlt.secrets.value,
    stats: RunStats | None = None,
    config: ImpraiseConfiguration = None,
) -> list[DltResource]:
    """Every bucket the API's root listing names, filtered by `buckets` and `exclude`.

    Every setting is checked before the first request (ConfigurationError names the
    bad one); then the root listing is read, and nothing more until the resources run.
    After each load of the source, call `finish_load(pipeline)`.

    Args:
        api_token: The token Impraise issued (a secret: `SOURCES__IMPRAISE__API_TOKEN`).
        base_url: The API's address; the vendor's by default, the simulator's in the demo.
        buckets: Load only these buckets, by canonical name (default: all the root lists).
        exclude: Never load these buckets.
        start_date: ISO date or timestamp where a first run (or a full refresh) starts;
            default: everything.
        full_refresh: Read every bucket again from `start_date`, ignoring saved cursors.
        requests_per_second: The token's quota; no one-second window ever holds more.
        cursor_lag_seconds: How far behind a bucket's read start its saved cursor stays.
        max_items: Page size, at most 1000.
        prefetch_pages: Most pages a bucket keeps in flight ahead of the reader.
        routes: Canonical bucket -> the route the API lists it under, for a bucket the
            API names otherwise (`{"feedback": "feedbacks"}`).
        fields: Canonical `bucket.field` (or `bucket.list.field`) -> the API's name for
            a renamed field (`{"users.jobTitle": "title"}`). snake_case spellings of the
            canonical names are recognised without it.
        field_policy: Canonical `bucket.field` (or `bucket.list.field`) -> keep, hash or
            drop, applied to every record before anything is written (field_policy.py).
        field_policy_undeclared: The buckets loaded generically, and the fields the
            project does not declare, that `field_policy` may name (`["goals"]`).
        hash_key: The secret key of the policy's `hash` (HMAC-SHA-256).
        pii_salt: Deprecated: hashes users' names and emails with a salted SHA-256.
        stats: Collects per-bucket counters for the caller's summary.
        config: Leave it out: dlt passes every argument above in it, each resolved from
            the call, the environment or the TOML files (config.py).
    """
    settings = validate(config)
    for warning in settings.policy.warnings:
        logger.warning("%s", warning)
    stats = stats if stats is not None else RunStats()
    client = ImpraiseClient.from_settings(settings, stats)
    found = catalog(client.get_root(), settings.routes)
    # Nothing more is read until the resources run, if they ever do.
    client.close()
    warn_about_names(found, restricted=bool(config.buckets))
    selected = select_buckets(found, config.buckets, config.exclude)
    # A thread for every page any bucket may have in flight: pages queue at the limiter,
    # which serves them in priority order, never in an executor's queue, which would not.
    threads = max(1, len(selected) * settings.prefetch_pages)
    options = ReadOptions(
        client=client,
        pool=ReadingPool(client, threads),
        readings=Readings(),
        max_items=settings.max_items,
        prefetch_pages=settings.prefetch_pages,
        cursor_lag=settings.cursor_lag,
        start_date=settings.start_date,
        full_refresh=config.full_refresh,
        identity=lambda bucket: served_identity(settings.fields.get(bucket, {})),
        on_complete_read=note_complete_read,
        reconcile=True,
        on_found_deleted=note_found_deleted,
    )
    resources = []
    for bucket in selected:
        prepare = renamer(bucket.name, settings.fields.get(bucket.name, {}))
        protect = settings.policy.preparer(bucket.name)
        if protect is not None:
            prepare = _then(prepare, protect)
        resources.append(bucket_resource(bucket.name, _pages_of(bucket, options, prepare)))
    return resources


def _pages_of(
    bucket: Bucket, options: ReadOptions, prepare: Callable[[Record], Record]
) -> Callable[[MutableMapping[str, Any]], Iterator[list[Record]]]:
    return lambda state: read_bucket(bucket, options, state, prepare)


def _then(first: Callable[[Record], Record], second: Callable[[Record], Record]):
    return lambda record: second(first(record))
