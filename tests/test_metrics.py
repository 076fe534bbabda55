"""The semantic layer and the feedback network, end to end, on DuckDB and on PostgreSQL.

The simulator's small organisation is loaded and built (tests/support/semantic.py, privacy
floor 3). Then:
- `mf query --metrics feedback_count --group-by metric_time__month` answers, run as the
  README documents it, and every metric answers through MetricFlow;
- `feedback_count` and `feedback_request_response_rate` equal, month by month, the figures
  recomputed from the simulator's records;
- each family of metrics equals the same figure recomputed in Python from the simulator's
  records, laid out as the mart it reads (so neither a metric nor its mart can drift from
  the documented definition);
- team_feedback_flows shows no count given (or received) by fewer than the floor of people,
  and its counts reconcile with fct_feedback and the simulator's team memberships.
"""

from __future__ import annotations

import csv
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.support.dbt import (
    Warehouse,
    expected_feedback_requests,
    expected_marts,
    month_of,
    rater_answers,
    user_versions,
    version_at,
)
from tests.support.people import facts_by_model
from tests.support.pipeline import REPO_ROOT, as_instant
from tests.support.semantic import FLOOR, MetricsWarehouse, build_metrics_warehouse

MF = Path(sys.executable).with_name("mf")
# rows answered by MetricFlow, by what they are grouped by
Answers = dict[str, list[dict]]
MONTH = "metric_time__month"
NAMED_METRICS = ("feedback_count", "feedback_request_response_rate")
MONTH_SLICE = 30  # metrics asked by month in one query


# --------------------------------------------------------------------------- the checks


def check_mf_cli_answers_from_the_repository_root(
    built: MetricsWarehouse, answers: Answers
) -> None:
    """The README's command, with the README's two variables (pointing at this build)."""
    output = built.workdir / "feedback_count.csv"
    command = ["query", "--metrics", "feedback_count", "--group-by", MONTH]
    completed = subprocess.run(
        [str(MF), *command, "--quiet", "--csv", str(output)],
        cwd=REPO_ROOT,
        env=built.process_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with output.open() as rows:
        answered = {
            date.fromisoformat(row[MONTH][:10]): int(row["feedback_count"])
            for row in csv.DictReader(rows)
        }
    _assert_same(answered, expected_feedback_count(built.records), "mf query feedback_count")


def check_every_metric_answers(built: MetricsWarehouse, answers: Answers) -> None:
    metrics = built.semantic_manifest["metrics"]
    names = sorted(metric["name"] for metric in metrics)
    assert set(NAMED_METRICS) <= set(names)
    assert len(names) >= 10
    undescribed = [metric["name"] for metric in metrics if not metric["description"].strip()]
    assert not undescribed, f"metrics without a description: {undescribed}"
    rows = answers[MONTH]
    assert rows, "no month answered"
    silent = [name for name in names if all(row.get(name) is None for row in rows)]
    assert not silent, f"metrics with no value in any month: {silent}"


def check_named_metrics_match_the_source(built: MetricsWarehouse, answers: Answers) -> None:
    for metric, expected in (
        ("feedback_count", expected_feedback_count(built.records)),
        ("feedback_request_response_rate", expected_response_rate(built.records)),
    ):
        _assert_same(_by(answers[MONTH], MONTH, metric), expected, metric)


def check_metrics_match_the_records(built: MetricsWarehouse, answers: Answers) -> None:
    """Each metric's unfloored ingredient, for every group (the floor is
    tests/test_privacy_floor.py's), against the figure recomputed from the simulator's
    records, laid out as the mart the metric reads (never the mart itself)."""
    marts = records_as_marts(built.records)
    failures = []
    for metric, group_by, mart, recompute in RECOMPUTATIONS:
        try:
            answered = _by(answers[group_by], group_by, _unfloored(built, metric))
            _assert_same(answered, recompute(marts[mart]), metric)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)


def check_flows_respect_the_floor(built: MetricsWarehouse, answers: Answers) -> None:
    rows = built.warehouse.mart("team_feedback_flows")
    shown = [row for row in rows if row["feedback_count"] is not None]
    withheld = [row for row in rows if row["feedback_count"] is None]
    # Both sides of the floor must be in the test organisation, or this proves nothing.
    assert shown and withheld, f"{len(shown)} flows shown, {len(withheld)} withheld"
    too_few = [row for row in shown if min(row["givers_count"], row["receivers_count"]) < FLOOR]
    assert not too_few, f"counts shown for fewer than {FLOOR} givers or receivers: {too_few[:3]}"
    assert all(min(row["givers_count"], row["receivers_count"]) < FLOOR for row in withheld)
    assert all(row["is_feedback_count_suppressed"] == (row in withheld) for row in rows)


