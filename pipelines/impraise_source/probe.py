"""`probe()`: what the API really serves, set against what the marts need.

It reads the root listing and the first page of each bucket, and asks each bucket once
more with `after` set to the newest `updatedAt` of that page, to see whether the filter
is honoured and whether it is inclusive. Every request goes through one limiter, paced
as a run would be. Nothing is written: no pipeline, no warehouse, no state. The command
line prints its report as `impraise.py --check`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .client import ImpraiseClient
from .config import SourceSettings, resolve, validate
from .counting import count_records
from .errors import BucketFailedError, setting_name
from .naming import renamer
from .page_reader import PageReader
from .pagination import ASSUMED_READING, Page, Readings
from .routes import Bucket, Catalog, catalog, select_buckets
from .schema import CURSOR_FIELD, KNOWN_BUCKETS, bucket_schema
from .stats import RunStats
from .timestamps import format_instant, parse_instant


@dataclass
class BucketReport:
    """One bucket as the API serves it."""

    name: str
    route: str | None
    # ok | missing (not listed) | unknown (listed, not known) | failed (e.g. 403)
    status: str
    records_on_first_page: int = 0
    # How many records the API holds (counting.py); None when the count failed.
    api_count: int | None = None
    # Canonical fields the marts need that no record of the first page carries.
    missing_fields: list[str] = field(default_factory=list)
    # Fields the first page carries that the project does not declare.
    new_fields: list[str] = field(default_factory=list)
    # The cursor field as the API spells it, or None.
    cursor_field: str | None = None
    # inclusive | exclusive | honoured | ignored | untested (no records)
    after: str = "untested"
    paging: str | None = None
    error: str | None = None


@dataclass
class CompatibilityReport:
    """The API as it answered, and what keeps the marts from being built on it."""

    base_url: str
    buckets: list[BucketReport]
    # Canonical name -> the listed route that probably is it.
    suggested_routes: dict[str, str]
    paging: dict[str, str]
    served_page_size: int | None
    rate_limit_headers: dict[str, str]
    problems: list[str]
    # Notes on the field policy (a deprecated setting).
    policy_warnings: list[str] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not self.problems

    @property
    def paging_as_assumed(self) -> bool:
        """Whether `pagination.next` read as the project's contract assumes."""
        return list(self.paging) == [ASSUMED_READING.name.lower()]


def probe(**settings: Any) -> CompatibilityReport:
    """Ask the API what it serves: the root listing, and two pages of each bucket.

    `settings` are `impraise()`'s arguments (`buckets`, `exclude`, `base_url`, ...);
    the rest resolve from dlt's configuration exactly as for the source, and are checked
    as strictly, before the first request. Raises ConfigurationError for a bad setting,
    TokenRefusedError (401) or UpstreamError (the root listing failed).
    """
    config = resolve(**settings)
    checked = validate(config)
    client = ImpraiseClient.from_settings(checked, RunStats())
    try:
        found = catalog(client.get_root(), checked.routes)
        selected = select_buckets(found, config.buckets, config.exclude)
        readings = Readings()
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="impraise-probe") as pool:
            reports = list(pool.map(lambda b: _probe(client, checked, b, readings), selected))
    finally:
        client.close()
    missing = [] if config.buckets else found.missing
    reports += [BucketReport(name, None, "missing") for name in missing]
    return CompatibilityReport(
        base_url=checked.base_url,
        buckets=reports,
        suggested_routes=found.suggestions,
        paging={r.name.lower(): bucket for r, bucket in readings.detected().items()},
        served_page_size=readings.served_page_size,
        rate_limit_headers=client.rate_limit_headers,
        problems=_problems(reports, found),
        policy_warnings=list(checked.policy.warnings),
    )


def _probe(
    client: ImpraiseClient, settings: SourceSettings, bucket: Bucket, readings: Readings
) -> BucketReport:
    report = BucketReport(bucket.name, bucket.route, "ok" if bucket.known else "unknown")
    params = {"maxItems": settings.max_items}
    reader = PageReader(client, None, bucket.name, bucket.path, params, 1, readings)
    try:
        page = reader.fetch(0)
    except BucketFailedError as error:
        report.status, report.error = "failed", error.status
        return report
    readings.observe(bucket.name, page)
    reading = page.reading()
    report.paging = reading.name.lower() if reading else None
    rename = renamer(bucket.name, settings.fields.get(bucket.name, {}))
    served = [record for record in page.records if isinstance(record, dict)]
    records = [rename(dict(record)) for record in served]
    report.records_on_first_page = len(records)
    report.api_count = _count(reader, page, settings.max_items)
    if not records:
        return report
    present = set().union(*records)
    expected = bucket_schema(bucket.name).top_level
    report.missing_fields = [name for name in expected if name not in present]
    report.new_fields = sorted(present - set(expected))
    report.cursor_field = _served_name(served, rename, CURSOR_FIELD)
    if report.cursor_field is not None:
        report.after = _after_behaviour(reader, rename, records)
    return report


def _count(reader: PageReader, first: Page, page_size: int) -> int | None:
    """The bucket's count: the first page's when it is the last, else a few pages."""
    if first.is_last:
        return len(first.records)
    remaining = first.remaining()
    guess = first.end + (remaining or 0)
    try:
        return count_records(lambda at, size: reader.fetch(at, maxItems=size), guess, page_size)
    except BucketFailedError:
        return None


def _served_name(served: list[dict], rename: Callable[[dict], dict], canonical: str) -> str | None:
    """How the API spells `canonical`: the served key that renames to it."""
    keys = set().union(*served)
    return next((key for key in sorted(keys) if canonical in rename({key: None})), None)


def _after_behaviour(
    reader: PageReader, rename: Callable[[dict], dict], records: list[dict]
) -> str:
    """Ask again from the newest `updatedAt` seen: is the filter honoured, inclusive?"""
    stamped = [(parse_instant(r[CURSOR_FIELD]), r.get("id")) for r in records if CURSOR_FIELD in r]
    if not stamped:
        return "untested"
    boundary, boundary_id = max(stamped, key=lambda pair: pair[0])
    try:
        page = reader.fetch(0, after=format_instant(boundary))
    except BucketFailedError:
        return "untested"
    filtered = [rename(dict(r)) for r in page.records if isinstance(r, dict)]
    instants = [parse_instant(r[CURSOR_FIELD]) for r in filtered if r.get(CURSOR_FIELD)]
    if any(instant < boundary for instant in instants):
        return "ignored"
    if any(r.get("id") == boundary_id for r in filtered):
        return "inclusive"
    return "honoured" if not page.is_last else "exclusive"


def _problems(reports: list[BucketReport], found: Catalog) -> list[str]:
    problems = []
    for report in reports:
        if report.name not in KNOWN_BUCKETS:
            continue
        if report.status == "missing":
            route = found.suggestions.get(report.name)
            fix = (
                f": '{route}' looks like it; set "
                f"""{setting_name("routes")}='{{"{report.name}": "{route}"}}'"""
                if route
                else ""
            )
            problems.append(f"bucket '{report.name}' is not in the root listing{fix}")
        elif report.status == "failed":
            problems.append(f"bucket '{report.name}' could not be read: {report.error}")
        else:
            if report.missing_fields:
                problems.append(
                    f"bucket '{report.name}' lacks fields the marts need: "
                    f"{', '.join(report.missing_fields)} (map renamed ones with "
                    f"{setting_name('fields')})"
                )
            if report.records_on_first_page and report.cursor_field is None:
                problems.append(f"bucket '{report.name}' has no {CURSOR_FIELD} to read changes by")
    return problems
