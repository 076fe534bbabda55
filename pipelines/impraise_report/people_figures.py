"""The figures of the calibration, managers, departments and leavers sections.

Read from the metrics (the rating gaps, manager coverage) and from marts that dbt floors
already (the rating distribution, leniency, drift, departments, leavers); a figure dbt
withheld stays withheld here, as `Value(None, suppressed=True)`. Only cycles that end
within the report's period are shown; performance and pulse cycles are kept apart.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from .figures import Period, Value
from .marts import MartReader
from .semantic_layer import Row, SemanticLayer

REVIEW = "review__review_name"
MONTH = "metric_time__month"
QUARTER = "metric_time__quarter"
RATINGS = (1, 2, 3, 4, 5)
RELATIONSHIPS = ("self", "manager", "peer", "direct_report", "external")
DEPARTMENT_MONTHS = 6  # the months each department's page shows, up to the period's end
# (column of department_engagement_monthly, heading, number)
DEPARTMENT_COLUMNS = (
    ("givers_share", "Gave feedback", "percent"),
    ("feedback_per_head", "Feedback per head", "decimal"),
    ("review_completion_rate", "Review tasks completed", "percent"),
)
# (column of leaver_comparison, heading, number)
LEAVER_COLUMNS = (
    ("feedback_received_per_month", "Feedback received a month", "decimal"),
    ("manager_coverage", "Months with manager feedback", "percent"),
    ("review_completion_rate", "Review tasks completed", "percent"),
)


@dataclass(frozen=True)
class Distribution:
    cycle: str
    review_type: str
    relationship: str
    counts: dict[int, Value]  # rating -> answers, withheld below the floor


@dataclass(frozen=True)
class CycleGaps:
    cycle: str
    review_type: str
    self_gap: Value
    peer_gap: Value
    manager_mean: Value
    manager_change: Value  # against the previous cycle of the same type


@dataclass(frozen=True)
class SpreadPoint:
    label: str
    reviewees: int
    deviation: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Spread:
    cycle: str
    organisation_mean: float | None
    points: list[SpreadPoint]
    withheld_groups: int


@dataclass(frozen=True)
class DepartmentPage:
    name: str
    months: list[tuple[dt.date, int | None, list[Value]]]  # month, headcount, the columns


@dataclass(frozen=True)
class LeaverRow:
    breakdown: str
    group: str
    leavers: list[Value]  # people, then LEAVER_COLUMNS
    stayers: list[Value]


@dataclass(frozen=True)
class PeopleAnalytics:
    distributions: list[Distribution]
    gaps: list[CycleGaps]
    spread: Spread | None
    coverage: list[tuple[dt.date, Value]]
    every_report: list[tuple[dt.date, Value]]
    departments: list[DepartmentPage]
    leavers: list[LeaverRow]


def build(layer: SemanticLayer, marts: MartReader, period: Period) -> PeopleAnalytics:
    distribution_rows = [
        row for row in marts.rows("review_rating_distribution") if _in_period(row, period)
    ]
    cycles = _cycles(distribution_rows)
    return PeopleAnalytics(
        distributions=_distributions(distribution_rows, cycles),
        gaps=_gaps(layer, marts, cycles),
        spread=_spread(marts, cycles),
        coverage=_by_time(layer, "manager_feedback_coverage", MONTH, period),
        every_report=_by_time(layer, "managers_covering_every_report_share", QUARTER, period),
        departments=_departments(marts, period),
        leavers=_leavers(marts),
    )


def _in_period(row: Row, period: Period) -> bool:
    end = row["review_end_at"]
    return end is not None and period.first_month <= _day(end) <= period.end


def _day(value: dt.date) -> dt.date:
    """A date, from the date or the timestamp a warehouse answers with."""
    return value.date() if isinstance(value, dt.datetime) else value


def _cycles(rows: list[Row]) -> list[tuple[str, str]]:
    """(name, type) of the cycles with ratings, performance first, each by end date."""
    ends = {(row["review_name"], row["review_type"]): row["review_end_at"] for row in rows}
    return sorted(ends, key=lambda cycle: (cycle[1] != "performance", cycle[1], ends[cycle]))


def _distributions(rows: list[Row], cycles: list[tuple[str, str]]) -> list[Distribution]:
    counts: dict[tuple[str, str], dict[int, Value]] = defaultdict(dict)
    for row in rows:
        counts[(row["review_name"], row["relationship"])][row["rating"]] = Value(
            row["answers_count"], suppressed=row["is_suppressed"]
        )
    return [
        Distribution(name, kind, relationship, _with_zeros(counts[(name, relationship)]))
        for name, kind in cycles
        for relationship in RELATIONSHIPS
        if (name, relationship) in counts
    ]


def _with_zeros(counts: dict[int, Value]) -> dict[int, Value]:
    """Every rating's count; a rating nobody gave is 0, unless the row withholds a count:
    then its zeros are withheld too, or they would say where the withheld answers lie."""
    withholds = any(value.suppressed for value in counts.values())
    missing = Value(None, suppressed=True) if withholds else Value(0)
    return {rating: counts.get(rating, missing) for rating in RATINGS}


def _gaps(
    layer: SemanticLayer, marts: MartReader, cycles: list[tuple[str, str]]
) -> list[CycleGaps]:
    answered = {
        row[REVIEW]: row
        for row in layer.query(["self_manager_rating_gap", "peer_manager_rating_gap"], [REVIEW])
    }
    drift = {
        row["review_name"]: row
        for row in marts.rows("review_rating_drift")
        if row["relationship"] == "manager"
    }
    gaps = []
    for name, kind in cycles:
        metrics, manager = answered.get(name, {}), drift.get(name)
        if manager is None and not metrics:
            continue
        mean = None if manager is None else manager["mean_rating"]
        change = None if manager is None else manager["change_from_previous"]
        gaps.append(
            CycleGaps(
                name,
                kind,
                _withheld_when_null(metrics.get("self_manager_rating_gap"), name in answered),
                _withheld_when_null(metrics.get("peer_manager_rating_gap"), name in answered),
                _withheld_when_null(mean, manager is not None),
                Value(change, suppressed=change is None and manager is not None and mean is None),
            )
        )
    return gaps


def _withheld_when_null(value: float | None, asked: bool) -> Value:
    """A metric's figure; null where the cycle has data means the floor withheld it."""
    return Value(value, suppressed=value is None and asked)


