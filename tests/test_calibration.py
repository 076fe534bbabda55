"""Issue 22's figures (calibration, managers, departments, leavers), end to end, on DuckDB
and on PostgreSQL, each recomputed in Python from the simulator's records.

The warehouse is the semantic-layer tests' (tests/support/semantic.py: the small
organisation with a team below the floor, loaded by the CLI, built with the floor at 3).
One load, so every user has one version: their current record, in force at all times.
- `review_rating_distribution` (SQL) equals the answers counted per review, relationship
  and rating, withheld below the floor and complementarily;
- `self_manager_rating_gap` and `manager_feedback_coverage` (through MetricFlow) equal the
  issue's definitions applied to the records, and are null exactly where fewer people
  than the floor stand behind them;
- the other marts (leniency, drift, managers' quarters, departments, leavers) equal their
  documented rules, and show no figure resting on fewer people than the floor.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from statistics import mean
from typing import Any

from tests.support.checks import assert_every_check
from tests.support.dbt import PROJECT_VARS, Warehouse, expected_marts, month_of
from tests.support.people_truth import (
    department_headcounts,
    expected_coverage,
    expected_distribution,
    expected_gap,
    expected_quarters,
    home_departments,
    managed_user_months,
    manager_feedback,
    rated_answers,
)
from tests.support.pipeline import as_instant
from tests.support.semantic import FLOOR, MetricsWarehouse, build_metrics_warehouse

MONTH = "metric_time__month"
REVIEW = "review__review_name"
DEPARTMENT = "review_rating_gap__reviewee_department"


# ------------------------------------------------------------------------------ checks


def check_distribution_matches_the_source(built: MetricsWarehouse, answers) -> None:
    rows = built.warehouse.mart("review_rating_distribution")
    actual = {
        (row["review_id"], row["relationship"], row["rating"]): (
            row["answers_count"],
            row["raters_count"],
        )
        for row in rows
    }
    expected = expected_distribution(built.records)
    assert actual == expected, _first_differences(actual, expected)
    shown = [row for row in rows if row["answers_count"] is not None]
    withheld = [row for row in rows if row["answers_count"] is None]
    assert shown and withheld, f"{len(shown)} cells shown, {len(withheld)} withheld"
    assert all(row["raters_count"] >= FLOOR for row in shown)
    assert all(row["is_suppressed"] == (row["answers_count"] is None) for row in rows)


def check_self_manager_gap_matches_the_source(built: MetricsWarehouse, answers) -> None:
    actual = {row[REVIEW]: row["self_manager_rating_gap"] for row in answers[REVIEW]}
    expected = expected_gap(built.records, "self")
    assert any(value is not None for value in expected.values())
    _assert_close({k: v for k, v in actual.items() if k in expected}, expected, "self gap")
    assert all(actual[name] is None for name in set(actual) - set(expected))
    # by the other dimension it offers, where departments fall on both sides of the floor
    by_department = {
        (row[REVIEW], row[DEPARTMENT]): row["self_manager_rating_gap"]
        for row in answers[(REVIEW, DEPARTMENT)]
    }
    expected = expected_gap(built.records, "self", home_departments(built.records))
    assert any(value is None for value in expected.values()), "no group below the floor"
    _assert_close(
        {k: v for k, v in by_department.items() if k in expected}, expected, "by department"
    )


def check_peer_manager_gap_matches_the_source(built: MetricsWarehouse, answers) -> None:
    actual = {row[REVIEW]: row["peer_manager_rating_gap"] for row in answers[REVIEW]}
    expected = expected_gap(built.records, "peer")
    _assert_close({k: v for k, v in actual.items() if k in expected}, expected, "peer gap")
    assert all(actual[name] is None for name in set(actual) - set(expected))


def check_coverage_matches_the_source(built: MetricsWarehouse, answers) -> None:
    actual = {row[MONTH]: row["manager_feedback_coverage"] for row in answers[MONTH]}
    months = sorted(actual)
    last_feedback = max(month for month, _, _ in manager_feedback(built.records))
    assert months and months[-1] >= last_feedback, "months with feedback are missing"
    expected = expected_coverage(built.records, months)
    assert any(value for value in expected.values())
    _assert_close(actual, expected, "manager_feedback_coverage")


def check_quarters_match_the_source(built: MetricsWarehouse, answers) -> None:
    rows = built.warehouse.mart("manager_feedback_quarterly")
    actual = {
        (row["manager_id"], row["quarter"]): row["gave_feedback_to_every_report"] for row in rows
    }
    months = sorted({row[MONTH] for row in answers[MONTH]})
    expected = expected_quarters(built.records, months)
    assert actual == expected, _first_differences(actual, expected)
    share = {row["metric_time__quarter"]: row for row in answers["metric_time__quarter"]}
    for quarter, row in share.items():
        managers = [value for (_, q), value in expected.items() if q == quarter]
        wanted = sum(managers) / len(managers) if len(managers) >= FLOOR else None
        _assert_close(
            {quarter: row["managers_covering_every_report_share"]}, {quarter: wanted}, "share"
        )


def check_leniency_matches_the_source(built: MetricsWarehouse, answers) -> None:
    """Manager rows: each manager with at least the floor of reviewees in a review, their
    mean over reviewees of the mean rating they gave, minus the review's mean of those."""
    reviewee_ratings = defaultdict(list)
    for answer in rated_answers(built.records):
        if answer["relationship"] == "manager":
            key = (answer["review_id"], answer["rater"], answer["recipient_id"])
            reviewee_ratings[key].append(answer["rating"])
    by_manager, by_review = defaultdict(list), defaultdict(list)
    for (review, manager, _), values in reviewee_ratings.items():
        by_manager[(review, manager)].append(mean(values))
        by_review[review].append(mean(values))
    expected = {
        key: (len(values), round(mean(values) - mean(by_review[key[0]]), 4))
        for key, values in by_manager.items()
        if len(values) >= FLOOR
    }
    rows = built.warehouse.mart("manager_rating_leniency")
    actual = {
        (row["review_id"], row["manager_id"]): (row["reviewees_count"], _number(row["deviation"]))
        for row in rows
        if row["group_type"] == "manager"
    }
    assert expected, "no manager with enough reviewees"
    assert set(actual) == set(expected)
    for key, (count, deviation) in expected.items():
        shown = actual[key][1]
        assert actual[key][0] == count and shown is not None, key
        assert abs(shown - deviation) < 1.5e-4, key
    pooled = sum(row["reviewees_count"] for row in rows if row["group_type"] == "department") + sum(
        count for count, _ in expected.values()
    )
    assert pooled == len(reviewee_ratings), "every reviewee counts once, in a row or a pool"
    for row in rows:
        shown = row["mean_rating"] is not None
        assert shown == (row["reviewees_count"] >= FLOOR), row
        if shown and row["rating_sd"] is not None:
            assert row["deviation_low"] <= row["deviation"] <= row["deviation_high"]


