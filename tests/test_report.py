"""The engagement report: built by its CLI from a real warehouse, read as HTML, and rendered
in headless Chromium.

The warehouse is the small organisation built with the privacy floor at 3
(tests/support/semantic.py), shared with tests/test_metrics.py. What the report must
withhold is recomputed from the simulator's records (tests/support/dbt.py), never assumed.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.chromium import find_chromium, render
from tests.support.dbt import expected_marts
from tests.support.pipeline import REPO_ROOT
from tests.support.semantic import FLOOR, MetricsWarehouse

MONTHS = 24  # the report's default period
CHARTS = (
    "participation",
    "volume",
    "relationships",
    "response-rate",
    "first-answer",
    "cycles",
    "review-relationships",
    "teams",
    "giving-back",
    "flows",
)


@dataclass(frozen=True)
class BuiltReport:
    path: Path
    html: str
    stdout: str
    built: MetricsWarehouse


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


def _rows(report_html: str, chart: str) -> dict[str, bool]:
    """{row label: whether it is withheld} of one chart's rows."""
    match = re.search(rf'<svg class="chart" data-chart="{chart}".*?</svg>', report_html, re.S)
    assert match, f"no chart {chart}"
    rows = re.findall(r'<g class="row" data-label="([^"]*)">(.*?)</g>', match.group(0), re.S)
    return {html.unescape(label): 'class="mark suppressed"' in body for label, body in rows}


def _expected_team_suppression(built: MetricsWarehouse) -> dict[str, bool]:
    """{team name: withheld} for the teams with members in the report's period: withheld
    when the team had fewer active members than the floor in every month of it."""
    records = built.records
    expected = expected_marts(records, [records["users"]])
    active_months = [
        month for (_, month), row in expected.user_months.items() if row["is_account_active"]
    ]
    last = max(active_months)
    first_index = last.year * 12 + last.month - MONTHS
    first = type(last)(first_index // 12, first_index % 12 + 1, 1)
    names = {team["id"]: team["name"] for team in records["teams"]}
    largest: dict[str, int] = {}
    for (team_id, month), row in expected.team_months.items():
        if first <= month <= last:
            largest[team_id] = max(largest.get(team_id, 0), row["active_headcount"])
    return {names[team_id]: size < FLOOR for team_id, size in largest.items()}


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


def test_report_withholds_small_teams_and_states_the_floor(report):
    assert f"fewer than <strong>{FLOOR}</strong> people" in report.html
    expected = _expected_team_suppression(report.built)
    assert any(expected.values()) and not all(expected.values()), (
        "the test organisation needs teams on both sides of the floor"
    )
    assert _rows(report.html, "teams") == expected


def test_chromium_draws_every_chart_offline(report):
    browser = find_chromium()
    rendering = render(browser, report.path)
    screenshot = report.path.with_suffix(".png")
    screenshot.write_bytes(rendering.screenshot)
    # only the page itself was requested: no font, style, script or image from anywhere
    assert rendering.requests == [report.path.resolve().as_uri()]
    charts = {chart.key: chart for chart in rendering.charts}
    assert set(charts) == set(CHARTS)
    expected = _expected_team_suppression(report.built)
    for key, chart in charts.items():
        assert chart.width > 0 and chart.height > 0, f"{key} has no size"
        assert chart.drawn > 0, f"{key} drew nothing"
        # more than axes and labels: at least 2% of the chart's pixels are inked
        assert rendering.inked_share(chart) > 0.02, f"{key} is blank ({screenshot})"
    assert charts["teams"].suppressed == sum(expected.values())


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
