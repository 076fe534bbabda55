"""The engagement report: built by its CLI from a real warehouse, read as HTML, and rendered
in headless Chromium.

The warehouse is the small organisation built with the privacy floor at 3
(tests/support/semantic.py), shared with tests/test_metrics.py. What the report must show
and withhold is recomputed from the simulator's records (tests/support/report_truth.py),
never read from the warehouse or assumed.
"""

from __future__ import annotations

import functools
import html
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.support.chromium import find_chromium, render
from tests.support.people import departments
from tests.support.pipeline import REPO_ROOT, as_instant
from tests.support.report_truth import ReportTruth, Window
from tests.support.semantic import FLOOR, MetricsWarehouse

CHARTS = (
    "participation",
    "recognition",
    "volume",
    "relationships",
    "response-rate",
    "request-outcomes",
    "first-answer",
    "cycles",
    "review-relationships",
    "teams",
    "giving-back",
    "department-flows",
    "flows",
)
# Each monthly chart's series: {metric: the label the report gives it}.
MONTHLY_SERIES = {
    "participation": {
        "participation_rate": "Gave, asked for or answered feedback",
        "giving_rate": "Gave feedback",
        "asking_rate": "Asked for feedback",
    },
    "recognition": {"users_without_feedback_3_months_share": "No feedback received for 3 months"},
    "volume": {"praise_count": "Praise", "tip_count": "Tips", "answer_count": "Answers"},
    "response-rate": {"feedback_request_response_rate": "Answered"},
    "request-outcomes": {
        "feedback_request_response_rate": "Answered",
        "feedback_request_decline_rate": "Declined",
        "feedback_request_expiry_rate": "Expired",
        "feedback_request_pending_rate": "Not answered yet",
    },
    "first-answer": {"median_days_to_first_answer": "Median days"},
}
TEAM_COLUMNS = {
    "Feedback per member a month": "team_feedback_per_head",
    "Members giving feedback a month": "team_givers_share",
    "Request response rate": "team_request_response_rate",
    "Review completion": "team_review_completion_rate",
}


@dataclass(frozen=True)
class BuiltReport:
    path: Path
    html: str
    stdout: str
    built: MetricsWarehouse

    @functools.cached_property
    def truth(self) -> ReportTruth:
        return ReportTruth(self.built.records, FLOOR)


