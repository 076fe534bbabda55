"""What the report shows: its figures, read from the semantic layer, the privacy floor applied.

Every number here is a metric of dbt_project/models/semantic/; this module only picks the
period, asks for the metrics, and withholds every figure whose group of people is smaller
than the floor the project was built with (the metric `privacy_floor`). Each figure names
the metric that measures its group's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .semantic_layer import Row, SemanticLayer, SemanticLayerError

MONTH = "metric_time__month"


@dataclass(frozen=True)
class Period:
    first_month: dt.date
    last_month: dt.date

    @property
    def months(self) -> list[dt.date]:
        months, month = [], self.first_month
        while month <= self.last_month:
            months.append(month)
            month = _add_months(month, 1)
        return months

    @property
    def end(self) -> dt.date:
        """The period's last day."""
        return _add_months(self.last_month, 1) - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.first_month:%b %Y} \N{EN DASH} {self.last_month:%b %Y}"


@dataclass(frozen=True)
class Value:
    """A figure, or None when there is nothing to measure; `suppressed` when withheld."""

    value: float | None
    suppressed: bool = False


@dataclass(frozen=True)
class Series:
    label: str
    values: list[Value]


@dataclass(frozen=True, kw_only=True)
class Chart:
    key: str  # the chart's id on the page
    title: str
    unit: str  # what the values are, for the caption
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class MonthlyChart(Chart):
    number: str  # how values read: see svg.format_number
    kind: str  # "line", "stacked" or "bars"
    months: list[dt.date]
    series: list[Series]


@dataclass(frozen=True)
class Bar:
    label: str
    value: Value
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class BarChart(Chart):
    number: str
    bars: list[Bar]


@dataclass(frozen=True)
class TeamRow:
    team: str
    values: list[Value]
    suppressed_months: int


@dataclass(frozen=True, kw_only=True)
class TeamTable(Chart):
    columns: list[tuple[str, str]]  # (heading, number)
    rows: list[TeamRow]


@dataclass(frozen=True, kw_only=True)
class FlowMatrix(Chart):
    teams: list[str]
    # (giving team index, receiving team index) -> the count, or suppressed
    cells: dict[tuple[int, int], Value]
    hidden_teams: int


@dataclass(frozen=True)
class Headline:
    label: str
    value: Value
    number: str


@dataclass
class Report:
    period: Period
    floor: int
    headlines: list[Headline] = field(default_factory=list)
    sections: list[tuple[str, list]] = field(default_factory=list)


# (metric, label, number, group-size metric) of the headline figures, over the whole period
HEADLINES = (
    ("feedback_count", "Feedback given", "count", "feedback_givers"),
    (
        "participation_rate",
        "Participation (share of active users a month)",
        "percent",
        "active_users",
    ),
    ("feedback_per_head", "Feedback per active user a month", "decimal", "active_users"),
    ("feedback_request_response_rate", "Request response rate", "percent", "feedback_requesters"),
    ("median_hours_to_first_answer", "Median time to first answer", "hours", "feedback_requesters"),
    ("review_completion_rate", "Review completion", "percent", "review_reviewers"),
    ("cross_team_feedback_share", "Feedback across teams", "percent", "feedback_givers"),
    ("reciprocity_rate", "Feedback returned the same month", "percent", "feedback_givers"),
)


@dataclass(frozen=True)
class MonthlySpec:
    """A chart of metrics by month; a month is withheld where `size_metric` (the people
    its figures describe) is below the floor."""

    key: str
    title: str
    unit: str
    number: str
    kind: str
    series: tuple[tuple[str, str], ...]  # (metric, label)
    size_metric: str
    note: str


