"""Incremental runs at the cursor's boundary: the CLI over real HTTP to the simulator, into
a real DuckDB file. `after` is inclusive, so every run reads the newest records of the
last one again; those it already loaded, unchanged, must not be loaded again, and
anything else must be."""

from __future__ import annotations

import json
import shutil
from typing import Any

import requests
from impraise_simulator import BUCKETS, Organisation
from impraise_source.buckets import BOUNDARY_KEY, CURSOR_KEY, MAX_BOUNDARY_RECORDS

from tests.support.pipeline import PipelineWorkspace, Run, as_instant
from tests.support.simulator import is_count_probe, reading_requests
from tests.support.truth import assert_raw_matches_source

TOKEN = "tkn-incremental-5b81e3"
# The cursor is then the newest updatedAt seen even for records changed just now.
NO_LAG = {"SOURCES__IMPRAISE__CURSOR_LAG_SECONDS": "0"}


def summary_rows(run: Run) -> dict[str, int]:
    """Rows the run's summary reports per bucket."""
    rows = {}
    for line in run.stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in BUCKETS:
            rows[cells[0]] = int(cells[1])
    assert set(rows) == set(BUCKETS), run.stdout
    return rows


def warehouse(workspace: PipelineWorkspace) -> dict[str, Any]:
    """What a load would change: the loads, each raw table's rows and load ids, the
    versions of the state kept in the warehouse."""
    tables = {
        table: workspace.query(
            f'select count(*), count(distinct _dlt_load_id) from impraise_raw."{table}"'
        )[0]
        for table in sorted(workspace.tables())
    }
    return {
        "loads": workspace.query("select load_id from impraise_raw._dlt_loads order by 1"),
        "tables": tables,
        "states": workspace.query("select version from impraise_raw._dlt_pipeline_state"),
    }


def bucket_states(workspace: PipelineWorkspace) -> dict[str, dict[str, Any]]:
    """Each bucket's resource state, from the pipeline's local state file."""
    state = json.loads((workspace.pipeline_dir / "state.json").read_text())
    return state["sources"]["impraise"]["resources"]


def newest(org: Organisation, bucket: str) -> list[dict[str, Any]]:
    """The bucket's records at its newest updatedAt instant."""
    latest = max(as_instant(r["updatedAt"]) for r in org.records(bucket))
    return [r for r in org.records(bucket) if as_instant(r["updatedAt"]) == latest]


def row(workspace: PipelineWorkspace, bucket: str, record_id: str) -> dict[str, Any]:
    (found,) = [r for r in workspace.table(bucket) if r["id"] == record_id]
    return found