def check_drift_matches_the_source(built: MetricsWarehouse, answers) -> None:
    reviews = {review["id"]: review for review in built.records["reviews"]}
    ratings, raters = defaultdict(list), defaultdict(set)
    for answer in rated_answers(built.records):
        key = (answer["review_id"], answer["relationship"])
        ratings[key].append(answer["rating"])
        raters[key].add(answer["rater"])
    shown = {
        key: round(mean(values) + 1e-9, 2) if len(raters[key]) >= FLOOR else None
        for key, values in ratings.items()
    }
    rows = {
        (row["review_id"], row["relationship"]): row
        for row in built.warehouse.mart("review_rating_drift")
    }
    assert set(rows) == set(shown)
    for key, row in rows.items():
        value = None if row["mean_rating"] is None else float(row["mean_rating"])
        assert (value is None) == (shown[key] is None), key
        assert value is None or abs(value - shown[key]) <= 0.005 + 1e-9, key  # two places
        earlier = [
            other
            for other in shown
            if shown[key] is not None
            and shown[other] is not None
            and other[1] == key[1]
            and reviews[other[0]]["type"] == reviews[key[0]]["type"]
            and as_instant(reviews[other[0]]["startAt"]) < as_instant(reviews[key[0]]["startAt"])
        ]
        previous = max(
            earlier, key=lambda other: as_instant(reviews[other[0]]["startAt"]), default=None
        )
        assert row["previous_review_id"] == (previous[0] if previous else None), key