def check_flows_reconcile_with_fct_feedback(built: MetricsWarehouse, answers: Answers) -> None:
    """Each flow recomputed from fct_feedback, crediting every item to the teams its giver and
    recipient were in when it was given (the simulator's users: one load, one version)."""
    history = user_versions([built.records["users"]])
    teams = {team["id"] for team in built.records["teams"]}
    items: Counter = Counter()
    givers: dict[tuple, set] = defaultdict(set)
    receivers: dict[tuple, set] = defaultdict(set)
    for row in built.warehouse.mart("fct_feedback"):
        if row["is_flagged"] or row["sender_id"] is None:
            continue
        at = as_instant(row["created_at"])
        giver = version_at(history, row["sender_id"], at)
        receiver = version_at(history, row["recipient_id"], at)
        if giver is None or receiver is None:
            continue
        for giver_team in set(giver.record["teamIds"]) & teams:
            for receiver_team in set(receiver.record["teamIds"]) & teams:
                key = (month_of(at), giver_team, receiver_team)
                items[key] += 1
                givers[key].add(row["sender_id"])
                receivers[key].add(row["recipient_id"])
    flows = {
        (row["month"], row["giver_team_id"], row["receiver_team_id"]): row
        for row in built.warehouse.mart("team_feedback_flows")
    }
    assert set(flows) == set(items), "the (month, giving team, receiving team) grid differs"
    for key, row in flows.items():
        people = (len(givers[key]), len(receivers[key]))
        assert (row["givers_count"], row["receivers_count"]) == people, key
        assert row["feedback_count"] == (items[key] if min(people) >= FLOOR else None), key


# ------------------------------------------------------- figures recomputed from the source


def expected_feedback_count(records) -> dict[date, int]:
    """Feedback items by month of creation: flagged left out, anonymous in."""
    return dict(
        Counter(
            month_of(as_instant(item["createdAt"]))
            for item in records["feedback"]
            if not item["isFlagged"]
        )
    )


def expected_response_rate(records) -> dict[date, float]:
    """Answered recipients over all recipients of the requests created in each month."""
    per_request = expected_feedback_requests(records)
    answered, asked = Counter(), Counter()
    for request in records["feedback_requests"]:
        month = month_of(as_instant(request["createdAt"]))
        answered[month] += per_request[request["id"]]["answered_count"]
        asked[month] += per_request[request["id"]]["recipients_count"]
    return {month: answered[month] / asked[month] for month in asked if asked[month]}


# ------------------------------------------- the records, laid out as the marts metrics read


def records_as_marts(records) -> dict[str, list[dict]]:
    """{mart: its rows}, each rebuilt from the simulator's records by the tests' own
    reading of the marts' rules (tests/support/dbt.py, tests/support/people.py)."""
    expected = expected_marts(records, [records["users"]])
    facts = facts_by_model(records, FLOOR)
    feedback = []
    for item in records["feedback"]:
        at = as_instant(item["createdAt"])
        feedback.append(
            {
                "feedback_type": item["type"],
                "is_anonymous": item["isAnonymous"],
                "is_flagged": item["isFlagged"],
                "sender_id": None if item["isAnonymous"] else item["senderId"],
                "created_month": month_of(at),
                **expected.feedback_flags[item["id"]],
            }
        )
    created = {r["id"]: as_instant(r["createdAt"]) for r in records["feedback_requests"]}
    return {
        "user_engagement_monthly": [
            {**row, "month": month} for (_, month), row in expected.user_months.items()
        ],
        "fct_feedback": feedback,
        "fct_feedback_requests": [
            {**row, "created_month": month_of(created[request_id])}
            for request_id, row in expected.feedback_requests.items()
        ],
        "feedback_pairs": [
            {
                "first_given_at": fact.at,
                "is_reciprocated": fact.dims["feedback_pair__is_reciprocated"],
            }
            for fact in facts["feedback_pairs"]
        ],
        "fct_feedback_team_credits": [
            {"month": month_of(fact.at), "feedback_id": fact.dims["team_flow__feedback"]}
            for fact in facts["team_flows"]
        ],
        "fct_review_participation": list(expected.review_participation.values()),
        "review_cycle_summary": _cycle_ratings(records),
        "team_engagement_monthly": [
            {**row, "team_id": team_id, "month": month}
            for (team_id, month), row in expected.team_months.items()
        ],
    }


