"""The dbt source's vars, end to end on DuckDB: a field the API adds reaches the marts
through `impraise_<table>_pass_through_columns`; a raw table under another name is read
through `impraise_<table>_identifier`; a bucket the token may not read stages as empty.

The simulator serves the organisation, the real CLI loads it, and `dbt build --vars`
runs from the repo root as the README says.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
from impraise_simulator import Organisation

from tests.support.dbt import Warehouse, run_dbt
from tests.support.pipeline import PipelineWorkspace

TOKEN = "tkn-source-vars-7d31"

# Per bucket: (the field the API starts sending, its value for a record).
NEW_FIELDS = {
    "users": ("department", lambda r: f"dept-{r['id'][-3:]}"),
    "teams": ("costCenter", lambda r: f"cc-{r['id'][-3:]}"),
    "feedback": ("sentiment", lambda r: f"mood-{r['id'][-3:]}"),
    "feedback_requests": ("channel", lambda r: f"via-{r['id'][-3:]}"),
    "reviews": ("cycleCode", lambda r: f"cy-{r['id'][-3:]}"),
    "review_participants": ("weight", lambda r: len(r["id"]) % 7),
    "topics": ("icon", lambda r: f"icon-{r['id'][-3:]}"),
    "review_answers": ("locale", lambda r: f"loc-{r['id'][-3:]}"),
}
# Each entry shape the var takes: a bare name, a mapping, an alias, a transform.
PASS_THROUGH = {
    "impraise_users_pass_through_columns": ["department", {"name": "not_sent_yet"}],
    "impraise_teams_pass_through_columns": [{"name": "cost_center", "alias": "team_cost_center"}],
    "impraise_feedback_pass_through_columns": [
        {"name": "sentiment", "transform_sql": "upper(sentiment)"}
    ],
    "impraise_feedback_requests_pass_through_columns": [{"name": "channel"}],
    "impraise_reviews_pass_through_columns": [{"name": "cycle_code"}],
    "impraise_review_participants_pass_through_columns": [
        {"name": "weight", "alias": "reviewer_weight", "transform_sql": "weight * 10"}
    ],
    "impraise_topics_pass_through_columns": ["icon"],
    "impraise_review_answers_pass_through_columns": ["locale"],
}
# Where each pass-through column must arrive: (relation, key column, column, expected
# value of a source record).
ARRIVALS = [
    ("analytics.dim_users", "user_id", "department", "users", lambda r: r["department"]),
    ("analytics.dim_users", "user_id", "not_sent_yet", "users", lambda r: None),
    ("analytics.dim_teams", "team_id", "team_cost_center", "teams", lambda r: r["costCenter"]),
    (
        "analytics.fct_feedback",
        "feedback_id",
        "sentiment",
        "feedback",
        lambda r: r["sentiment"].upper(),
    ),
    (
        "analytics.fct_feedback_requests",
        "feedback_request_id",
        "channel",
        "feedback_requests",
        lambda r: r["channel"],
    ),
    (
        "analytics.review_cycle_summary",
        "review_id",
        "cycle_code",
        "reviews",
        lambda r: r["cycleCode"],
    ),
    (
        "analytics.fct_review_participation",
        "review_participant_id",
        "reviewer_weight",
        "review_participants",
        lambda r: r["weight"] * 10,
    ),
    ("analytics_staging.stg_impraise__topics", "topic_id", "icon", "topics", lambda r: r["icon"]),
    (
        "analytics_staging.stg_impraise__review_answers",
        "review_answer_id",
        "locale",
        "review_answers",
        lambda r: r["locale"],
    ),
]


def build(workspace: PipelineWorkspace, variables: dict[str, Any]) -> str:
    warehouse = Warehouse("duckdb", duckdb_path=workspace.duckdb_path)
    result = run_dbt(["build", "--vars", json.dumps(variables)], warehouse.env, workspace.dbt_dir)
    assert result.returncode == 0, result.output[-8000:]
    return result.output


def column(workspace: PipelineWorkspace, relation: str, key: str, name: str) -> dict[str, Any]:
    return dict(workspace.query(f"select {key}, {name} from {relation}"))


def test_fields_the_api_adds_reach_staging_and_the_marts(
    simulator, small_org: Organisation, workspace: PipelineWorkspace
):
    for bucket, (field, value) in NEW_FIELDS.items():
        small_org.add_field(bucket, field, value)
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run = workspace.run(server, token=TOKEN)
    assert run.returncode == 0, run.output

    build(workspace, PASS_THROUGH)

    for relation, key, name, bucket, expected in ARRIVALS:
        records = small_org.records(bucket)
        assert records, bucket
        want = {record["id"]: expected(record) for record in records}
        assert column(workspace, relation, key, name) == want, f"{relation}.{name}"


def test_a_renamed_raw_table_is_one_var_away_and_an_unreadable_bucket_stages_empty(
    simulator, small_org: Organisation, workspace: PipelineWorkspace
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, forbidden=("feedback_requests",))
    workspace.run(server, token=TOKEN)  # fails on the forbidden bucket, loads the rest
    raw = workspace.tables()
    assert "feedback" in raw and "feedback_requests" not in raw
    with duckdb.connect(str(workspace.duckdb_path)) as connection:
        connection.execute("alter table impraise_raw.feedback rename to feedback_items")

    output = build(workspace, {"impraise_feedback_identifier": "feedback_items"})

    feedback = column(workspace, "analytics.fct_feedback", "feedback_id", "feedback_type")
    assert feedback == {r["id"]: r["type"] for r in small_org.records("feedback")}
    for table in ("feedback_requests", "feedback_requests__recipients"):
        assert f"source impraise.{table} (" in output and "staging it as empty" in output
    for relation in (
        "analytics_staging.stg_impraise__feedback_requests",
        "analytics_staging.stg_impraise__feedback_request_recipients",
        "analytics.fct_feedback_requests",
    ):
        assert workspace.query(f"select count(*) from {relation}") == [(0,)], relation
