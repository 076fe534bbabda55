"""The extract-and-load half, end to end: the CLI over real HTTP to the simulator, into a
real DuckDB file, compared record for record with the simulator's organisation."""

from __future__ import annotations

import time

import pytest
from impraise_simulator import BUCKETS, ROOT_SHAPES, Organisation

from tests.support.pipeline import PipelineWorkspace, as_instant, peak_per_window
from tests.support.simulator import pages_to_read, reading_requests
from tests.support.truth import assert_raw_matches_source, compare_bucket

TOKEN = "tkn-extract-9d2f1c7a"


def bucket_requests(server, bucket: str) -> list:
    return [r for r in server.request_log if r.bucket == bucket]


def test_full_load_equals_the_source(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run = workspace.run(server, token=TOKEN)
    assert run.returncode == 0, run.output
    assert workspace.tables() >= set(BUCKETS)
    compared = assert_raw_matches_source(workspace, small_org)
    assert compared == small_org.count()
    assert "total" in run.stdout and "failed" not in run.stdout


def test_child_tables_hold_nested_lists(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    tables = workspace.tables()
    for child in ("users__team_ids", "feedback__topic_ids", "feedback_requests__recipients"):
        assert child in tables
    expected = sum(len(u["teamIds"]) for u in small_org.records("users"))
    assert workspace.query("select count(*) from impraise_raw.users__team_ids")[0][0] == expected


def test_a_list_emptied_at_the_source_leaves_no_child_rows(
    simulator, small_org, workspace: PipelineWorkspace
):
    """The oracle sees child rows under a row whose list is now empty (it compares only
    lists that hold something otherwise), and an incremental run leaves none."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    user = next(u for u in small_org.records("users") if u["teamIds"])
    small_org.update("users", user["id"], teamIds=[])
    stray = compare_bucket(workspace, "users", small_org.records("users"))
    assert [p for p in stray if "source has no elements" in p] == [
        f"users/{user['id']}.team_ids: source has no elements, raw has "
        f"{len(user['teamIds'])} child rows"
    ]
    assert workspace.run(server, token=TOKEN).returncode == 0
    assert_raw_matches_source(workspace, small_org)


@pytest.mark.parametrize("shape", ROOT_SHAPES)
def test_every_root_listing_shape(simulator, small_org, workspace: PipelineWorkspace, shape):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, root_shape=shape)
    run = workspace.run(server, "--buckets", "users,teams", token=TOKEN)
    assert run.returncode == 0, run.output
    assert {"users", "teams"} <= workspace.tables()
    assert_raw_matches_source(workspace, small_org, ["users", "teams"])


def test_missing_next_and_short_pages(simulator, small_org, workspace: PipelineWorkspace):
    """No `pagination.next`: continue at offset + len(data) and stop on a short page;
    a server that caps pages below maxItems: follow its `next`."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, next_style="absent")
    env = {"SOURCES__IMPRAISE__MAX_ITEMS": "37"}
    assert workspace.run(server, token=TOKEN, env=env).returncode == 0
    assert_raw_matches_source(workspace, small_org)
    server.switches.next_style = "offset"
    server.switches.max_page = 23
    second = PipelineWorkspace(workspace.root / "capped")
    run = second.run(server, token=TOKEN, env=env)
    assert run.returncode == 0, run.output
    assert_raw_matches_source(second, small_org)


def test_a_next_that_does_not_move_forward_is_only_a_hint(
    simulator, small_org, workspace: PipelineWorkspace
):
    """The data decides where a bucket ends: a `next` pointing back at the page just read
    neither loops nor stops the bucket early."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    server.inject("stuck_next", bucket="feedback", count=1)
    run = workspace.run(server, token=TOKEN, env={"SOURCES__IMPRAISE__MAX_ITEMS": "50"})
    assert run.returncode == 0, run.output
    assert_raw_matches_source(workspace, small_org)
    pages = pages_to_read(len(small_org.records("feedback")), 50)
    assert len(reading_requests(server, "feedback")) <= pages + 1


def test_pacing_never_exceeds_the_quota(simulator, workspace: PipelineWorkspace):
    """At 6 req/s the simulator's own log shows no 429 and at most 6 requests in any
    one-second window, while many requests run in parallel."""
    org = Organisation.generate(users=120, seed=3)
    server = simulator(org=org, token=TOKEN, rate_limit=6, latency_ms=50)
    env = {"SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "6", "SOURCES__IMPRAISE__MAX_ITEMS": "100"}
    run = workspace.run(server, token=TOKEN, env=env)
    assert run.returncode == 0, run.output
    log = server.request_log
    assert len(log) > 40
    assert [r for r in log if r.status == 429] == []
    assert peak_per_window([r.at for r in log]) <= 6
    assert_raw_matches_source(workspace, org)


@pytest.mark.parametrize(
    "fault", ["429", "500", "503", "truncated", "invalid_json", "missing_data", "html", "reset"]
)
def test_transient_faults_are_retried(simulator, small_org, workspace: PipelineWorkspace, fault):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    server.inject(fault, bucket="feedback", count=2)
    run = workspace.run(server, token=TOKEN, env={"SOURCES__IMPRAISE__MAX_ITEMS": "100"})
    assert run.returncode == 0, run.output
    assert_raw_matches_source(workspace, small_org)
    feedback_line = next(line for line in run.stdout.splitlines() if line.startswith("feedback "))
    retries = int(feedback_line.split()[4])
    assert retries >= 2


def test_retry_after_is_honoured(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    server.inject("429", bucket="users", count=1)
    run = workspace.run(server, "--buckets", "users", token=TOKEN)
    assert run.returncode == 0, run.output
    users = bucket_requests(server, "users")
    throttled = next(r for r in users if r.status == 429)
    retried = users[users.index(throttled) + 1]
    assert retried.at - throttled.at >= 0.95  # Retry-After: 1


def test_a_bucket_failing_after_its_retries(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    server.inject("503", bucket="reviews", count=50)
    run = workspace.run(server, token=TOKEN)
    assert run.returncode == 4
    line = [x for x in run.stderr.splitlines() if "reviews" in x]
    assert line and "bucket 'reviews' failed at offset 0: HTTP 503" in line[0]
    assert "Traceback" not in run.output
    assert_raw_matches_source(workspace, small_org, [b for b in BUCKETS if b != "reviews"])


def test_incremental_run_with_no_changes(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    server.clear_log()
    run = workspace.run(server, token=TOKEN)
    assert run.returncode == 0, run.output
    # One request per bucket, plus the root; and one small page per bucket, which finds
    # the API's count equal to the warehouse's.
    assert len(reading_requests(server)) == len(BUCKETS)
    assert all("after" in r.params for r in reading_requests(server))
    assert len(server.request_log) == 2 * len(BUCKETS) + 1
    assert_raw_matches_source(workspace, small_org)


def test_incremental_run_reads_changes(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    changed = small_org.mutate_users(7, seed=11)
    first = small_org.records("feedback")[0]
    small_org.update("feedback", first["id"], comment="edited after the first load ✓")
    # Nested lists that shrink or empty: their child rows of the older version must go.
    tagged = next(f for f in small_org.records("feedback") if f["topicIds"])
    small_org.update("feedback", tagged["id"], topicIds=[])
    asked = next(r for r in small_org.records("feedback_requests") if len(r["recipients"]) > 1)
    small_org.update("feedback_requests", asked["id"], recipients=asked["recipients"][-1:])
    run = workspace.run(server, token=TOKEN)
    assert run.returncode == 0, run.output
    assert len(changed) == 7
    assert_raw_matches_source(workspace, small_org)


def test_cursor_stays_behind_the_run_start(simulator, small_org, workspace: PipelineWorkspace):
    """Records changed while a run pages (onto pages already read) are read by the next
    run; the cursor a run saves is the moment it began reading the bucket less the lag,
    even when it saw records newer than that."""
    # Longer than a run takes to start and reach its first page, so the record changed
    # just before the run is within the lag of it.
    lag = 60
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, change_during_paging="feedback")
    env = {"SOURCES__IMPRAISE__MAX_ITEMS": "40", "SOURCES__IMPRAISE__CURSOR_LAG_SECONDS": str(lag)}
    started = time.time()
    recent = small_org.update("feedback", small_org.records("feedback")[-1]["id"], comment="new")
    assert workspace.run(server, token=TOKEN, env=env).returncode == 0
    # The server logs arrivals on the monotonic clock; cursors are wall-clock instants.
    wall_minus_monotonic = time.time() - time.monotonic()
    first_page = bucket_requests(server, "feedback")[0].at + wall_minus_monotonic
    server.switches.change_during_paging = None
    server.clear_log()
    assert workspace.run(server, token=TOKEN, env=env).returncode == 0
    afters = [as_instant(r.params["after"]) for r in reading_requests(server, "feedback")]
    assert afters
    cursor = max(afters).timestamp()
    # Began reading after `started`, before its first page arrived; without the lag the
    # cursor would be the newest record seen, `recent`.
    assert started - lag <= cursor <= first_page - lag
    assert cursor < as_instant(recent["updatedAt"]).timestamp()
    assert_raw_matches_source(workspace, small_org)


def test_after_exclusive_and_mixed_offsets(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(
        org=small_org, token=TOKEN, rate_limit=0, after_exclusive=True, mixed_offsets=True
    )
    assert workspace.run(server, token=TOKEN).returncode == 0
    small_org.mutate_users(3, seed=5)
    assert workspace.run(server, token=TOKEN).returncode == 0
    assert_raw_matches_source(workspace, small_org)


def test_unknown_bucket_is_loaded_generically(simulator, small_org, workspace: PipelineWorkspace):
    small_org.add_bucket(
        "goals",
        [
            {
                "id": f"g{i}",
                "createdAt": f"2025-01-0{i + 1}T08:00:00Z",
                "updatedAt": "2025-02-01T08:00:00+01:00",
                "title": f"Goal {i}",
                "ownerIds": ["a"],
            }
            for i in range(5)
        ],
    )
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run = workspace.run(server, token=TOKEN)
    assert run.returncode == 0, run.output
    assert "bucket 'goals' is not one impraise-elt knows" in run.stderr
    assert "goals" in workspace.tables()
    assert_raw_matches_source(workspace, small_org, ["goals"])


def test_new_field_becomes_a_column(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    small_org.add_field("users", "department", lambda record: f"dept-{record['id'][-1]}")
    assert workspace.run(server, token=TOKEN).returncode == 0
    assert_raw_matches_source(workspace, small_org, ["users"])


def test_a_new_field_in_nested_entries_becomes_a_child_column(
    simulator, small_org, workspace: PipelineWorkspace
):
    """Pages the declared columns do not cover go through dlt's JSON normalizer."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    asked = next(r for r in small_org.records("feedback_requests") if len(r["recipients"]) > 1)
    reminded = [{**entry, "reminderCount": 2} for entry in asked["recipients"]]
    small_org.update("feedback_requests", asked["id"], recipients=reminded)
    assert workspace.run(server, token=TOKEN).returncode == 0
    rows = workspace.table("feedback_requests__recipients")
    assert sum(row.get("reminder_count") == 2 for row in rows) == len(reminded)
    assert_raw_matches_source(workspace, small_org, ["feedback_requests"])


def test_refused_token(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    wrong = "wrong-token-5be1f0aa"
    started = time.monotonic()
    run = workspace.run(server, token=wrong)
    assert time.monotonic() - started < 20
    assert run.returncode == 3
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused the token" in lines[0]
    assert wrong not in run.output and TOKEN not in run.output
    assert not workspace.duckdb_path.exists()


def test_bucket_selection(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run = workspace.run(server, "--exclude", "review_answers,reviews", token=TOKEN)
    assert run.returncode == 0, run.output
    assert "reviews" not in workspace.tables() and "users" in workspace.tables()
    bad = workspace.run(server, "--buckets", "users,nonsense", token=TOKEN)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "nonsense" in bad.stderr


def test_start_date_limits_the_first_run(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run = workspace.run(server, "--buckets", "feedback", "--start-date", "2025-06-01", token=TOKEN)
    assert run.returncode == 0, run.output
    expected = {
        r["id"]
        for r in small_org.records("feedback")
        if as_instant(r["updatedAt"]) >= as_instant("2025-06-01T00:00:00Z")
    }
    loaded = {row[0] for row in workspace.query("select id from impraise_raw.feedback")}
    assert loaded == expected
    assert workspace.run(server, "--start-date", "June", token=TOKEN).returncode == 2