PARTICIPATION, VOLUME, RESPONSE_RATE, FIRST_ANSWER = MONTHLY_CHARTS = (
    MonthlySpec(
        "participation",
        "Participation over time",
        "% of active users",
        "percent",
        "line",
        (
            ("participation_rate", "Gave, asked for or answered feedback"),
            ("users_without_feedback_share", "Received no feedback"),
        ),
        "active_users",
        "Suppressed in months with fewer active users than the privacy floor.",
    ),
    MonthlySpec(
        "volume",
        "Feedback given per month, by kind",
        "feedback items",
        "count",
        "stacked",
        (("praise_count", "Praise"), ("tip_count", "Tips"), ("answer_count", "Answers")),
        "feedback_givers",
        "Flagged feedback is left out; anonymous feedback counts. Suppressed in months "
        "with fewer named givers than the privacy floor.",
    ),
    MonthlySpec(
        "response-rate",
        "Feedback request response rate",
        "% of people asked who answered",
        "percent",
        "line",
        (("feedback_request_response_rate", "Answered recipients / all recipients"),),
        "feedback_requesters",
        "By the month the request was sent.",
    ),
    MonthlySpec(
        "first-answer",
        "Time to first answer",
        "hours (median over answered requests)",
        "hours",
        "bars",
        (("median_hours_to_first_answer", "Median hours"),),
        "feedback_requesters",
        "By the month the request was sent.",
    ),
)

RELATIONSHIP_SHARES = (
    ("manager_feedback_share", "Manager to report"),
    ("upward_feedback_share", "Report to manager"),
    ("peer_feedback_share", "Between peers"),
    ("cross_team_feedback_share", "Across teams"),
)
GIVING_BACK = (
    ("cross_team_feedback_share", "Feedback across teams"),
    ("reciprocity_rate", "Giver-receiver pairs returned"),
)
RELATIONSHIPS = (
    ("self", "Self review"),
    ("manager", "Manager"),
    ("peer", "Peer"),
    ("direct_report", "Direct report"),
    ("external", "External"),
)
# (metric, heading, number) of the team comparison
TEAM_COLUMNS = (
    ("team_feedback_per_head", "Feedback per member a month", "decimal"),
    ("team_givers_share", "Members giving feedback a month", "percent"),
    ("team_request_response_rate", "Request response rate", "percent"),
    ("team_review_completion_rate", "Review completion", "percent"),
)
MAX_FLOW_TEAMS = 30


def build(layer: SemanticLayer, months: int) -> Report:
    """The report over the last `months` months with data."""
    floor = _floor(layer)
    period = _period(layer, months)
    report = Report(period=period, floor=floor)
    window = {"start": period.first_month, "end": period.end}
    totals = layer.query(
        sorted({metric for headline in HEADLINES for metric in (headline[0], headline[3])}),
        **window,
    )[0]
    report.headlines = [
        Headline(label, _floored(totals, metric, size, floor), unit)
        for metric, label, unit, size in HEADLINES
    ]
    monthly = _by_month(layer, period)
    report.sections = [
        ("Participation", [_monthly_chart(PARTICIPATION, monthly, period, floor)]),
        (
            "Feedback volume and mix",
            [
                _monthly_chart(VOLUME, monthly, period, floor),
                _relationships_mix(layer, window, floor),
            ],
        ),
        (
            "Feedback requests",
            [
                _monthly_chart(RESPONSE_RATE, monthly, period, floor),
                _monthly_chart(FIRST_ANSWER, monthly, period, floor),
            ],
        ),
        ("Review cycles", [_cycles(layer, window, floor), _relationships(layer, window, floor)]),
        ("Teams compared", [_teams(layer, window, floor)]),
        (
            "Feedback between teams",
            [_giving_back(layer, window, floor), _flows(layer, window, floor)],
        ),
    ]
    return report


def _floor(layer: SemanticLayer) -> int:
    rows = layer.query(["privacy_floor"])
    if not rows or rows[0]["privacy_floor"] is None:
        raise SemanticLayerError("the marts hold no user months: load data and run `dbt build`")
    return int(rows[0]["privacy_floor"])


