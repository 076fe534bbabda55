"""What the API cannot tell us, handled through to the marts: records that vanish
(found by the next plain run's count reconciliation, marked `_deleted_at`, left out of
the marts, their history closed) and a schema that drifts (new fields, numbers that
turn into strings, fields that stop coming). `dbt build` runs as the README says, and
must keep passing."""

from __future__ import annotations

import json

from impraise_simulator import Organisation

from tests.support.dbt import expected_warnings, run_dbt, warned_tests
from tests.support.pipeline import PipelineWorkspace, Run
from tests.support.truth import assert_raw_matches_source, live_rows

TOKEN = "tkn-drift-6a2e90d4"
DELETED_AT = "_deleted_at"
PAGE = 200  # a page size that gives feedback several pages


def dbt_build(workspace: PipelineWorkspace, org: Organisation) -> None:
    """`dbt build` passes, and warns exactly where the source has dangling references."""
    env = {"IMPRAISE_DUCKDB_PATH": str(workspace.duckdb_path)}
    build = run_dbt(["build"], env, workspace.dbt_dir)
    assert build.returncode == 0, build.output[-8000:]
    records = {bucket: org.records(bucket) for bucket in org.buckets}
    assert warned_tests(workspace.dbt_dir) == expected_warnings(records)


def run_ok(workspace: PipelineWorkspace, server, *args: str, **env: str) -> Run:
    run = workspace.run(server, *args, token=TOKEN, env=env, timeout=180)
    assert run.returncode == 0, run.output
    return run


def marking_report(run: Run) -> str:
    """What a full refresh printed about rows it marked deleted: after the summary."""
    return run.stdout.split("loaded into")[0].split("total")[-1]


def marked_deleted(workspace: PipelineWorkspace, bucket: str) -> set[str]:
    return {row["id"] for row in workspace.table(bucket) if row[DELETED_AT] is not None}


def rarely_referenced_users(org: Organisation, count: int) -> list[str]:
    """Users nobody reports to and no team is led by, least referenced first."""
    users = org.records("users")
    bosses = {u["managerId"] for u in users} | {t["leadId"] for t in org.records("teams")}
    others = "".join(json.dumps(org.records(b)) for b in org.buckets if b != "users")
    candidates = [u["id"] for u in users if u["id"] not in bosses]
    return sorted(candidates, key=others.count)[:count]


