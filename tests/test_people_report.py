"""The report's calibration, managers, departments and leavers sections: written by the
report's CLI from the shared warehouse (tests/support/semantic.py, floor 3), read as HTML,
and rendered in headless Chromium. What they show and withhold is recomputed from the
simulator's records (tests/support/people_truth.py)."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import datetime

import pytest

from tests.support.chromium import find_chromium, render
from tests.support.people_truth import (
    expected_coverage,
    expected_distribution,
    home_departments,
)
from tests.support.semantic import FLOOR, MetricsWarehouse
from tests.test_report import run_report

FIGURES = (
    "rating-distribution",
    "manager-spread",
    "rating-gaps",
    "manager-coverage",
    "manager-every-report",
    "leavers",
)


@pytest.fixture
def people_report(duckdb_metrics_warehouse: MetricsWarehouse):
    built = duckdb_metrics_warehouse
    path = built.workdir / "people_report" / "engagement.html"
    if not path.exists():
        completed = run_report(built.process_env(), "--output", str(path))
        assert completed.returncode == 0, completed.stdout + completed.stderr
    return built, path


def _figure(page: str, key: str) -> str:
    match = re.search(rf'<figure class="people" id="{key}".*?</figure>', page, re.S)
    assert match, f"no figure {key}"
    return match.group(0)


def _withheld(fragment: str) -> int:
    return fragment.count('class="mark suppressed withheld"')


def test_people_sections_show_what_the_source_allows(people_report):
    built, path = people_report
    page = path.read_text()
    assert "<script" not in page.lower()
    for key in FIGURES:
        _figure(page, key)
    # the distribution: as many withheld cells as the source has below the floor, in the
    # cycles that end within the period
    shown_cycles = set(re.findall(r"<tr><td>([^<]*) \([a-z0-9]+\), [a-z_]+</td>", page))
    names = {review["id"]: html.escape(review["name"]) for review in built.records["reviews"]}
    expected = expected_distribution(built.records)
    # a row (cycle and relationship) that withholds a count withholds its zeros too
    shown_cells = Counter()
    rows_withholding = set()
    for (review, relationship, _), (count, _) in expected.items():
        if names[review] in shown_cycles:
            shown_cells[(review, relationship)] += count is not None
            if count is None:
                rows_withholding.add((review, relationship))
    withheld = sum(5 - shown_cells[row] for row in rows_withholding)
    assert withheld > 0 and _withheld(_figure(page, "rating-distribution")) == withheld
    # manager coverage: one row per month of the period, withheld where the source has
    # fewer people than the floor
    rows = re.findall(
        r'<tr><td>(\w{3} \d{4})</td><td class="([^"]*)">([^<]*)</td></tr>',
        _figure(page, "manager-coverage"),
    )
    assert rows
    months = [datetime.strptime(label, "%b %Y").date() for label, _, _ in rows]
    coverage = expected_coverage(built.records, months)
    for (label, classes, text), month in zip(rows, months, strict=True):
        value = coverage[month]
        assert ("suppressed" in classes) == (value is None), label
        if value is not None:
            assert text == f"{value * 100:.0f}%", (label, text, value)
    # one page per department with months in the window, named as in the source
    departments = set(
        re.findall(r'<details class="department"[^>]*><summary>([^<]*)</summary>', page)
    )
    assert departments and departments <= {
        html.escape(name) for name in home_departments(built.records).values()
    }
    assert f"fewer than {FLOOR} people" in page
    assert _withheld(_figure(page, "leavers")) > 0


def test_chromium_draws_the_people_sections_offline(people_report):
    browser = find_chromium()
    _, path = people_report
    rendering = render(browser, path, selector="figure.people")
    screenshot = path.with_suffix(".png")
    screenshot.write_bytes(rendering.screenshot)
    assert rendering.requests == [path.resolve().as_uri()]
    figures = {figure.key: figure for figure in rendering.charts}
    assert set(figures) == set(FIGURES)
    page = path.read_text()
    for key, figure in figures.items():
        assert figure.width > 0 and figure.height > 0, f"{key} has no size"
        assert figure.drawn > 0, f"{key} drew nothing"
        assert rendering.inked_share(figure) > 0.02, f"{key} is blank ({screenshot})"
        assert figure.suppressed == _withheld(_figure(page, key)), key
