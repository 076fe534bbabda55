"""The end-of-run table: what each bucket cost and brought, and how its count compares."""

from __future__ import annotations

from impraise_source import RunStats

_HEADERS = (
    "bucket",
    "rows",
    "pages",
    "requests",
    "retries",
    "429s",
    "seconds",
    "shifts",
    "rereads",
    "api",
    "live",
    "result",
)
_UNKNOWN = "-"


def format_summary(stats: RunStats) -> str:
    """A fixed-width table, one line per bucket and a total line.

    `shifts` counts the times records moved under the offset while the bucket was read,
    `rereads` the requests spent finding where reading goes on; `api` is the number of
    records the API holds after the bucket was read, `live` the rows of the raw table
    not marked deleted after the load (`-` when not known).
    """
    rows = []
    for name, s in sorted(stats.buckets.items()):
        counts = (s.requests, s.retries, s.throttled)
        moved = (s.shifts, s.rereads)
        rows.append((name, s.rows, s.pages, *counts, s.seconds, *moved, s.api_count, s.live_rows))
    total = [sum(row[i] for row in rows) for i in range(1, 6)]
    wall = max((row[6] for row in rows), default=0.0)
    moved_total = [sum(row[i] for row in rows) for i in (7, 8)]
    counted = [_sum_known(row[i] for row in rows) for i in (9, 10)]
    rows.append(("total", *total, wall, *moved_total, *counted))
    results = ["failed" if s.error else "ok" for _, s in sorted(stats.buckets.items())]
    results.append("failed" if stats.failures else "ok")
    cells = [_HEADERS] + [
        (r[0], *(str(v) for v in r[1:6]), f"{r[6]:.1f}", *(_cell(v) for v in r[7:]), result)
        for r, result in zip(rows, results, strict=True)
    ]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(_HEADERS))]
    lines = []
    for row in cells:
        first = str(row[0]).ljust(widths[0])
        rest = [str(v).rjust(w) for v, w in zip(row[1:-1], widths[1:-1], strict=True)]
        lines.append("  ".join([first, *rest, str(row[-1])]))
    return "\n".join(lines)


def _sum_known(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _cell(value: int | None) -> str:
    return _UNKNOWN if value is None else str(value)