def check_departments_match_the_source(built: MetricsWarehouse, answers) -> None:
    """Each department's head count: people whose deepest team sits under it, active in
    the month; rates null below the floor."""
    rows = built.warehouse.mart("department_engagement_monthly")
    expected = department_headcounts(built.records, sorted({row["month"] for row in rows}))
    actual = {(row["department_name"], row["month"]): row["active_headcount"] for row in rows}
    assert actual == dict(expected), _first_differences(actual, dict(expected))
    assert all(row["is_below_floor"] == (row["active_headcount"] < FLOOR) for row in rows)
    assert all(row["givers_share"] is None for row in rows if row["is_below_floor"])
    # a team-month below the floor still counts, in its department's month above it
    departments = {
        row["team_id"]: row["department_team_id"]
        for row in built.warehouse.mart("int_teams__departments", "analytics_intermediate")
    }
    shown = {(row["department_team_id"], row["month"]) for row in rows if not row["is_below_floor"]}
    small = [
        row
        for row in built.warehouse.mart("team_engagement_monthly")
        if 0 < row["active_headcount"] < FLOOR
        and departments[row["team_id"]] != row["team_id"]
        and (departments[row["team_id"]], row["month"]) in shown
    ]
    assert small, "no team-month below the floor inside a department above it"


def check_leavers_match_the_source(built: MetricsWarehouse, answers) -> None:
    """The organisation's rows: leavers (deactivated now) and stayers (active now) and the
    feedback they received over their six months' window."""
    users = built.records["users"]
    last_month = max(row[MONTH] for row in answers[MONTH])
    windows = {}
    for user in users:
        if user["status"] == "deactivated":
            end = month_of(as_instant(user["deactivatedAt"]))
        elif user["status"] == "active":
            end = last_month
        else:
            continue
        start = end
        for _ in range(6):
            start = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
        windows[user["id"]] = (user["status"] == "deactivated", start, end)
    rows = {
        (row["cohort"], row["breakdown"], row["group_name"]): row
        for row in built.warehouse.mart("leaver_comparison")
    }
    leavers = [user for user, (left, _, _) in windows.items() if left]
    assert len(leavers) >= FLOOR
    row = rows[("leaver", "organisation", "everyone")]
    assert row["is_suppressed"] is False
    # people seen in their window (created before its end), as the mart counts them
    created = {user["id"]: month_of(as_instant(user["createdAt"])) for user in users}
    seen = [user for user in leavers if created[user] < windows[user][2]]
    assert row["people_count"] == len(seen)
    for row in rows.values():
        if row["people_count"] is not None:
            assert row["people_count"] >= FLOOR, row
    assert any(row["is_suppressed"] for row in rows.values()), "nothing withheld"


