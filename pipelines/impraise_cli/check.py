"""`impraise.py --check`: what the API really serves, set against what the marts need.

It reads the root listing and the first page of each bucket, and asks each bucket once
more with `after` set to the newest `updatedAt` of that page, to see whether the filter
is honoured and whether it is inclusive. Every request goes through the run's limiter.
Nothing is written: no pipeline, no warehouse, no state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from impraise_source import select_buckets
from impraise_source.client import ImpraiseClient
from impraise_source.config import SourceSettings
from impraise_source.errors import BucketFailedError
from impraise_source.naming import known_fields, renamer
from impraise_source.paging import ASSUMED_READING, PageReader, Readings
from impraise_source.routes import Bucket, Catalog, catalog
from impraise_source.settings import CURSOR_FIELD, KNOWN_BUCKETS, setting_name
from impraise_source.stats import RunStats
from impraise_source.timestamps import format_instant, parse_instant


@dataclass
class BucketReport:
    """One bucket as the API serves it."""

    name: str
    route: str | None
    # ok | missing (not listed) | unknown (listed, not known) | failed (e.g. 403)
    status: str
    records_on_first_page: int = 0
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
class CheckReport:
    base_url: str
    buckets: list[BucketReport]
    # Canonical name -> the listed route that probably is it.
    suggested_routes: dict[str, str]
    paging: dict[str, str]
    served_page_size: int | None
    rate_limit_headers: dict[str, str]
    problems: list[str]
    # What the field policy names that the project does not know, and other notes on it.
    policy_warnings: list[str] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not self.problems

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "compatible": self.compatible}, indent=2)


def check(
    settings: SourceSettings,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    policy_warnings: Sequence[str] = (),
) -> CheckReport:
    """Probe the API; raises TokenRefusedError (401) or UpstreamError (root listing)."""
    client = ImpraiseClient.from_settings(settings, RunStats())
    found = catalog(client.get_root(), settings.routes)
    selected = select_buckets(found, include, exclude)
    readings = Readings()
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="impraise-check") as pool:
        reports = list(pool.map(lambda b: _probe(client, settings, b, readings), selected))
    reports += [BucketReport(name, None, "missing") for name in found.missing if not include]
    return CheckReport(
        base_url=settings.base_url,
        buckets=reports,
        suggested_routes=found.suggestions,
        paging={r.name.lower(): bucket for r, bucket in readings.detected().items()},
        served_page_size=readings.served_page_size,
        rate_limit_headers=client.rate_limit_headers,
        problems=_problems(reports, found),
        policy_warnings=list(policy_warnings),
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
    if not records:
        return report
    present = set().union(*records)
    expected = known_fields(bucket.name)[""]
    report.missing_fields = [name for name in expected if name not in present]
    report.new_fields = sorted(present - set(expected))
    report.cursor_field = _served_name(served, rename, CURSOR_FIELD)
    if report.cursor_field is not None:
        report.after = _after_behaviour(reader, rename, records)
    return report


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


def format_report(report: CheckReport) -> str:
    """The report as text for a terminal."""
    lines = [f"Impraise API at {report.base_url}: the token was accepted"]
    headers = ", ".join(f"{k}: {v}" for k, v in report.rate_limit_headers.items()) or "none"
    lines.append(f"rate-limit headers: {headers}")
    lines.append(f"paging: {_paging_text(report)}")
    lines.append("")
    width = max((len(b.name) for b in report.buckets), default=6)
    for bucket in report.buckets:
        lines.append(f"  {bucket.name.ljust(width)}  {_bucket_text(bucket, report)}")
    lines.append("")
    lines += [f"field policy: {warning}" for warning in report.policy_warnings]
    if report.compatible:
        lines.append("compatible: the API serves everything the marts need")
    else:
        lines.append(f"NOT compatible ({len(report.problems)} problems):")
        lines += [f"  - {problem}" for problem in report.problems]
    return "\n".join(lines)


def _paging_text(report: CheckReport) -> str:
    if not report.paging:
        text = "undetermined (every first page was full and its `next` fits several readings)"
    else:
        text = "; ".join(
            f"next reads as {name.replace('_', ' ')} (seen on {bucket})"
            for name, bucket in report.paging.items()
        )
        if list(report.paging) == [ASSUMED_READING.name.lower()]:
            text += ", as assumed"
    if report.served_page_size:
        text += f"; the server serves at most {report.served_page_size} items a page"
    return text


def _bucket_text(bucket: BucketReport, report: CheckReport) -> str:
    if bucket.status == "missing":
        route = report.suggested_routes.get(bucket.name)
        hint = f"; '{route}' looks like it" if route else ""
        return f"MISSING from the root listing{hint}"
    if bucket.status == "failed":
        return f"FAILED: {bucket.error}"
    parts = [f"route /{bucket.route}"]
    if bucket.status == "unknown":
        parts.append("unknown: loads generically")
    parts.append(f"{bucket.records_on_first_page} records on the first page")
    if bucket.records_on_first_page:
        parts.append(f"cursor {bucket.cursor_field or 'NONE'}")
        parts.append(f"after {bucket.after}")
    if bucket.missing_fields:
        parts.append(f"MISSING fields: {', '.join(bucket.missing_fields)}")
    if bucket.new_fields:
        parts.append(f"new fields: {', '.join(bucket.new_fields)}")
    return "; ".join(parts)