def _period(layer: SemanticLayer, months: int) -> Period:
    """The last `months` months up to the last month anyone was active."""
    active = [row[MONTH] for row in layer.query(["active_users"], [MONTH]) if row["active_users"]]
    last = max(active)
    first = max(min(active), _add_months(last, 1 - months))
    return Period(first, last)


def _by_month(layer: SemanticLayer, period: Period) -> dict[dt.date, Row]:
    metrics = {spec.size_metric for spec in MONTHLY_CHARTS}
    metrics |= {metric for spec in MONTHLY_CHARTS for metric, _ in spec.series}
    rows = layer.query(sorted(metrics), [MONTH], start=period.first_month, end=period.end)
    return {row[MONTH]: row for row in rows}


def _monthly_chart(spec: MonthlySpec, monthly, period: Period, floor: int) -> MonthlyChart:
    no_row: Row = {}
    return MonthlyChart(
        key=spec.key,
        title=spec.title,
        unit=spec.unit,
        number=spec.number,
        kind=spec.kind,
        months=period.months,
        series=[
            Series(
                label,
                [
                    _floored(monthly.get(month, no_row), metric, spec.size_metric, floor)
                    for month in period.months
                ],
            )
            for metric, label in spec.series
        ],
        note=spec.note,
    )


def _relationships_mix(layer, window, floor) -> BarChart:
    return BarChart(
        key="relationships",
        title="Who gives feedback to whom",
        unit="% of feedback whose sender and recipient are known",
        number="percent",
        bars=_feedback_shares(layer, window, floor, RELATIONSHIP_SHARES),
        note="Anonymous feedback has no known sender and is not in these shares.",
    )


def _feedback_shares(layer, window, floor, shares) -> list[Bar]:
    """A bar per (metric, label): shares of feedback over the period, whose group is its givers."""
    row = layer.query([*(metric for metric, _ in shares), "feedback_givers"], **window)[0]
    return [Bar(label, _floored(row, metric, "feedback_givers", floor)) for metric, label in shares]


def _cycles(layer, window, floor) -> BarChart:
    metrics = ["review_tasks", "review_completion_rate", "review_reviewers"]
    rows = layer.query(
        [*metrics, "average_rating", "review_raters"],
        ["review", "review__review_name", "review__end_at__day"],
        **window,
    )
    rows = sorted(
        (row for row in rows if row["review_tasks"]), key=lambda row: row["review__end_at__day"]
    )
    bars = []
    for row in rows:
        value = _floored(row, "review_completion_rate", "review_reviewers", floor)
        rating = _floored(row, "average_rating", "review_raters", floor)
        detail = ""
        if not value.suppressed:
            detail = f"{row['review_tasks']:,} tasks"
            if rating.suppressed:
                detail += " · rating suppressed"
            elif rating.value is not None:
                detail += f" · rating {rating.value:.2f}"
        bars.append(Bar(row["review__review_name"], value, detail))
    return BarChart(
        key="cycles",
        title="Review completion by cycle",
        unit="% of reviewer tasks completed",
        number="percent",
        bars=bars,
        note="Cycles that ended in the period. Average ratings (1 to 5) are withheld for cycles "
        "rated by fewer people than the privacy floor.",
    )


def _relationships(layer, window, floor) -> BarChart:
    rows = {
        row["review_task__relationship"]: row
        for row in layer.query(
            ["review_tasks", "review_completion_rate", "review_reviewers"],
            ["review_task__relationship"],
            **window,
        )
    }
    bars = []
    for relationship, label in RELATIONSHIPS:
        row = rows.get(relationship)
        if row and row["review_tasks"]:
            bars.append(
                Bar(label, _floored(row, "review_completion_rate", "review_reviewers", floor))
            )
    return BarChart(
        key="review-relationships",
        title="Review completion by relationship",
        unit="% of reviewer tasks completed",
        number="percent",
        bars=bars,
        note="The reviewer's relationship to the person reviewed.",
    )