def _cycle_ratings(records) -> list[dict]:
    """Each cycle's average rating (two decimals, half up), withheld below this build's
    floor in raters or in people rated (expected_marts applies the project's default)."""
    rated = defaultdict(list)
    for answer, rating, rater, person in rater_answers(records):
        rated[answer["reviewId"]].append((rating, rater, person))
    rows = []
    for review_id, ratings in rated.items():
        people = min(
            len({r for _, r, _ in ratings} - {None}), len({p for *_, p in ratings} - {None})
        )
        average = Decimal(sum(rating for rating, _, _ in ratings)) / len(ratings)
        rows.append(
            {
                "review_id": review_id,
                "avg_rating": average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                "is_avg_rating_suppressed": people < FLOOR,
            }
        )
    return rows


# ------------------------------------------------------- figures recomputed from the records


def _share(rows, key, numerator: Callable, denominator: Callable = lambda row: True):
    """{key: share of the denominator's rows that the numerator also holds}."""
    tops, bottoms = Counter(), Counter()
    for row in rows:
        if denominator(row):
            bottoms[row[key]] += 1
            tops[row[key]] += bool(numerator(row))
    return {group: tops[group] / bottoms[group] for group in bottoms}


def _unflagged(row) -> bool:
    return not row["is_flagged"]


def _known(row) -> bool:
    return not row["is_flagged"] and row["is_cross_team"] is not None


def _active(row) -> bool:
    return row["is_account_active"]


def _participated(row) -> bool:
    return row["feedback_given"] > 0 or row["requests_sent"] > 0 or row["requests_answered"] > 0


def _feedback_givers(rows):
    givers = defaultdict(set)
    for row in rows:
        if _unflagged(row) and row["sender_id"] is not None:
            givers[row["created_month"]].add(row["sender_id"])
    return {month: len(people) for month, people in givers.items()}


def _median_hours(rows):
    hours = defaultdict(list)
    for row in rows:
        if row["hours_to_first_answer"] is not None:
            hours[row["created_month"]].append(float(row["hours_to_first_answer"]))
    return {month: statistics.median(values) for month, values in hours.items()}


def _flow_totals(rows):
    """Feedback items in team flows, by month, each once."""
    items = defaultdict(set)
    for row in rows:
        items[row["month"]].add(row["feedback_id"])
    return {month: len(ids) for month, ids in items.items()}


def _reciprocity(rows):
    """Pairs returned at any time, by the month of their first feedback."""
    for row in rows:
        row["month"] = month_of(as_instant(row["first_given_at"]))
    return _share(rows, "month", lambda row: row["is_reciprocated"])


def _average_rating(rows):
    return {
        row["review_id"]: float(row["avg_rating"])
        for row in rows
        if not row["is_avg_rating_suppressed"]
    }


def _team_feedback_per_head(rows):
    given, heads = Counter(), Counter()
    for row in rows:
        if row["active_headcount"] >= FLOOR:
            given[row["team_id"]] += row["feedback_given"]
            heads[row["team_id"]] += row["active_headcount"]
    return {team: given[team] / heads[team] for team in heads}


def _feedback_share(numerator: Callable, base: Callable):
    return lambda rows: _share(rows, "created_month", numerator, base)


# (share metric of fct_feedback, what its numerator holds, what its denominator holds)
FEEDBACK_SHARES = (
    ("praise_share", lambda row: row["feedback_type"] == "praise", _unflagged),
    ("answer_share", lambda row: row["feedback_type"] == "feedback", _unflagged),
    ("anonymous_feedback_share", lambda row: row["is_anonymous"], _unflagged),
    ("manager_feedback_share", lambda row: row["is_manager_to_report"], _known),
    ("upward_feedback_share", lambda row: row["is_report_to_manager"], _known),
    ("peer_feedback_share", lambda row: row["is_peer"], _known),
    ("cross_team_feedback_share", lambda row: row["is_cross_team"], _known),
)
# (metric, group-by, mart, the figure recomputed from the mart's rows)
RECOMPUTATIONS = (
    (
        "participation_rate",
        MONTH,
        "user_engagement_monthly",
        lambda rows: _share(
            rows, "month", lambda row: _active(row) and _participated(row), _active
        ),
    ),
    (
        "users_without_feedback_share",
        MONTH,
        "user_engagement_monthly",
        lambda rows: _share(rows, "month", lambda row: row["feedback_received"] == 0, _active),
    ),
    *(
        (metric, MONTH, "fct_feedback", _feedback_share(numerator, base))
        for metric, numerator, base in FEEDBACK_SHARES
    ),
    ("feedback_givers", MONTH, "fct_feedback", _feedback_givers),
    ("median_hours_to_first_answer", MONTH, "fct_feedback_requests", _median_hours),
    ("reciprocity_rate", MONTH, "feedback_pairs", _reciprocity),
    ("team_flow_feedback_count", MONTH, "fct_feedback_team_credits", _flow_totals),
    (
        "review_completion_rate",
        "review_task__relationship",
        "fct_review_participation",
        lambda rows: _share(rows, "relationship", lambda row: row["is_completed"]),
    ),
    ("average_rating", "review", "review_cycle_summary", _average_rating),
    ("team_feedback_per_head", "team", "team_engagement_monthly", _team_feedback_per_head),
)