def _spread(marts: MartReader, cycles: list[tuple[str, str]]) -> Spread | None:
    """Leniency in the last performance cycle with any group shown."""
    rows = defaultdict(list)
    for row in marts.rows("manager_rating_leniency"):
        rows[row["review_name"]].append(row)
    for name, _ in reversed([cycle for cycle in cycles if cycle[1] == "performance"]):
        shown = [row for row in rows[name] if row["deviation"] is not None]
        if not shown:
            continue
        managers = sorted(
            (row for row in shown if row["group_type"] == "manager"),
            key=lambda row: row["deviation"],
        )
        points = [
            SpreadPoint(
                f"Manager {number}",
                row["reviewees_count"],
                row["deviation"],
                row["deviation_low"],
                row["deviation_high"],
            )
            for number, row in enumerate(managers, 1)
        ]
        points += [
            SpreadPoint(
                f"{row['department_name'] or 'No team'} (pooled)",
                row["reviewees_count"],
                row["deviation"],
                row["deviation_low"],
                row["deviation_high"],
            )
            for row in sorted(shown, key=lambda row: row["deviation"])
            if row["group_type"] == "department"
        ]
        return Spread(
            name,
            shown[0]["organisation_mean_rating"],
            points,
            sum(row["deviation"] is None for row in rows[name]),
        )
    return None


def _by_time(
    layer: SemanticLayer, metric: str, grain: str, period: Period
) -> list[tuple[dt.date, Value]]:
    rows = layer.query([metric], [grain], period.first_month, period.end)
    return sorted((row[grain], Value(row[metric], suppressed=row[metric] is None)) for row in rows)


def _departments(marts: MartReader, period: Period) -> list[DepartmentPage]:
    first = period.months[-DEPARTMENT_MONTHS:][0]
    months = defaultdict(list)
    for row in marts.rows("department_engagement_monthly"):
        month = _day(row["month"])
        if first <= month <= period.last_month:
            below = row["is_below_floor"]
            months[row["department_name"]].append(
                (
                    month,
                    None if below else row["active_headcount"],
                    [Value(row[column], suppressed=below) for column, _, _ in DEPARTMENT_COLUMNS],
                )
            )
    return [DepartmentPage(name, sorted(rows)) for name, rows in sorted(months.items())]


def _leavers(marts: MartReader) -> list[LeaverRow]:
    cells = {
        (row["breakdown"], row["group_name"] or "No team", row["cohort"]): row
        for row in marts.rows("leaver_comparison")
    }
    groups = sorted(
        {(breakdown, group) for breakdown, group, _ in cells},
        key=lambda key: (("organisation", "department", "tenure_band").index(key[0]), key[1]),
    )

    def values(row: Row | None) -> list[Value]:
        if row is None:
            return [Value(None)] * (len(LEAVER_COLUMNS) + 1)
        withheld = row["is_suppressed"]
        return [Value(row["people_count"], suppressed=withheld)] + [
            Value(row[column], suppressed=withheld) for column, _, _ in LEAVER_COLUMNS
        ]

    return [
        LeaverRow(
            breakdown,
            group,
            values(cells.get((breakdown, group, "leaver"))),
            values(cells.get((breakdown, group, "stayer"))),
        )
        for breakdown, group in groups
    ]
