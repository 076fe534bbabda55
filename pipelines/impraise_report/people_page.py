"""The calibration, managers, departments and leavers sections, as static HTML.

Tables and inline SVG only: the departments are a list of `<details>` pages that open
without any script. A withheld figure reads "withheld" and is hatched, as elsewhere in
the report.
"""

from __future__ import annotations

from html import escape

from . import svg
from .figures import Value
from .people_figures import (
    DEPARTMENT_COLUMNS,
    LEAVER_COLUMNS,
    RATINGS,
    PeopleAnalytics,
    Spread,
)

STYLE = """
table.people { border-collapse: collapse; width: 100%; font-size: 12px; }
table.people th, table.people td { padding: 3px 6px; text-align: right;
                                   border-bottom: 1px solid #e5e7eb; }
table.people th:first-child, table.people td:first-child { text-align: left; }
table.people td.withheld { color: #6b7280;
    background: repeating-linear-gradient(45deg, #f3f4f6 0 4px, #e5e7eb 4px 8px); }
details.department { background: #fff; border-radius: 8px; margin: 0 0 8px; padding: 8px 16px; }
details.department summary { cursor: pointer; font-weight: 600; }
svg.people-chart { display: block; max-width: 100%; height: auto; }
"""
WITHHELD = "withheld"
SPREAD_WIDTH, SPREAD_ROW, SPREAD_LEFT, SPREAD_RANGE = 880, 18, 190, 1.5


def render(analytics: PeopleAnalytics, floor: int) -> list[str]:
    """The four sections, each a `<section>`."""
    return [
        _section("Calibration", _calibration(analytics, floor)),
        _section("Managers", _managers(analytics, floor)),
        _section("Departments", _departments(analytics, floor)),
        _section("Leavers", _leavers(analytics, floor)),
    ]


def _section(title: str, figures: list[str]) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(figures)}</section>"


def _figure(key: str, title: str, caption: str, body: str, note: str = "") -> str:
    return (
        f'<figure class="people" id="{key}" data-chart="{key}"><figcaption><h3>{escape(title)}</h3>'
        f"<p>{escape(caption)}</p></figcaption>{body}"
        + (f"<p>{escape(note)}</p>" if note else "")
        + "</figure>"
    )


def _cell(value: Value, number: str) -> str:
    if value.suppressed:
        return f'<td class="mark suppressed withheld">{WITHHELD}</td>'
    return f'<td class="mark">{escape(svg.format_number(value.value, number))}</td>'


def _table(headings: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{escape(heading)}</th>" for heading in headings)
    return f'<table class="people"><tr>{head}</tr>{"".join(rows)}</table>'


def _calibration(analytics: PeopleAnalytics, floor: int) -> list[str]:
    if not analytics.distributions:
        return [
            _figure(
                "rating-distribution", "Ratings by cycle", "", "<p>No ratings in the period.</p>"
            )
        ]
    distribution = [
        f"<tr><td>{escape(row.cycle)} ({escape(row.review_type)}), {escape(row.relationship)}</td>"
        + "".join(_cell(row.counts[rating], "count") for rating in RATINGS)
        + "</tr>"
        for row in analytics.distributions
    ]
    gaps = [
        f"<tr><td>{escape(row.cycle)} ({escape(row.review_type)})</td>"
        + _signed(row.self_gap)
        + _signed(row.peer_gap)
        + _cell(row.manager_mean, "decimal")
        + _signed(row.manager_change)
        + "</tr>"
        for row in analytics.gaps
    ]
    return [
        _figure(
            "rating-distribution",
            "Ratings given, by cycle and relationship",
            "answers per rating (1 to 5); performance cycles first, pulses apart",
            _table(["Cycle, relationship", *map(str, RATINGS)], distribution),
            f"A count given by fewer than {floor} raters is withheld; where a cycle has one "
            "such count, its smallest other count is withheld too (the cycle's total would "
            "give it away). Mart review_rating_distribution.",
        ),
        _spread_figure(analytics.spread, floor),
        _figure(
            "rating-gaps",
            "Self and peer ratings against managers', and drift",
            "mean gap in rating points per person rated by both; manager mean and its "
            "change since the previous cycle of the same type",
            _table(["Cycle", "Self - manager", "Peer - manager", "Manager mean", "Change"], gaps),
            f"Metrics self_manager_rating_gap and peer_manager_rating_gap (withheld below "
            f"{floor} people); mart review_rating_drift (withheld below {floor} raters).",
        ),
    ]


def _signed(value: Value) -> str:
    if value.suppressed or value.value is None:
        return _cell(value, "decimal")
    return f'<td class="mark">{value.value:+.2f}</td>'


def _spread_figure(spread: Spread | None, floor: int) -> str:
    if spread is None:
        return _figure(
            "manager-spread", "Manager leniency", "", "<p>No cycle with a group shown.</p>"
        )
    height = SPREAD_ROW * len(spread.points) + 30
    scale = (SPREAD_WIDTH - SPREAD_LEFT - 20) / (2 * SPREAD_RANGE)

    def x(deviation: float) -> float:
        clipped = max(-SPREAD_RANGE, min(SPREAD_RANGE, deviation))
        return SPREAD_LEFT + (clipped + SPREAD_RANGE) * scale

    parts = [
        f'<svg class="people-chart" viewBox="0 0 {SPREAD_WIDTH} {height}" role="img" '
        f'aria-label="Manager deviations from the organisation mean">',
        f'<line x1="{x(0):.1f}" y1="0" x2="{x(0):.1f}" y2="{height - 20}" stroke="#9ca3af"/>',
    ]
    for tick in (-1.5, -1, -0.5, 0, 0.5, 1, 1.5):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
            f'fill="#4b5563">{tick:+.1f}</text>'
        )
    for row, point in enumerate(spread.points):
        y = 10 + row * SPREAD_ROW
        parts.append(
            f'<text x="{SPREAD_LEFT - 8}" y="{y + 4}" font-size="11" text-anchor="end">'
            f"{escape(point.label)} ({point.reviewees})</text>"
        )
        if point.low is not None and point.high is not None:
            parts.append(
                f'<line x1="{x(point.low):.1f}" y1="{y}" x2="{x(point.high):.1f}" y2="{y}" '
                'stroke="#93c5fd" stroke-width="3"/>'
            )
        parts.append(
            f'<circle class="mark" cx="{x(point.deviation):.1f}" cy="{y}" r="4" fill="#1d4ed8"/>'
        )
    parts.append("</svg>")
    mean = (
        ""
        if spread.organisation_mean is None
        else f" (organisation mean {spread.organisation_mean:.2f})"
    )
    return _figure(
        "manager-spread",
        f"Manager leniency, {spread.cycle}",
        f"each manager's mean rating of their reviewees minus the organisation's{mean}, "
        "with its 95% interval; reviewees in brackets",
        "".join(parts),
        f"A manager is shown alone with at least {floor} reviewees; the others are pooled "
        f"by department, and {spread.withheld_groups} pool(s) below the floor are withheld. "
        "Managers are numbered, not named. Mart manager_rating_leniency.",
    )