def _teams(layer, window, floor) -> TeamTable:
    metrics = ["team_active_members", "team_months_below_floor"]
    metrics += [metric for metric, _, _ in TEAM_COLUMNS]
    rows = layer.query(metrics, ["team", "team__team_name"], **window)
    table_rows = []
    for row in rows:
        shown = bool(row["team_active_members"])
        values = [
            Value(row[metric] if shown else None, suppressed=not shown)
            for metric, _, _ in TEAM_COLUMNS
        ]
        table_rows.append(
            TeamRow(row["team__team_name"], values, int(row["team_months_below_floor"] or 0))
        )
    # suppressed teams last, the rest by feedback per member
    table_rows.sort(
        key=lambda row: (row.values[0].suppressed, -(row.values[0].value or 0), row.team)
    )
    return TeamTable(
        key="teams",
        title="Teams compared",
        unit="per team",
        columns=[(heading, unit) for _, heading, unit in TEAM_COLUMNS],
        rows=table_rows,
        note="Each person's activity counts for the team they were in at the time; a person "
        "in several teams counts in each. Months in which a team had fewer active members "
        "than the privacy floor are left out; a team that never reached it is suppressed.",
    )


def _giving_back(layer, window, floor) -> BarChart:
    return BarChart(
        key="giving-back",
        title="Giving back",
        unit="% of feedback, of giver-receiver pairs, of team-to-team flows",
        number="percent",
        bars=_feedback_shares(layer, window, floor, GIVING_BACK),
        note="Returned: the receiver (a person, or someone in the receiving team) gave feedback "
        "back in the same month.",
    )


def _flows(layer, window, floor) -> FlowMatrix:
    giver, receiver = "team_flow__giver_team_id", "team_flow__receiver_team_id"
    rows = layer.query(
        ["team_flow_feedback_count"],
        [giver, "team_flow__giver_team_name", receiver, "team_flow__receiver_team_name"],
        **window,
    )
    names: dict[str, str] = {}
    shown_items: dict[str, int] = {}  # feedback shown, given and received
    flow_months: dict[str, int] = {}  # flows, shown or suppressed
    for row in rows:
        names[row[giver]] = row["team_flow__giver_team_name"]
        names[row[receiver]] = row["team_flow__receiver_team_name"]
        for team in (row[giver], row[receiver]):
            shown_items[team] = shown_items.get(team, 0) + (row["team_flow_feedback_count"] or 0)
            flow_months[team] = flow_months.get(team, 0) + 1
    # the teams with the most feedback shown, then the most connected; listed by name
    ranked = sorted(
        names, key=lambda team: (-shown_items[team], -flow_months[team], names[team], team)
    )
    shown = sorted(ranked[:MAX_FLOW_TEAMS], key=lambda team: (names[team], team))
    index = {team: position for position, team in enumerate(shown)}
    cells = {}
    for row in rows:
        if row[giver] in index and row[receiver] in index:
            count = row["team_flow_feedback_count"]
            cells[(index[row[giver]], index[row[receiver]])] = Value(count, count is None)
    return FlowMatrix(
        key="flows",
        title="Flows between teams",
        unit="feedback items from the giving team (rows) to the receiving team (columns)",
        teams=[names[team] for team in shown],
        cells=cells,
        hidden_teams=len(ranked) - len(shown),
        note="Counted in the months in which at least the privacy floor of people gave it "
        "and as many received it; a hatched cell had feedback in the period, but never "
        "between enough people in one month. A person in several teams counts in each.",
    )


def _floored(row: Row, metric: str, size_metric: str, floor: int) -> Value:
    """The metric's value, withheld when its group is smaller than the floor."""
    size = row.get(size_metric)
    if not size:
        return Value(None, suppressed=row.get(metric) is not None)
    if size < floor:
        return Value(None, suppressed=True)
    return Value(row.get(metric))


def _add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)