def check_effectiveness_matches_the_source(built: MetricsWarehouse, answers) -> None:
    """Each shown manager-quarter's four shares, recomputed: feedback to reports (the
    quarters' recomputation), requests to them answered, their manager review tasks of
    closed reviews done by the end, their reports' active months (engagement_status as
    tests/support/dbt.py recomputes it); the score weighs those present by the vars."""
    records = built.records
    months = sorted({row[MONTH] for row in answers[MONTH]})
    weights = PROJECT_VARS["manager_effectiveness_weights"]
    managed = managed_user_months(records, months)
    statuses = expected_marts(records, [records["users"]]).user_months
    given = manager_feedback(records)
    shares: dict[tuple[str, date], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    reached: dict[tuple[str, date], dict[str, bool]] = defaultdict(dict)
    for month, managers in managed.items():
        for user, manager in managers.items():
            key = (manager, quarter_of(month))
            reached[key][user] = reached[key].get(user, False) or (month, manager, user) in given
            if (user, month) in statuses:  # the mart's months of the user
                status = statuses[(user, month)]["engagement_status"]
                shares[key]["team_participation"].append(status == "active")
    for key, users in reached.items():
        shares[key]["feedback_to_reports"] = list(users.values())
    for request in records["feedback_requests"]:
        quarter = quarter_of(month_of(as_instant(request["createdAt"])))
        for recipient in request["recipients"]:
            shares[(recipient["userId"], quarter)]["request_responsiveness"].append(
                recipient["status"] == "answered"
            )
    reviews = {review["id"]: review for review in records["reviews"]}
    for task in records["review_participants"]:
        review = reviews[task["reviewId"]]
        if task["relationship"] == "manager" and review["status"] == "closed":
            quarter = quarter_of(month_of(as_instant(review["endAt"])))
            on_time = task["status"] == "completed" and as_instant(
                task["completedAt"]
            ) <= as_instant(review["endAt"])
            shares[(task["reviewerId"], quarter)]["on_time_reviews"].append(on_time)
    rows = built.warehouse.mart("manager_effectiveness")
    assert {(row["manager_id"], row["quarter"]) for row in rows} == set(reached)
    shown = 0
    for row in rows:
        key = (row["manager_id"], row["quarter"])
        assert row["span_of_control"] == len(reached[key])
        if len(reached[key]) < FLOOR:
            assert row["effectiveness_score"] is None and row["is_suppressed"], key
            continue
        shown += 1
        present = {name: sum(v) / len(v) for name, v in shares[key].items() if v}
        for name in weights:
            assert _number(row[name]) == _rounded(present.get(name)), (key, name)
        score = sum(weights[n] * _rounded(v) for n, v in present.items()) / sum(
            weights[n] for n in present
        )
        assert abs(float(row["effectiveness_score"]) - score) < 1.5e-4, key
    assert shown, "no manager with a span of control at the floor"


def quarter_of(month: date) -> date:
    return date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)


def _rounded(value: float | None) -> float | None:
    """To four places, half up, as impraise_safe_divide rounds."""
    return None if value is None else math.floor(value * 10**4 + 0.5) / 10**4


# ----------------------------------------------------------------------------- helpers


def _assert_close(actual: dict, expected: dict, what: str) -> None:
    assert set(actual) == set(expected), f"{what}: keys differ {set(actual) ^ set(expected)}"
    wrong = {
        key: (actual[key], expected[key])
        for key in expected
        if (actual[key] is None) != (expected[key] is None)
        or (expected[key] is not None and abs(float(actual[key]) - expected[key]) > 1e-5)
    }
    assert not wrong, f"{what}: {dict(list(wrong.items())[:5])}"


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _first_differences(actual: dict, expected: dict) -> str:
    keys = sorted(set(actual) | set(expected), key=str)
    return str(
        [
            (key, actual.get(key), expected.get(key))
            for key in keys
            if actual.get(key) != expected.get(key)
        ][:5]
    )


CHECKS = (
    check_distribution_matches_the_source,
    check_self_manager_gap_matches_the_source,
    check_peer_manager_gap_matches_the_source,
    check_coverage_matches_the_source,
    check_quarters_match_the_source,
    check_leniency_matches_the_source,
    check_drift_matches_the_source,
    check_departments_match_the_source,
    check_leavers_match_the_source,
    check_effectiveness_matches_the_source,
)


def ask(built: MetricsWarehouse) -> dict[Any, list[dict]]:
    queries = {
        REVIEW: [
            "self_manager_rating_gap",
            "peer_manager_rating_gap",
            "unfloored_self_manager_gap_people",
        ],
        (REVIEW, DEPARTMENT): ["self_manager_rating_gap"],
        MONTH: ["manager_feedback_coverage", "unfloored_managed_people"],
        "metric_time__quarter": [
            "managers_covering_every_report_share",
            "unfloored_managers_with_reports",
        ],
    }
    rows = built.query(
        *(
            {"metrics": metrics, "group_by": list(group) if isinstance(group, tuple) else [group]}
            for group, metrics in queries.items()
        )
    )
    return dict(zip(queries, rows, strict=True))


def _run_checks(built: MetricsWarehouse) -> None:
    assert_every_check(CHECKS, built, ask(built))


def test_calibration_managers_and_leavers_on_duckdb(duckdb_metrics_warehouse):
    _run_checks(duckdb_metrics_warehouse)


def test_calibration_managers_and_leavers_on_postgres(postgres, tmp_path):
    warehouse = Warehouse("postgres", pg_env=postgres.create_database("impraise_calibration"))
    _run_checks(build_metrics_warehouse(warehouse, tmp_path))
