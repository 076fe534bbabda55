"""`impraise.py --check`: the source's compatibility report (`probe()`), for a terminal
or as JSON. The probing itself is the source's (impraise_source/probe.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from impraise_source import BucketReport, CompatibilityReport


def as_json(report: CompatibilityReport) -> str:
    """The report as JSON, with whether the API is compatible."""
    return json.dumps({**asdict(report), "compatible": report.compatible}, indent=2)


def format_report(report: CompatibilityReport) -> str:
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


def _paging_text(report: CompatibilityReport) -> str:
    if not report.paging:
        text = "undetermined (every first page was full and its `next` fits several readings)"
    else:
        text = "; ".join(
            f"next reads as {name.replace('_', ' ')} (seen on {bucket})"
            for name, bucket in report.paging.items()
        )
        if report.paging_as_assumed:
            text += ", as assumed"
    if report.served_page_size:
        text += f"; the server serves at most {report.served_page_size} items a page"
    return text


def _bucket_text(bucket: BucketReport, report: CompatibilityReport) -> str:
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
    if bucket.api_count is not None:
        parts.append(f"{bucket.api_count} records in all")
    if bucket.records_on_first_page:
        parts.append(f"cursor {bucket.cursor_field or 'NONE'}")
        parts.append(f"after {bucket.after}")
    if bucket.missing_fields:
        parts.append(f"MISSING fields: {', '.join(bucket.missing_fields)}")
    if bucket.new_fields:
        parts.append(f"new fields: {', '.join(bucket.new_fields)}")
    return "; ".join(parts)