# ------------------------------------------------------------------------------ helpers


def _unfloored(built: MetricsWarehouse, metric: str) -> str:
    """The metric's `unfloored_*` ingredient, or the metric when it has none."""
    names = {metric["name"] for metric in built.semantic_manifest["metrics"]}
    return f"unfloored_{metric}" if f"unfloored_{metric}" in names else metric


def _by(rows, key: str, metric: str) -> dict:
    return {row[key]: row.get(metric) for row in rows}


def _assert_same(actual: dict, expected: dict, context: str) -> None:
    """Equal for every group with a value on either side (a group may be missing or null)."""
    actual = {key: value for key, value in actual.items() if value not in (None, 0)}
    expected = {key: value for key, value in expected.items() if value not in (None, 0)}
    assert set(actual) == set(expected), (
        f"{context}: groups differ: only answered {sorted(set(actual) - set(expected))[:5]}, "
        f"only expected {sorted(set(expected) - set(actual))[:5]}"
    )
    wrong = {
        key: (actual[key], expected[key])
        for key in expected
        if float(actual[key]) != pytest.approx(float(expected[key]), rel=1e-9, abs=1e-9)
    }
    assert not wrong, f"{context}: (answered, expected) differ: {dict(list(wrong.items())[:5])}"


CHECKS = (
    check_mf_cli_answers_from_the_repository_root,
    check_every_metric_answers,
    check_named_metrics_match_the_source,
    check_metrics_match_the_records,
    check_flows_respect_the_floor,
    check_flows_reconcile_with_fct_feedback,
)


def ask(built: MetricsWarehouse) -> Answers:
    """Every metric by month, and the metrics checked by other groupings, in one batch."""
    names = sorted(metric["name"] for metric in built.semantic_manifest["metrics"])
    others = defaultdict(list)
    for metric, group_by, _, _ in RECOMPUTATIONS:
        if group_by != MONTH:
            others[group_by].append(_unfloored(built, metric))
    # by month in slices: one query of every metric joins some 150 subqueries, more than
    # DuckDB's 400 MB (IMPRAISE_DUCKDB_MEMORY_LIMIT) holds
    slices = [names[i : i + MONTH_SLICE] for i in range(0, len(names), MONTH_SLICE)]
    queries = [{"metrics": metrics, "group_by": [MONTH]} for metrics in slices]
    queries += [
        {"metrics": metrics, "group_by": [group_by]} for group_by, metrics in others.items()
    ]
    answered = built.query(*queries)
    by_month: dict = defaultdict(dict)
    for rows in answered[: len(slices)]:
        for row in rows:
            by_month[row[MONTH]].update(row)
    return {
        MONTH: list(by_month.values()),
        **dict(zip(others, answered[len(slices) :], strict=True)),
    }


def _run_checks(built: MetricsWarehouse) -> None:
    answers = ask(built)
    failures = []
    for check in CHECKS:
        try:
            check(built, answers)
        except AssertionError as error:
            failures.append(f"{check.__name__}: {error}")
    assert not failures, "\n\n".join(failures)


# One test per warehouse, running every check and reporting every failure (as
# test_dbt_e2e does): the build is the expensive part. The DuckDB build is shared with
# tests/test_report.py (tests/support/semantic.py).
def test_metrics_on_duckdb(duckdb_metrics_warehouse):
    _run_checks(duckdb_metrics_warehouse)


def test_metrics_on_postgres(postgres, tmp_path):
    warehouse = Warehouse("postgres", pg_env=postgres.create_database("impraise_metrics"))
    _run_checks(build_metrics_warehouse(warehouse, tmp_path))
