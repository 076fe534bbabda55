"""What the report shows: its figures, read from the semantic layer, the privacy floor applied.

Every number here is a metric of dbt_project/models/semantic/; this module only picks the
period, asks for the metrics, and reads them. The metrics withhold (return null for) every
figure that rests on fewer people than the floor the project was built with (README, "The
privacy floor in the metrics"), so a null is drawn withheld, whether the group had a few
people or none: a withheld figure does not say that anything happened.

Time is read honestly: the period's months are the complete ones up to how far the data
reaches (`data_latest_activity_at`); a month the data reaches into but not to its end is
drawn as partial and kept out of the headlines and their comparisons, and a review cycle
whose end is after the data's reach is in progress, shown apart and out of the headline.
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
    def length(self) -> int:
        return len(self.months)

    @property
    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(
            _add_months(self.first_month, -self.length), _add_months(self.first_month, -1)
        )

    @property
    def window(self) -> dict[str, dt.date]:
        return {"start": self.first_month, "end": self.end}

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
    partial_to: dt.date | None = None  # the last month is partial: the data reaches this day
    target: float | None = None  # drawn as a band from the target up


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
    # (giving team index, receiving team index) -> the count; every other cell is withheld
    # (fewer givers or receivers than the floor, or none: the two look alike)
    cells: dict[tuple[int, int], Value]
    hidden_teams: int


@dataclass(frozen=True)
class Headline:
    key: str  # the metric
    label: str
    value: Value
    number: str
    previous: Value = Value(None)  # the same metric over the previous period
    note: str = ""

    @property
    def change(self) -> float | None:
        if self.value.value is None or self.previous.value is None:
            return None
        return self.value.value - self.previous.value


@dataclass(frozen=True)
class Reach:
    """How far the data reaches, and when it was loaded."""

    latest_activity: dt.datetime
    loaded_at: dt.datetime | None

    @property
    def day(self) -> dt.date:
        return self.latest_activity.date()

    @property
    def last_complete_month(self) -> dt.date:
        """The last month the data covers to its end."""
        month = self.day.replace(day=1)
        return (
            month
            if _add_months(month, 1) - dt.timedelta(days=1) == self.day
            else _add_months(month, -1)
        )


@dataclass
class Report:
    period: Period  # the complete months the charts cover
    floor: int
    reach: Reach
    headline_period: Period  # the latest of them, which the headlines compare with as many before
    targets: dict[str, float] = field(default_factory=dict)
    partial_month: dt.date | None = None  # drawn in the charts, kept out of the headlines
    headlines: list[Headline] = field(default_factory=list)
    sections: list[tuple[str, list]] = field(default_factory=list)


# (metric, label, number) of the headline figures, over the latest complete months
HEADLINES = (
    ("feedback_count", "Feedback given", "count"),
    ("participation_rate", "Took part a month: gave, asked for or answered feedback", "percent"),
    ("giving_rate", "Gave feedback a month", "percent"),
    ("asking_rate", "Asked for feedback a month", "percent"),
    ("feedback_per_head", "Feedback given per active person a month", "decimal"),
    ("feedback_request_response_rate", "People asked who answered", "percent"),
    ("median_days_to_first_answer", "Median time to a first answer", "days"),
    ("review_completion_rate", "Review tasks completed, cycles that ended", "percent"),
    ("reciprocity_rate", "Giver-receiver pairs where feedback came back", "percent"),
    ("cross_team_feedback_share", "Feedback across teams", "percent"),
)
# the headlines drawn against a target (the metric holding the target)
TARGETS = {
    "participation_rate": "participation_target",
    "feedback_request_response_rate": "response_rate_target",
}


@dataclass(frozen=True)
class MonthlySpec:
    """A chart of metrics by month; the metrics withhold what rests on too few people."""

    key: str
    title: str
    unit: str
    number: str
    kind: str
    series: tuple[tuple[str, str], ...]  # (metric, label)
    note: str
    target: str | None = None  # the metric holding the target drawn as a band


PARTICIPATION, RECOGNITION, VOLUME, RESPONSE_RATE, OUTCOMES, FIRST_ANSWER = MONTHLY_CHARTS = (
    MonthlySpec(
        "participation",
        "Participation over time",
        "% of active people a month",
        "percent",
        "line",
        (
            ("participation_rate", "Gave, asked for or answered feedback"),
            ("giving_rate", "Gave feedback"),
            ("asking_rate", "Asked for feedback"),
        ),
        "Giving and asking overlap (someone can do both), and answering a request is the "
        "rest of taking part. The band is the target.",
        target="participation_target",
    ),
    MonthlySpec(
        "recognition",
        "People nobody gave feedback to lately",
        "% of active people who received no feedback in the month or the two before it",
        "percent",
        "line",
        (("users_without_feedback_3_months_share", "No feedback received for 3 months"),),
        "A rolling quarter counted in people: each month, the active people who received no "
        "feedback in it or in the two months before it.",
    ),
    MonthlySpec(
        "volume",
        "Feedback given per month, by kind",
        "feedback items",
        "count",
        "stacked",
        (("praise_count", "Praise"), ("tip_count", "Tips"), ("answer_count", "Answers")),
        "Flagged feedback is left out; anonymous feedback counts. A kind is withheld in a "
        "month when fewer people than the privacy floor gave or received it.",
    ),
    MonthlySpec(
        "response-rate",
        "Feedback request response rate",
        "% of people asked who answered",
        "percent",
        "line",
        (("feedback_request_response_rate", "Answered"),),
        "By the month the request was sent. The band is the target.",
        target="response_rate_target",
    ),
    MonthlySpec(
        "request-outcomes",
        "What became of each request",
        "% of people asked",
        "percent",
        "stacked",
        (
            ("feedback_request_response_rate", "Answered"),
            ("feedback_request_decline_rate", "Declined"),
            ("feedback_request_expiry_rate", "Expired"),
            ("feedback_request_pending_rate", "Not answered yet"),
        ),
        "By the month the request was sent; the four outcomes add up to 100%. Requests of "
        "recent months are still open, so their answers are not all in.",
    ),
    MonthlySpec(
        "first-answer",
        "Time to a first answer",
        "days (median over answered requests)",
        "days",
        "bars",
        (("median_days_to_first_answer", "Median days"),),
        "By the month the request was sent. Only answered requests count, so recent months "
        "read faster than they will: requests without an answer yet are left out.",
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
    ("reciprocity_rate", "Giver-receiver pairs where feedback came back"),
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
HEADLINE_MONTHS = 12
REACH = ("data_latest_activity_at", "data_loaded_at", "privacy_floor", *TARGETS.values())


def headlines(layer: SemanticLayer, months: int) -> Report:
    """The report's period, how far its data reaches, and its headline figures (what the
    demo summary prints): over the last `months` complete months of data."""
    settings = _settings(layer)
    reach = Reach(settings["data_latest_activity_at"], settings["data_loaded_at"])
    period = _period(layer, months, reach)
    month_reached = reach.day.replace(day=1)
    report = Report(
        period=period,
        floor=int(settings["privacy_floor"]),
        reach=reach,
        headline_period=_headline_period(period),
        targets={metric: settings[target] for metric, target in TARGETS.items()},
        partial_month=None if reach.last_complete_month == month_reached else month_reached,
    )
    report.headlines = _headlines(layer, report.headline_period, reach)
    return report


def build(layer: SemanticLayer, months: int) -> Report:
    """The report over the last `months` complete months of data, and the partial one."""
    report = headlines(layer, months)
    settings = _settings(layer)
    period, reach, partial = report.period, report.reach, report.partial_month
    drawn = Period(period.first_month, partial or period.last_month)
    monthly = _by_month(layer, drawn, settings)

    def chart(spec: MonthlySpec) -> MonthlyChart:
        return _monthly_chart(spec, monthly, drawn, partial and reach.day, settings, period)

    report.sections = [
        ("Participation", [chart(PARTICIPATION), chart(RECOGNITION)]),
        ("Feedback volume and mix", [chart(VOLUME), _relationships_mix(layer, period.window)]),
        ("Feedback requests", [chart(RESPONSE_RATE), chart(OUTCOMES), chart(FIRST_ANSWER)]),
        (
            "Review cycles",
            [_cycles(layer, period, reach), _relationships(layer, _ended(period, reach))],
        ),
        ("Teams compared", [_teams(layer, period.window)]),
        (
            "Feedback between teams",
            [
                _giving_back(layer, period.window),
                departments := _department_flows(layer, period.window),
                _flows(layer, period.window, departments),
            ],
        ),
    ]
    return report


def _settings(layer: SemanticLayer) -> Row:
    """How far the data reaches, when it was loaded, the floor and the targets."""
    rows = layer.query(list(REACH))
    if not rows or rows[0]["privacy_floor"] is None or rows[0]["data_latest_activity_at"] is None:
        raise SemanticLayerError("the marts hold no activity: load data and run `dbt build`")
    return rows[0]


def _period(layer: SemanticLayer, months: int, reach: Reach) -> Period:
    """The last `months` complete months up to the data's reach, from the first month
    anyone was active."""
    active = [row[MONTH] for row in layer.query(["active_people"], [MONTH]) if row["active_people"]]
    last = reach.last_complete_month
    first = max(min(active, default=last), _add_months(last, 1 - months))
    return Period(min(first, last), last)


def _headline_period(period: Period) -> Period:
    """The latest complete months, as many as the period holds before them too (at most
    HEADLINE_MONTHS), so that each headline has a previous period of equal length in the
    data to be compared with."""
    length = max(1, min(HEADLINE_MONTHS, period.length // 2))
    return Period(_add_months(period.last_month, 1 - length), period.last_month)


def _ended(period: Period, reach: Reach) -> dict[str, dt.date]:
    """The period's window for review tasks, whose time is their cycle's end: up to the day
    the data reaches, so that cycles still running are left out."""
    return {"start": period.first_month, "end": min(period.end, reach.day)}


def _headlines(layer: SemanticLayer, period: Period, reach: Reach) -> list[Headline]:
    metrics = [metric for metric, _, _ in HEADLINES]
    ordinary = [metric for metric in metrics if metric != "review_completion_rate"]

    def totals(window: Period) -> Row:
        row = layer.query(ordinary, **window.window)[0]
        reviews = layer.query(["review_completion_rate"], **_ended(window, reach))
        return {**row, **(reviews[0] if reviews else {})}

    now, before = totals(period), totals(period.previous)
    return [
        Headline(metric, label, _value(now, metric), number, _value(before, metric))
        for metric, label, number in HEADLINES
    ]


def _by_month(layer: SemanticLayer, period: Period, settings: Row) -> dict[dt.date, Row]:
    metrics = {metric for spec in MONTHLY_CHARTS for metric, _ in spec.series}
    rows = layer.query(sorted(metrics), [MONTH], **period.window)
    return {row[MONTH]: row for row in rows}


def _monthly_chart(
    spec: MonthlySpec, monthly, drawn: Period, partial_to, settings: Row, headline: Period
) -> MonthlyChart:
    no_row: Row = {}
    series = [
        Series(label, [_value(monthly.get(month, no_row), metric) for month in drawn.months])
        for metric, label in spec.series
    ]
    if spec.kind == "stacked" and spec.number == "count":
        # the parts of the headline total, in its months: see complement()
        inside = [i for i, month in enumerate(drawn.months) if month <= headline.last_month]
        cells = [(s, i) for s in range(len(series)) for i in inside]
        kept = complement([series[s].values[i] for s, i in cells])
        for (s, i), value in zip(cells, kept, strict=True):
            series[s].values[i] = value
    return MonthlyChart(
        key=spec.key,
        title=spec.title,
        unit=spec.unit,
        number=spec.number,
        kind=spec.kind,
        months=drawn.months,
        series=series,
        note=spec.note,
        partial_to=partial_to,
        target=settings[spec.target] if spec.target else None,
    )


def complement(values: list[Value]) -> list[Value]:
    """Complementary suppression (README, "The privacy floor in the metrics"): when the
    total of `values` is shown elsewhere and exactly one of them is withheld, it would be
    the total minus the rest, so the smallest one still shown is withheld too."""
    withheld = [i for i, value in enumerate(values) if value.suppressed]
    shown = [i for i, value in enumerate(values) if value.value is not None]
    if len(withheld) != 1 or not shown:
        return values
    smallest = min(shown, key=lambda i: values[i].value)
    return [Value(None, True) if i == smallest else value for i, value in enumerate(values)]


def _relationships_mix(layer, window) -> BarChart:
    return BarChart(
        key="relationships",
        title="Who gives feedback to whom",
        unit="% of feedback whose sender and recipient are known (overlapping shares)",
        number="percent",
        bars=_feedback_shares(layer, window, RELATIONSHIP_SHARES),
        note="The shares overlap: feedback between peers in different teams is in both, and "
        "feedback between people with no reporting line or common manager is in none but "
        '"across teams" at most, so they do not add up to 100%. Anonymous feedback has no '
        "known sender and is not in these shares.",
    )


def _feedback_shares(layer, window, shares) -> list[Bar]:
    """A bar per (metric, label): shares of feedback over the period."""
    row = layer.query([metric for metric, _ in shares], **window)[0]
    return [Bar(label, _value(row, metric)) for metric, label in shares]


def _cycles(layer, period: Period, reach: Reach) -> BarChart:
    rows = layer.query(
        ["review_tasks", "review_completion_rate", "average_rating"],
        ["review", "review__review_name", "review__end_at__day"],
        start=period.first_month,
    )
    never = dt.date.max  # a cycle without an end date runs on

    def ends(row: Row) -> dt.date:
        return row["review__end_at__day"] or never

    bars = []
    for row in sorted(rows, key=lambda row: (ends(row), row["review__review_name"])):
        value = _value(row, "review_completion_rate")
        label = row["review__review_name"]
        detail = ""
        if ends(row) > reach.day:
            label += " (in progress)"
            detail = "no end date" if ends(row) == never else f"ends {ends(row):%d %b %Y}"
            detail += "; not final"
        elif not value.suppressed:
            detail = f"{row['review_tasks']:,} tasks"
            rating = _value(row, "average_rating")
            detail += " · rating withheld" if rating.suppressed else f" · rating {rating.value:.2f}"
        bars.append(Bar(label, value, detail))
    return BarChart(
        key="cycles",
        title="Review completion by cycle",
        unit="% of reviewer tasks completed",
        number="percent",
        bars=bars,
        note="Cycles that ended in the period, and those still running when the data ends "
        "(in progress: their completion is not final and is not in the headline). Average "
        "ratings (1 to 5) are withheld for cycles rated by, or about, fewer people than the "
        "privacy floor.",
    )


def _relationships(layer, window) -> BarChart:
    rows = {
        row["review_task__relationship"]: row
        for row in layer.query(["review_completion_rate"], ["review_task__relationship"], **window)
    }
    bars = [
        Bar(label, _value(rows.get(relationship, {}), "review_completion_rate"))
        for relationship, label in RELATIONSHIPS
        if relationship in rows
    ]
    return BarChart(
        key="review-relationships",
        title="Review completion by relationship",
        unit="% of reviewer tasks completed, cycles that ended",
        number="percent",
        bars=bars,
        note="The reviewer's relationship to the person reviewed.",
    )


def _teams(layer, window) -> TeamTable:
    metrics = ["team_months_below_floor", *(metric for metric, _, _ in TEAM_COLUMNS)]
    rows = layer.query(metrics, ["team", "team__team_name"], **window)
    table_rows = []
    for row in rows:
        values = [_value(row, metric) for metric, _, _ in TEAM_COLUMNS]
        table_rows.append(
            TeamRow(row["team__team_name"], values, int(row["team_months_below_floor"] or 0))
        )
    # teams withheld last, the rest by feedback per member
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
        "than the privacy floor are left out; a figure whose people never reached it in one "
        "month (members, members asked, members with review tasks) is withheld.",
    )


def _giving_back(layer, window) -> BarChart:
    return BarChart(
        key="giving-back",
        title="Giving back",
        unit="% of feedback; % of giver-receiver pairs",
        number="percent",
        bars=_feedback_shares(layer, window, GIVING_BACK),
        note="A pair (someone who gave feedback, and the person they gave it to) counts as "
        "giving back when the receiver gave feedback to the giver at any time in the data, "
        "before or after; pairs are dated by their first feedback.",
    )


def _flows(layer, window, departments: FlowMatrix) -> FlowMatrix:
    giver, receiver = "team_flow__giver_team_id", "team_flow__receiver_team_id"
    sides = ("team_flow__giver_department_name", "team_flow__receiver_department_name")
    names = {
        row["team"]: row["team__team_name"]
        for row in layer.query(["team_months_below_floor"], ["team", "team__team_name"])
    }
    rows = layer.query(["team_flow_feedback_count"], [giver, receiver, *sides], **window)
    matrix = _flow_matrix(
        "flows",
        "Flows between teams",
        rows,
        (giver, receiver),
        names,
        "Over the whole period: a flow is shown when at least the privacy floor of people "
        "gave it and as many received it. Every other cell is hatched alike, whether few "
        "people or none exchanged feedback. A person in several teams counts in each. Where "
        "the flow between two departments is shown and only one of its teams' flows is not, "
        "the smallest of them shown is withheld too (it would be the difference).",
    )
    department = {names.get(row[giver], row[giver]): row[sides[0]] for row in rows}
    department |= {names.get(row[receiver], row[receiver]): row[sides[1]] for row in rows}
    shown = {
        (departments.teams[i], departments.teams[j])
        for (i, j), value in departments.cells.items()
        if value.value is not None
    }
    return complement_blocks(matrix, department, shown)


def complement_blocks(matrix: FlowMatrix, department: dict[str, str], shown: set) -> FlowMatrix:
    """Complementary suppression between the two matrices: a department pair's shown total,
    less its teams' shown flows, is what its teams' other flows hold; when that is a
    single cell, the smallest shown cell of the block is withheld with it."""
    blocks: dict[tuple, list[tuple[int, int]]] = {}
    for i, giver in enumerate(matrix.teams):
        for j, receiver in enumerate(matrix.teams):
            pair = (department.get(giver), department.get(receiver))
            if pair in shown:
                blocks.setdefault(pair, []).append((i, j))
    cells = dict(matrix.cells)
    for block in blocks.values():
        values = complement([cells.get(cell, Value(None, True)) for cell in block])
        for cell, value in zip(block, values, strict=True):
            if value.value is None:
                cells.pop(cell, None)
    return FlowMatrix(
        key=matrix.key,
        title=matrix.title,
        unit=matrix.unit,
        teams=matrix.teams,
        cells=cells,
        hidden_teams=matrix.hidden_teams,
        note=matrix.note,
    )


def _department_flows(layer, window) -> FlowMatrix:
    giver, receiver = "team_flow__giver_department_name", "team_flow__receiver_department_name"
    rows = layer.query(["team_flow_feedback_count"], [giver, receiver], **window)
    names = {row[side]: row[side] for row in rows for side in (giver, receiver) if row[side]}
    return _flow_matrix(
        "department-flows",
        "Flows between departments",
        rows,
        (giver, receiver),
        names,
        "Departments are the teams one level below the top of the team tree (the dbt var "
        "department_depth), each with the teams under it. Each item counts once between two "
        "departments; a flow is shown when at least the privacy floor of people gave it and "
        "as many received it over the period, and every other cell is hatched alike.",
    )


def _flow_matrix(key, title, rows, sides, names, note) -> FlowMatrix:
    """The flows of `rows` between the groups named in `names` ({id: name}): the ones with
    the most feedback shown, up to MAX_FLOW_TEAMS, listed by name."""
    giver, receiver = sides
    shown = [row for row in rows if row["team_flow_feedback_count"] is not None]
    volume: dict[str, int] = dict.fromkeys(names, 0)
    for row in shown:
        for group in (row[giver], row[receiver]):
            volume[group] = volume.get(group, 0) + row["team_flow_feedback_count"]
    ranked = sorted(volume, key=lambda group: (-volume[group], names.get(group, group), group))
    groups = sorted(ranked[:MAX_FLOW_TEAMS], key=lambda group: (names.get(group, group), group))
    index = {group: position for position, group in enumerate(groups)}
    cells = {
        (index[row[giver]], index[row[receiver]]): Value(row["team_flow_feedback_count"])
        for row in shown
        if row[giver] in index and row[receiver] in index
    }
    return FlowMatrix(
        key=key,
        title=title,
        unit="feedback items from the giving group (rows) to the receiving group (columns)",
        teams=[names.get(group, group) for group in groups],
        cells=cells,
        hidden_teams=len(ranked) - len(groups),
        note=note,
    )


def _value(row: Row, metric: str) -> Value:
    """The metric's value; null is withheld: the metric returns null below the floor, and
    over no one (the two must look alike)."""
    value = row.get(metric)
    return Value(value) if value is not None else Value(None, suppressed=True)


def _add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)
