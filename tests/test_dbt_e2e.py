"""The transform half, end to end, on DuckDB and on PostgreSQL.

The simulator serves an organisation, the real pipeline CLI loads it, `dbt build` runs
from the repo root exactly as documented, and every checked mart figure is compared with
the same figure recomputed in Python from the simulator's records (tests/support/dbt.py).
Then users change at the source (and the schema drifts), a second load and build run,
and the marts and the user history must reflect both states.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from impraise_simulator import Organisation, SimulatorServer, Switches

from tests.support.dbt import (
    MARTS,
    MIN_GROUP_SIZE,
    ExpectedMarts,
    Warehouse,
    dbt_show,
    expected_marts,
    run_dbt,
    tracked,
)
from tests.support.pipeline import PipelineWorkspace, as_instant
from tests.support.simulator import fresh_small_org

TOKEN = "tkn-dbt-e2e-51c0"
CHANGED_USERS = 8
# A second organisation, loaded and built side by side with the first (README, --dataset),
# on PostgreSQL: the shared warehouse where that happens (DuckDB builds the same way).
OTHER_ORG_USERS, OTHER_ORG_SEED = 20, 8
OTHER_DATASET, OTHER_SCHEMA = "acme_raw", "acme"


@dataclass
class Stage:
    """One load + build: the source records then, the marts as built, the expectation."""

    records: dict[str, list[dict]]
    marts: dict[str, list[dict]]
    expected: ExpectedMarts
    build_output: str


@dataclass
class Scenario:
    warehouse: Warehouse
    first: Stage
    second: Stage
    changed_user_ids: list[str]
    drifted_answer_ids: dict[str, str]
    workdir: Path
    # PostgreSQL only: the second organisation's stage, from its own schemas, and the
    # first organisation's marts after the second's build.
    other: Stage | None = None
    marts_after_other: dict[str, list[dict]] | None = None

    @property
    def stages(self) -> list[tuple[str, Stage]]:
        stages = [("first load", self.first), ("second load", self.second)]
        return stages + ([("other organisation's load", self.other)] if self.other else [])


def _load_and_build(
    server, workspace, warehouse, workdir, org, user_loads, dataset: str | None = None
) -> Stage:
    """Load `org` (into `dataset`, or the default), build, and read the marts back."""
    load_args, dbt_args, env, schema = [], [], dict(warehouse.env), "analytics"
    if dataset is not None:
        load_args = ["--dataset", dataset]
        dbt_args = ["--vars", json.dumps({"impraise_raw_schema": dataset})]
        env["IMPRAISE_DBT_SCHEMA"] = schema = OTHER_SCHEMA
    run = workspace.run(
        server, *load_args, token=TOKEN, env={**env, "SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "50"}
    )
    assert run.returncode == 0, run.output
    build = run_dbt(["build", *dbt_args], env, workdir)
    assert build.returncode == 0, build.output
    records = {bucket: org.records(bucket) for bucket in org.buckets}
    user_loads.append(copy.deepcopy(records["users"]))
    # The warehouse only keeps the latest build: capture this one's marts now.
    marts = {name: warehouse.mart(name, schema) for name in MARTS}
    return Stage(records, marts, expected_marts(records, user_loads), build.output)


def drift_schema(org) -> dict[str, str]:
    """What staging must survive: a new field, and ratings sent as text (one that dlt
    can coerce back to a number, one that lands in the rating__v_text variant column)."""
    org.add_field("users", "pronouns", lambda record: "they/them")
    rated = [answer for answer in org.records("review_answers") if answer["rating"]]
    org.update("review_answers", rated[0]["id"], rating="n/a")
    org.update("review_answers", rated[1]["id"], rating="4")
    return {"n/a": rated[0]["id"], "4": rated[1]["id"]}


def build_scenario(kind: str, request, workdir: Path) -> Scenario:
    """Load, build, change users at the source, load and build again."""
    workspace = PipelineWorkspace(workdir)
    if kind == "duckdb":
        warehouse = Warehouse("duckdb", duckdb_path=workspace.duckdb_path)
    else:
        postgres = request.getfixturevalue("postgres")
        warehouse = Warehouse("postgres", pg_env=postgres.create_database("impraise_dbt_e2e"))
    org = fresh_small_org()
    user_loads: list[list[dict]] = []
    with SimulatorServer(org, token=TOKEN, switches=Switches(rate_limit=0)) as server:
        first = _load_and_build(server, workspace, warehouse, workdir, org, user_loads)
        changed = org.mutate_users(CHANGED_USERS, seed=3)
        drifted = drift_schema(org)
        second = _load_and_build(server, workspace, warehouse, workdir, org, user_loads)
    scenario = Scenario(warehouse, first, second, changed, drifted, workdir)
    if kind == "postgres":
        other_org = Organisation.generate(users=OTHER_ORG_USERS, seed=OTHER_ORG_SEED)
        with SimulatorServer(other_org, token=TOKEN, switches=Switches(rate_limit=0)) as server:
            scenario.other = _load_and_build(
                server, workspace, warehouse, workdir, other_org, [], dataset=OTHER_DATASET
            )
        scenario.marts_after_other = {name: warehouse.mart(name) for name in MARTS}
    return scenario


def _number(value):
    return None if value is None else float(value)


def _assert_same_values(actual: dict, expected: dict, context: str, tolerance: float = 1e-9):
    for column, want in expected.items():
        got = actual[column]
        if isinstance(want, datetime):
            assert as_instant(got) == want, f"{context}: {column} is {got!r}, expected {want!r}"
        elif isinstance(want, bool | str | date) or want is None:
            assert got == want, f"{context}: {column} is {got!r}, expected {want!r}"
        else:
            assert _number(got) == pytest.approx(float(want), abs=tolerance), (
                f"{context}: {column} is {got!r}, expected {want!r}"
            )


def _keyed(rows, *keys):
    return {tuple(row[key] for key in keys) if len(keys) > 1 else row[keys[0]]: row for row in rows}


def _assert_mart_matches(stage: Stage, mart: str, keys: tuple[str, ...], expected: dict):
    """The mart has a row for exactly the expected keys, each with the expected figures."""
    rows = _keyed(stage.marts[mart], *keys)
    assert set(rows) == set(expected), f"{mart}: the {' x '.join(keys)} grid differs"
    for key, want in expected.items():
        _assert_same_values(rows[key], want, f"{mart} {key}")


def check_user_engagement_monthly(stage: Stage) -> None:
    _assert_mart_matches(
        stage, "user_engagement_monthly", ("user_id", "month"), stage.expected.user_months
    )


def check_team_engagement_monthly(stage: Stage) -> None:
    _assert_mart_matches(
        stage, "team_engagement_monthly", ("team_id", "month"), stage.expected.team_months
    )


def check_feedback_marts(stage: Stage) -> None:
    expected = stage.expected
    feedback_ids = {item["id"] for item in stage.records["feedback"]}
    assert set(expected.feedback_flags) == feedback_ids, "fct_feedback: an item has no expectation"
    _assert_mart_matches(stage, "fct_feedback", ("feedback_id",), expected.feedback_flags)
    _assert_mart_matches(
        stage, "fct_feedback_requests", ("feedback_request_id",), expected.feedback_requests
    )


def check_review_marts(stage: Stage) -> None:
    expected = stage.expected
    _assert_mart_matches(stage, "review_cycle_summary", ("review_id",), expected.review_cycles)
    _assert_mart_matches(
        stage, "review_topic_ratings", ("review_id", "topic_id"), expected.topic_ratings
    )
    _assert_mart_matches(
        stage,
        "fct_review_participation",
        ("review_participant_id",),
        expected.review_participation,
    )


def check_privacy_floor_is_exercised(stage: Stage) -> None:
    """The organisation has groups of people below the floor and groups at or above it,
    for every aggregate the floor guards, so the comparisons above see values suppressed
    and values shown. (A group of nobody is suppressed too, but proves nothing.)"""
    expected = stage.expected
    sizes = {
        "raters of a review": [row["raters_count"] for row in expected.review_cycles.values()],
        "raters of a review topic": [
            row["raters_count"] for row in expected.topic_ratings.values()
        ],
        "anonymous-feedback recipients of a team month": list(
            expected.anonymous_recipients.values()
        ),
    }
    for group, counts in sizes.items():
        assert any(0 < count < MIN_GROUP_SIZE for count in counts), f"no small group of {group}"
        assert any(count >= MIN_GROUP_SIZE for count in counts), f"no large group of {group}"


def check_dimensions(stage: Stage) -> None:
    records = stage.records
    users = _keyed(stage.marts["dim_users"], "user_id")
    assert set(users) == {user["id"] for user in records["users"]}
    for user in records["users"]:
        row = users[user["id"]]
        assert (row["job_title"], row["manager_id"], row["status"]) == (
            user["jobTitle"],
            user["managerId"],
            user["status"],
        )
        assert row["is_active"] == (user["status"] == "active")
        assert row["teams_count"] == len(set(user["teamIds"]))
    _assert_mart_matches(stage, "dim_teams", ("team_id",), stage.expected.teams)


def check_users_history(stage: Stage) -> None:
    expected = stage.expected
    rows = defaultdict(list)
    for row in stage.marts["dim_users_history"]:
        rows[row["user_id"]].append(row)
    assert set(rows) == set(expected.history)
    for user_id, versions in expected.history.items():
        actual = sorted(rows[user_id], key=lambda row: row["version_number"])
        assert len(actual) == len(versions), f"{user_id}: {len(actual)} versions"
        for row, version in zip(actual, versions, strict=True):
            record = version.record
            teams = set(row["team_ids"].split("|")) if row["team_ids"] else set()
            assert (row["job_title"], row["manager_id"], row["status"], teams) == (
                record["jobTitle"],
                record["managerId"],
                record["status"],
                set(record["teamIds"]),
            ), user_id
            assert as_instant(row["valid_from"]) == version.valid_from, user_id
            assert as_instant(row["valid_to"]) == version.valid_to, user_id
            assert row["is_current"] == (version.valid_to is None), user_id


def check_changed_users_show_both_versions(scenario: Scenario) -> None:
    before = {user["id"]: user for user in scenario.first.records["users"]}
    after = {user["id"]: user for user in scenario.second.records["users"]}
    history = defaultdict(list)
    for row in scenario.second.marts["dim_users_history"]:
        history[row["user_id"]].append(row)
    changed = [i for i in scenario.changed_user_ids if tracked(before[i]) != tracked(after[i])]
    assert changed, "the mutation changed no tracked attribute"
    for user_id in changed:
        versions = sorted(history[user_id], key=lambda row: row["version_number"])
        assert len(versions) == 2, user_id
        old, new = versions
        assert (old["job_title"], old["manager_id"], old["status"]) == (
            before[user_id]["jobTitle"],
            before[user_id]["managerId"],
            before[user_id]["status"],
        )
        assert (new["job_title"], new["manager_id"], new["status"]) == (
            after[user_id]["jobTitle"],
            after[user_id]["managerId"],
            after[user_id]["status"],
        )
        assert not old["is_current"] and new["is_current"]
        assert old["valid_to"] == new["valid_from"]
        assert as_instant(new["valid_from"]) == as_instant(after[user_id]["updatedAt"])
    unchanged = set(after) - set(scenario.changed_user_ids)
    assert all(len(history[user_id]) == 1 for user_id in unchanged)


def check_organisations_side_by_side_do_not_mix(scenario: Scenario) -> None:
    """The second organisation's build (other raw schema, other target schema) left the
    first one's marts, user history included, exactly as they were."""
    if scenario.other is None:
        return  # not built on this warehouse
    for name, rows in scenario.second.marts.items():
        before = sorted(map(repr, rows))
        assert sorted(map(repr, scenario.marts_after_other[name])) == before, name


