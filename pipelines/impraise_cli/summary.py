"""The end-of-run table: what each bucket cost and brought."""

from __future__ import annotations

from impraise_source import RunStats

_HEADERS = ("bucket", "rows", "pages", "requests", "retries", "429s", "seconds", "result")


def format_summary(stats: RunStats) -> str:
    """A fixed-width table, one line per bucket and a total line."""
    rows = []
    for name, s in sorted(stats.buckets.items()):
        result = "failed" if s.error else "ok"
        rows.append((name, s.rows, s.pages, s.requests, s.retries, s.throttled, s.seconds, result))
    total = [sum(row[i] for row in rows) for i in range(1, 6)]
    wall = max((row[6] for row in rows), default=0.0)
    rows.append(("total", *total, wall, "failed" if stats.failures else "ok"))
    cells = [_HEADERS] + [(r[0], *(str(v) for v in r[1:6]), f"{r[6]:.1f}", r[7]) for r in rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(_HEADERS))]
    lines = []
    for row in cells:
        first = str(row[0]).ljust(widths[0])
        rest = [str(v).rjust(w) for v, w in zip(row[1:-1], widths[1:-1], strict=True)]
        lines.append("  ".join([first, *rest, str(row[-1])]))
    return "\n".join(lines)