def run_report(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "impraise_report", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def report(duckdb_metrics_warehouse: MetricsWarehouse) -> BuiltReport:
    """The report of the shared warehouse, written by its CLI once per run."""
    built = duckdb_metrics_warehouse
    path = built.workdir / "reports" / "engagement.html"
    log = path.with_suffix(".out")
    if not path.exists():
        completed = run_report(built.process_env(), "--output", str(path))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        log.write_text(completed.stdout)
    return BuiltReport(path, path.read_text(), log.read_text(), built)


def _chart(report_html: str, chart: str) -> str:
    match = re.search(rf'<svg class="chart" data-chart="{chart}".*?</svg>', report_html, re.S)
    assert match, f"no chart {chart}"
    return match.group(0)


def _cells(report_html: str, chart: str) -> tuple[set[str], set[str]]:
    """(withheld, shown) cells of a chart, by the names its marks give them."""
    withheld, shown = set(), set()
    for css, names in re.findall(
        r'class="(mark[^"]*)" data-cells="([^"]*)"', _chart(report_html, chart)
    ):
        cells = {html.unescape(name) for name in names.split(";")}
        (withheld if "suppressed" in css else shown).update(cells)
    return withheld, shown


def _headlines(report_html: str) -> dict[str, tuple[float | None, float | None]]:
    """{metric: (value, previous value)} of the headlines; None where withheld or absent."""
    figures = {}
    for tag in re.findall(r'<div class="headline(?: suppressed)?" [^>]*>', report_html):
        attributes = dict(re.findall(r'data-(\w+)="([^"]*)"', tag))
        value, previous = attributes.get("value"), attributes.get("previous")
        figures[attributes["metric"]] = (
            None if value is None else float(value),
            None if previous is None else float(previous),
        )
    return figures


def _same(answered: float | None, expected: float | None) -> bool:
    if answered is None or expected is None:
        return answered is expected
    return answered == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_report_is_self_contained_and_names_nobody(report):
    assert str(report.path) in report.stdout
    page = report.html
    assert "<script" not in page.lower()
    # nothing that would make a browser fetch: no src, no link, no import, no external url()
    assert not re.search(r"\s(src|href|srcset)\s*=", page, re.I)
    assert "@import" not in page
    assert set(re.findall(r"url\(([^)]*)\)", page)) <= {f"#{chart}-hatch" for chart in CHARTS}
    assert "default-src 'none'" in page
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in page, chart
    for user in report.built.records["users"]:
        for private in (user["name"], user["email"]):
            for form in {private, html.escape(private)}:
                assert form.lower() not in page.lower(), f"a user's name or email: {private}"


def test_report_states_how_far_the_data_reaches(report):
    truth = report.truth
    reach = re.search(r'data-reach="([^"]*)"', report.html).group(1)
    assert datetime.fromisoformat(reach).replace(tzinfo=UTC) == truth.reach
    assert f"{truth.period.first:%b %Y} \N{EN DASH} {truth.period.last:%b %Y}" in report.html
    assert truth.partial_month is not None, "the test organisation's data ends inside a month"
    assert f"{truth.partial_month:%B %Y} is partial" in report.html
    for chart in MONTHLY_SERIES:
        svg = _chart(report.html, chart)
        assert 'class="partial"' in svg, f"{chart} does not draw its partial month"
    # the partial month's figures are drawn (pale), never in the headlines' period
    assert f"{truth.partial_month:%Y-%m}|" in " ".join(_cells(report.html, "volume")[1])


def test_headlines_equal_the_figures_recomputed_from_the_records(report):
    truth = report.truth
    answered = _headlines(report.html)
    now, before = truth.headlines(truth.headline), truth.headlines(truth.previous)
    assert set(answered) == set(now)
    wrong = {
        metric: (answered[metric], (now[metric], before[metric]))
        for metric in now
        if not (
            _same(answered[metric][0], now[metric]) and _same(answered[metric][1], before[metric])
        )
    }
    assert not wrong, f"(answered, expected) now and before: {wrong}"
    assert sum(value is not None for value in now.values()) >= 8, now


def test_every_chart_withholds_exactly_the_cells_below_the_floor(report):
    truth, page = report.truth, report.html
    failures = []

    def compare(chart: str, expected: set[str], allowed_extra: int = 0) -> None:
        withheld, shown = _cells(page, chart)
        missing = expected - withheld
        extra = withheld - expected
        if missing or len(extra) != allowed_extra or withheld & shown:
            failures.append(
                f"{chart}: not withheld {sorted(missing)[:4]}, extra {sorted(extra)[:4]}"
            )

    for chart, series in MONTHLY_SERIES.items():
        expected = truth.monthly_withheld(series)
        extra = 0
        if chart == "volume":
            # complementary suppression: one cell withheld in the headline months draws another
            inside = [c for c in expected if c.split("|")[0] <= f"{truth.period.last:%Y-%m}"]
            extra = int(len(inside) == 1)
        compare(chart, expected, extra)
    period, reviews = truth.period, truth.review_window(truth.period)
    shares = {
        "relationships": {
            "Manager to report": "manager_feedback_share",
            "Report to manager": "upward_feedback_share",
            "Between peers": "peer_feedback_share",
            "Across teams": "cross_team_feedback_share",
        },
        "giving-back": {
            "Feedback across teams": "cross_team_feedback_share",
            "Giver-receiver pairs where feedback came back": "reciprocity_rate",
        },
    }
    for chart, labels in shares.items():
        compare(chart, {label for label, m in labels.items() if truth.is_withheld(m, period)})
    kinds = {"Self review": "self", "Manager": "manager", "Peer": "peer"}
    kinds |= {"Direct report": "direct_report", "External": "external"}
    drawn = set.union(*_cells(page, "review-relationships"))
    withheld_kinds = {
        label
        for label in drawn
        if truth.is_withheld(
            "review_completion_rate", reviews, review_task__relationship=kinds[label]
        )
    }
    compare("review-relationships", withheld_kinds)
    # cycles are asked from the period's start on, running ones included
    from_start = Window(period.first, date.max.replace(day=1), date.max)
    cycles = set()
    for review in report.built.records["reviews"]:
        end = as_instant(review["endAt"])
        if end is None or end.date() < period.first:
            continue
        label = review["name"] + (" (in progress)" if end > truth.reach else "")
        if truth.is_withheld("review_completion_rate", from_start, review=review["id"]):
            cycles.add(label)
    compare("cycles", cycles)
    teams = {team["id"]: team["name"] for team in report.built.records["teams"]}
    team_cells = set()
    for team_id, name in teams.items():
        for heading, metric in TEAM_COLUMNS.items():
            if truth.is_withheld(metric, period, team=team_id):
                team_cells.add(f"{name}|{heading}")
    withheld, shown = _cells(page, "teams")
    drawn_teams = {cell.split("|")[0] for cell in withheld | shown}
    compare("teams", {cell for cell in team_cells if cell.split("|")[0] in drawn_teams})
    flow_withheld, flow_shown = _cells(page, "flows")
    drawn = {cell.split("|")[0] for cell in flow_withheld | flow_shown}
    assert flow_shown, "the period's flows show nothing"
    flows = set()
    for giver, giver_name in teams.items():
        for receiver, receiver_name in teams.items():
            if {giver_name, receiver_name} <= drawn and truth.is_withheld(
                "team_flow_feedback_count",
                period,
                team_flow__giver_team_id=giver,
                team_flow__receiver_team_id=receiver,
            ):
                flows.add(f"{giver_name}|{receiver_name}")
    department_withheld, department_shown = _cells(page, "department-flows")
    # complementary suppression: a shown department pair whose drawn team cells hold
    # exactly one below the floor withholds one more
    department = {teams[t]: d for t, d in departments(report.built.records).items()}
    blocks: dict[str, int] = {}
    for cell in flow_withheld | flow_shown:
        giver_name, receiver_name = cell.split("|")
        pair = f"{department[giver_name]}|{department[receiver_name]}"
        if pair in department_shown:
            blocks[pair] = blocks.get(pair, 0) + (cell in flows)
    compare("flows", flows, sum(1 for count in blocks.values() if count == 1))
    assert department_shown, "the period's flows between departments show nothing"
    named = {cell.split("|")[0] for cell in department_withheld | department_shown}
    compare(
        "department-flows",
        {
            f"{giver}|{receiver}"
            for giver in named
            for receiver in named
            if truth.is_withheld(
                "team_flow_feedback_count",
                period,
                team_flow__giver_department_name=giver,
                team_flow__receiver_department_name=receiver,
            )
        },
    )
    assert not failures, "\n".join(failures)


def test_the_volume_chart_draws_each_kind_from_the_records(report):
    """Praise, tips and answers by month, each from its own records (a swap fails)."""
    truth = report.truth
    svg = _chart(report.html, "volume")
    for label, kind in (("Praise", "praise"), ("Tips", "tip"), ("Answers", "feedback")):
        expected = truth.monthly_values(kind)
        drawn = {
            date(int(year), int(month), 1): int(value.replace(",", ""))
            for year, month, value in re.findall(
                rf'data-cells="(\d{{4}})-(\d{{2}})\|{label}"[^>]*><title>[^<]*: ([\d,]+)', svg
            )
        }
        assert drawn, f"no {label} drawn"
        wrong = {
            month: (n, expected.get(month))
            for month, n in drawn.items()
            if n != expected.get(month)
        }
        assert not wrong, f"{label}: (drawn, expected) {wrong}"


def test_chromium_draws_every_chart_offline(report):
    browser = find_chromium()
    rendering = render(browser, report.path)
    screenshot = report.path.with_suffix(".png")
    screenshot.write_bytes(rendering.screenshot)
    # only the page itself was requested: no font, style, script or image from anywhere
    assert rendering.requests == [report.path.resolve().as_uri()]
    charts = {chart.key: chart for chart in rendering.charts}
    assert set(charts) == set(CHARTS)
    for key, chart in charts.items():
        # no chart squashed: the smallest, a bar chart of two bars, is 78 px tall
        assert chart.width > 0 and chart.height >= 60, f"{key} is {chart.height} px tall"
        assert chart.drawn > 0, f"{key} drew nothing"
        # more than axes and labels: at least 1% of the chart's pixels are inked (the
        # time to first answer of the small test organisation draws about 2%)
        assert rendering.inked_share(chart) > 0.01, f"{key} is blank ({screenshot})"
        # the browser drew every withheld mark the page holds
        hatched = _chart(report.html, key).count('class="mark suppressed"')
        assert chart.suppressed == hatched, f"{key}: {chart.suppressed} of {hatched} drawn"


def test_report_explains_a_missing_warehouse(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "IMPRAISE_DESTINATION": "duckdb",
        "IMPRAISE_DUCKDB_PATH": str(tmp_path / "absent.duckdb"),
    }
    completed = run_report(env, "--output", str(tmp_path / "report.html"))
    assert completed.returncode == 1
    lines = completed.stdout.strip().splitlines()
    assert len(lines) == 1 and "no warehouse at" in lines[0] and "absent.duckdb" in lines[0]
    assert not (tmp_path / "absent.duckdb").exists()
    assert not (tmp_path / "report.html").exists()