def check_builds_report_no_failures_or_warnings(scenario: Scenario) -> None:
    for _, stage in scenario.stages:
        assert "ERROR=0" in stage.build_output and "WARN=0" in stage.build_output, (
            stage.build_output[-3000:]
        )


def check_drifted_ratings_are_merged(scenario: Scenario) -> None:
    warehouse = scenario.warehouse
    variants = warehouse.rows(
        "select column_name from information_schema.columns where table_schema = "
        "'impraise_raw' and table_name = 'review_answers' and column_name like 'rating__v_%'"
    )
    assert variants, "dlt did not add a variant column for the textual rating"
    ids = ", ".join(f"'{answer_id}'" for answer_id in scenario.drifted_answer_ids.values())
    ratings = {
        row["review_answer_id"]: row["rating"]
        for row in warehouse.rows(
            "select review_answer_id, rating from analytics_staging.stg_impraise__review_answers "
            f"where review_answer_id in ({ids})"
        )
    }
    assert ratings == {
        scenario.drifted_answer_ids["n/a"]: None,
        scenario.drifted_answer_ids["4"]: 4,
    }


def check_reconciliation_is_null_safe(scenario: Scenario) -> None:
    """The reconciliation tests' comparison (macros/testing.sql) on this warehouse: a
    total over no rows (null) disagrees with a number, as it would if staging were empty."""
    nothing = "select sum(x) from (select 1 as x) as no_rows where 1 = 0"
    totals = {
        "nothing vs 1": (nothing, "select 1"),
        "1 vs nothing": ("select 1", nothing),
        "1 vs 2": ("select 1", "select 2"),
        "nothing vs nothing": (nothing, nothing),
        "2 vs 2": ("select 2", "select 2"),
    }
    checks = [{"metric": m, "expected": e, "actual": a} for m, (e, a) in totals.items()]
    rows = dbt_show(
        "{{ impraise_reconcile(" + json.dumps(checks) + ") }}",
        scenario.warehouse.env,
        scenario.workdir,
    )
    assert {row["metric"] for row in rows} == {"nothing vs 1", "1 vs nothing", "1 vs 2"}, rows