def test_deleted_records_leave_the_marts_and_may_come_back(
    simulator, small_org, workspace: PipelineWorkspace
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run_ok(workspace, server)
    dbt_build(workspace, small_org)  # the snapshot sees every user alive
    gone_users = rarely_referenced_users(small_org, 2)
    assert len(gone_users) == 2
    gone_feedback = [r["id"] for r in small_org.records("feedback")[5:8]]
    removed = {
        "users": [r for r in small_org.records("users") if r["id"] in gone_users],
        "feedback": [r for r in small_org.records("feedback") if r["id"] in gone_feedback],
    }
    for bucket, records in removed.items():
        for record in records:
            small_org.delete(bucket, record["id"])
    small_org.mutate_users(3, seed=41)

    # A bucket that fails marks nothing; the buckets that loaded are reconciled.
    server.inject("503", "feedback", count=100)
    failed = workspace.run(server, token=TOKEN, env={"SOURCES__IMPRAISE__MAX_ITEMS": str(PAGE)})
    server.clear_faults()
    assert failed.returncode == 4, failed.output
    assert "bucket 'feedback' failed at offset 0" in failed.stderr
    assert "users: counts reconciled with" in failed.stdout
    assert "feedback: counts reconciled" not in failed.stdout
    assert marked_deleted(workspace, "users") == set(gone_users)
    assert marked_deleted(workspace, "feedback") == set()
    # The next plain run marks the rest, without a full refresh.
    run = run_ok(workspace, server)
    assert "feedback: counts reconciled with" in run.stdout
    assert "0 records missed and read, 3 found deleted" in run.stdout
    for bucket, ids in (("users", gone_users), ("feedback", gone_feedback)):
        assert marked_deleted(workspace, bucket) == set(ids), bucket
    # From a start date, a full refresh does not read what came before: nothing more is
    # marked (with marking, every row last changed before the date would be).
    run = run_ok(workspace, server, "--full-refresh", "--start-date", "2025-06-01")
    assert "marked _deleted_at" not in run.stdout
    assert_raw_matches_source(workspace, small_org)  # the live rows are exactly the source

    dbt_build(workspace, small_org)
    in_marts = {row[0] for row in workspace.query("select user_id from analytics.dim_users")}
    assert in_marts == {u["id"] for u in small_org.records("users")}
    feedback = {row[0] for row in workspace.query("select feedback_id from analytics.fct_feedback")}
    assert not feedback & set(gone_feedback)
    assert len(feedback) == len(small_org.records("feedback"))
    history = workspace.query(
        "select user_id, count(*), count(valid_to) from analytics.dim_users_history "
        f"where user_id in ('{gone_users[0]}', '{gone_users[1]}') group by user_id"
    )
    assert len(history) == 2 and all(versions == closed for _, versions, closed in history)

    # They come back: one with a fresh updatedAt (the incremental read sees it), one with
    # its old one (the count reconciliation finds the API holds one more, and reads it).
    fresh = {k: v for k, v in removed["users"][0].items() if k != "updatedAt"}
    small_org.add("users", fresh)
    small_org.add("feedback", removed["feedback"][0])
    run = run_ok(workspace, server)
    assert gone_users[0] in {r["id"] for r in live_rows(workspace, "users")}
    assert "feedback: counts reconciled with" in run.stdout and "1 records missed" in run.stdout
    live_feedback = {r["id"] for r in live_rows(workspace, "feedback")}
    assert gone_feedback[0] in live_feedback and gone_feedback[1] not in live_feedback
    run = run_ok(workspace, server, "--full-refresh")
    assert "marked _deleted_at" not in marking_report(run)
    assert_raw_matches_source(workspace, small_org)


def test_schema_drift_lands_and_dbt_keeps_building(
    simulator, small_org, workspace: PipelineWorkspace
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run_ok(workspace, server)
    # A new field on every user.
    small_org.add_field("users", "department", lambda user: f"dept-{user['id'][-2:]}")
    # Ratings that turn into strings: one parses as a number, one does not.
    rated = [r for r in small_org.records("review_answers") if r["rating"] is not None]
    as_digit, as_word = rated[0], rated[1]
    small_org.update("review_answers", as_digit["id"], rating=str(as_digit["rating"]))
    small_org.update("review_answers", as_word["id"], rating="four")
    # A field that stops coming: every topic changes and no longer has `category`.
    for topic in small_org.records("topics"):
        small_org.delete("topics", topic["id"])
        small_org.add(
            "topics", {k: v for k, v in topic.items() if k not in ("category", "updatedAt")}
        )
    run_ok(workspace, server)

    assert_raw_matches_source(workspace, small_org)  # variants count as the field
    columns = {
        (table, column): nullable
        for table, column, nullable in workspace.query(
            "select table_name, column_name, is_nullable from information_schema.columns "
            "where table_schema = 'impraise_raw'"
        )
    }
    assert ("users", "department") in columns
    assert ("review_answers", "rating__v_text") in columns
    answers = {r["id"]: r for r in workspace.table("review_answers")}
    # dlt coerces a numeric string into the declared bigint column; text that is no
    # number goes to the variant column, and the bigint stays null for that row.
    digit_row, word_row = answers[as_digit["id"]], answers[as_word["id"]]
    assert (digit_row["rating"], digit_row["rating__v_text"]) == (as_digit["rating"], None)
    assert (word_row["rating"], word_row["rating__v_text"]) == (None, "four")
    assert columns[("topics", "category")] == "YES"
    assert all(r["category"] is None for r in workspace.table("topics"))

    dbt_build(workspace, small_org)
    staged = dict(
        workspace.query(
            "select review_answer_id, rating from analytics_staging.stg_impraise__review_answers "
            f"where review_answer_id in ('{as_digit['id']}', '{as_word['id']}')"
        )
    )
    assert staged == {as_digit["id"]: as_digit["rating"], as_word["id"]: None}