def _managers(analytics: PeopleAnalytics, floor: int) -> list[str]:
    coverage = [
        f"<tr><td>{month:%b %Y}</td>{_cell(value, 'percent')}</tr>"
        for month, value in analytics.coverage
    ]
    quarters = [
        f"<tr><td>Q{(quarter.month - 1) // 3 + 1} {quarter.year}</td>{_cell(value, 'percent')}</tr>"
        for quarter, value in analytics.every_report
    ]
    return [
        _figure(
            "manager-coverage",
            "People who heard from their manager",
            "of the users active in the month who have a manager, the share who received "
            "unflagged, signed feedback from that manager in the month",
            _table(["Month", "Coverage"], coverage),
            f"Metric manager_feedback_coverage; withheld below {floor} people.",
        ),
        _figure(
            "manager-every-report",
            "Managers who gave feedback to every direct report",
            "share of managers with direct reports in the quarter",
            _table(["Quarter", "Managers"], quarters),
            f"Metric managers_covering_every_report_share; withheld below {floor} managers.",
        ),
    ]


def _departments(analytics: PeopleAnalytics, floor: int) -> list[str]:
    pages = []
    for index, page in enumerate(analytics.departments):
        rows = [
            f"<tr><td>{month:%b %Y}</td>"
            + (
                f'<td class="mark suppressed withheld">{WITHHELD}</td>'
                if headcount is None
                else f'<td class="mark">{headcount}</td>'
            )
            + "".join(
                _cell(value, number)
                for value, (_, _, number) in zip(values, DEPARTMENT_COLUMNS, strict=True)
            )
            + "</tr>"
            for month, headcount, values in page.months
        ]
        headings = ["Month", "Active people", *(heading for _, heading, _ in DEPARTMENT_COLUMNS)]
        pages.append(
            # the first page open, so a reader sees what the others hold
            f'<details class="department"{" open" if index == 0 else ""}>'
            f"<summary>{escape(page.name)}</summary>"
            f"{_table(headings, rows)}</details>"
        )
    intro = (
        "<p>Each department is its team and every team below it; a person counts once, in "
        "the department of their most specific team, so a small team counts in its "
        f"department instead of vanishing. A department-month with fewer than {floor} "
        "active people is withheld. Open a department to see its months. Mart "
        "department_engagement_monthly.</p>"
    )
    return [intro, *pages] if pages else ["<p>No department in the period.</p>"]


def _leavers(analytics: PeopleAnalytics, floor: int) -> list[str]:
    headings = ["Group"] + [
        f"{cohort}: {heading}"
        for cohort in ("Leavers", "Stayers")
        for heading in ("people", *(heading for _, heading, _ in LEAVER_COLUMNS))
    ]
    numbers = ["count", *(number for _, _, number in LEAVER_COLUMNS)]
    rows = [
        f"<tr><td>{escape(row.group)}</td>"
        + "".join(_cell(value, number) for value, number in zip(row.leavers, numbers, strict=True))
        + "".join(_cell(value, number) for value, number in zip(row.stayers, numbers, strict=True))
        + "</tr>"
        for row in analytics.leavers
    ]
    return [
        _figure(
            "leavers",
            "Before leaving: leavers against stayers",
            "over the six months before each leaver's last month, and a stayer's latest six "
            "months; by department (most specific team) and tenure band",
            _table(headings, rows),
            f"A group of fewer than {floor} people is withheld; where one department or band "
            "is withheld, the smallest other one is too. Mart leaver_comparison.",
        )
    ]