def check_docs_generate(scenario: Scenario) -> None:
    result = run_dbt(["docs", "generate"], scenario.warehouse.env, scenario.workdir)
    assert result.returncode == 0, result.output
    assert (scenario.workdir / "dbt_target" / "catalog.json").exists()


STAGE_CHECKS = (
    check_user_engagement_monthly,
    check_team_engagement_monthly,
    check_feedback_marts,
    check_review_marts,
    check_privacy_floor_is_exercised,
    check_dimensions,
    check_users_history,
)
SCENARIO_CHECKS = (
    check_changed_users_show_both_versions,
    check_drifted_ratings_are_merged,
    check_organisations_side_by_side_do_not_mix,
    check_builds_report_no_failures_or_warnings,
    check_reconciliation_is_null_safe,
    check_docs_generate,
)


# One test per warehouse, running every check and reporting every failure: the scenario
# takes two loads and two builds, and pytest-xdist would build a module-scoped fixture
# once per worker if the checks were separate tests.
@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_marts_match_the_source_before_and_after_users_change(kind, request, tmp_path):
    scenario = build_scenario(kind, request, tmp_path)
    failures = []
    for name, stage in scenario.stages:
        for check in STAGE_CHECKS:
            try:
                check(stage)
            except AssertionError as error:
                failures.append(f"{check.__name__} after the {name}: {error}")
    for check in SCENARIO_CHECKS:
        try:
            check(scenario)
        except AssertionError as error:
            failures.append(f"{check.__name__}: {error}")
    assert not failures, "\n\n".join(failures)