def served(server: Any, bucket: str, after: str) -> list[dict[str, Any]]:
    """The records the API serves for `after`, as it renders them."""
    response = requests.get(
        f"{server.url}/{bucket}",
        params={"after": after},
        headers={"Authorization": f"bearer {TOKEN}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["data"]


def test_a_run_without_changes_loads_nothing(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    before, states = warehouse(workspace), bucket_states(workspace)
    server.clear_log()

    run = workspace.run(server, token=TOKEN)

    assert run.returncode == 0, run.output
    assert summary_rows(run) == dict.fromkeys(BUCKETS, 0)
    assert warehouse(workspace) == before
    assert bucket_states(workspace) == states
    # The root, then one request per bucket, each from its cursor, and one small page
    # per bucket that finds the API's count equal to the warehouse's.
    log = reading_requests(server)
    assert sorted(r.bucket for r in log) == sorted(BUCKETS)
    assert all(r.params.get("after") == states[r.bucket][CURSOR_KEY] for r in log)
    probes = [r for r in server.request_log if r.bucket and is_count_probe(r)]
    assert sorted(r.bucket for r in probes) == sorted(BUCKETS)
    assert len(server.request_log) == 1 + 2 * len(BUCKETS)
    assert_raw_matches_source(workspace, small_org)
    # Cursors were matched as instants: the API renders them otherwise than the state.
    renderings = {
        record["updatedAt"]
        for bucket in BUCKETS
        for record in served(server, bucket, states[bucket][CURSOR_KEY])
        if as_instant(record["updatedAt"]) == as_instant(states[bucket][CURSOR_KEY])
    }
    assert renderings - {state[CURSOR_KEY] for state in states.values()}


def test_a_boundary_record_changed_in_place_is_loaded(
    simulator, small_org, workspace: PipelineWorkspace
):
    """A record changed without its updatedAt moving (a scalar field; a nested list) is
    not the record the last run loaded at the boundary: it loads."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    user = newest(small_org, "users")[0]
    small_org.update(
        "users", user["id"], jobTitle="Head of Boundaries", updatedAt=user["updatedAt"]
    )
    feedback = newest(small_org, "feedback")[0]
    topic_ids = ["t-boundary"] + feedback["topicIds"]
    small_org.update(
        "feedback", feedback["id"], topicIds=topic_ids, updatedAt=feedback["updatedAt"]
    )
    loads = warehouse(workspace)["loads"]

    run = workspace.run(server, token=TOKEN)

    assert run.returncode == 0, run.output
    assert summary_rows(run) == {**dict.fromkeys(BUCKETS, 0), "users": 1, "feedback": 1}
    assert len(warehouse(workspace)["loads"]) == len(loads) + 1
    assert row(workspace, "users", user["id"])["job_title"] == "Head of Boundaries"
    assert_raw_matches_source(workspace, small_org)
    # The boundary now holds the changed records: the next run loads nothing.
    after = warehouse(workspace)
    again = workspace.run(server, token=TOKEN)
    assert summary_rows(again) == dict.fromkeys(BUCKETS, 0)
    assert warehouse(workspace) == after


def test_a_record_changed_after_the_boundary_is_loaded(
    simulator, small_org, workspace: PipelineWorkspace
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN, env=NO_LAG).returncode == 0
    cursor = bucket_states(workspace)["feedback"][CURSOR_KEY]
    record = small_org.records("feedback")[0]
    changed = small_org.update("feedback", record["id"], comment="changed after the boundary")
    assert as_instant(changed["updatedAt"]) > as_instant(cursor)

    run = workspace.run(server, token=TOKEN, env=NO_LAG)

    assert run.returncode == 0, run.output
    assert summary_rows(run) == {**dict.fromkeys(BUCKETS, 0), "feedback": 1}
    assert row(workspace, "feedback", record["id"])["comment"] == "changed after the boundary"
    state = bucket_states(workspace)["feedback"]
    assert as_instant(state[CURSOR_KEY]) == as_instant(changed["updatedAt"])
    assert len(state[BOUNDARY_KEY]) == 1
    assert_raw_matches_source(workspace, small_org)
    again = workspace.run(server, token=TOKEN, env=NO_LAG)
    assert summary_rows(again)["feedback"] == 0


def test_a_cursor_held_back_by_the_lag_drops_nothing(
    simulator, small_org, workspace: PipelineWorkspace
):
    """A change newer than the run's start less the lag leaves the cursor behind it, with
    no boundary digests: the next run loads the record again (it merges on id)."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    user = small_org.records("users")[0]
    changed = small_org.update("users", user["id"], jobTitle="Changed just now")

    first = workspace.run(server, token=TOKEN)
    second = workspace.run(server, token=TOKEN)

    assert summary_rows(first)["users"] == summary_rows(second)["users"] == 1
    state = bucket_states(workspace)["users"]
    assert as_instant(state[CURSOR_KEY]) < as_instant(changed["updatedAt"])
    assert BOUNDARY_KEY not in state
    assert row(workspace, "users", user["id"])["job_title"] == "Changed just now"
    assert_raw_matches_source(workspace, small_org)


def test_boundary_state_is_small_and_survives_losing_the_local_state(
    simulator, small_org, workspace: PipelineWorkspace
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN).returncode == 0
    states = bucket_states(workspace)
    for bucket in BUCKETS:
        assert len(states[bucket][BOUNDARY_KEY]) == len(newest(small_org, bucket)), bucket
    assert len(json.dumps(states)) < 200 * len(BUCKETS)
    before = warehouse(workspace)

    # A fresh machine (a CI runner): the state comes back from the warehouse.
    shutil.rmtree(workspace.root / "dlt")
    server.clear_log()
    run = workspace.run(server, token=TOKEN)

    assert run.returncode == 0, run.output
    assert bucket_states(workspace) == states
    assert summary_rows(run) == dict.fromkeys(BUCKETS, 0)
    assert warehouse(workspace) == before
    assert all("after" in r.params for r in reading_requests(server))


def test_a_bulk_change_keeps_no_digests_and_is_read_again(
    simulator, small_org, workspace: PipelineWorkspace
):
    """More records at the newest instant than the state keeps: none are remembered, so
    the next run reads and merges them again instead of trusting a partial set."""
    bulk = len(small_org.records("review_answers"))
    assert bulk > MAX_BOUNDARY_RECORDS
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert workspace.run(server, token=TOKEN, env=NO_LAG).returncode == 0
    small_org.add_field("review_answers", "revision", lambda r: 2)
    small_org.add_field("topics", "language", lambda r: "en")
    stamped = small_org.records("topics")[0]["updatedAt"]

    first = workspace.run(server, token=TOKEN, env=NO_LAG)
    second = workspace.run(server, token=TOKEN, env=NO_LAG)

    topics = len(small_org.records("topics"))
    assert summary_rows(first)["review_answers"] == summary_rows(second)["review_answers"] == bulk
    assert summary_rows(first)["topics"] == topics and summary_rows(second)["topics"] == 0
    states = bucket_states(workspace)
    assert BOUNDARY_KEY not in states["review_answers"]
    assert len(states["topics"][BOUNDARY_KEY]) == topics
    assert as_instant(states["topics"][CURSOR_KEY]) == as_instant(stamped)
    assert_raw_matches_source(workspace, small_org)
