"""Data that moves while a run pages, and between runs: nothing skipped, counts reconciled.

The simulator deletes, changes or inserts records at chosen requests of a first load
(`moves`), each one the request's offset has passed, so every later record's offset
shifts; with `updated_order` a changed record jumps to the end. After that load and one
plain run the raw tables equal the source, in every reading of `pagination.next`:
nothing that existed for the whole run is missing, and what was deleted is marked.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from impraise_simulator.switches import NEXT_STYLES

from tests.support.pipeline import PipelineWorkspace, Run
from tests.support.truth import assert_raw_matches_source, live_rows

TOKEN = "tkn-moving-5c81d2e7"
PAGE = 50  # several pages in the larger buckets of the small organisation
ENV = {"SOURCES__IMPRAISE__MAX_ITEMS": str(PAGE)}
# Twelve points of the first load, in the three buckets with the most pages.
POINTS = {
    "feedback": (3, 6, 9),
    "review_participants": (4, 8, 12, 16),
    "review_answers": (5, 10, 15, 20, 25),
}


def moves(kind: str) -> tuple[str, ...]:
    return tuple(f"{kind}:{bucket}@{','.join(map(str, at))}" for bucket, at in POINTS.items())


def run_ok(workspace: PipelineWorkspace, server, *args: str) -> Run:
    run = workspace.run(server, *args, token=TOKEN, env=ENV, timeout=300)
    assert run.returncode == 0, run.output
    assert "Traceback" not in run.output, run.output
    return run


def summary(run: Run) -> dict[str, dict[str, str]]:
    """The run's per-bucket table, by its header."""
    lines = run.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("bucket "))
    names = lines[start].split()
    table = {}
    for line in lines[start + 1 :]:
        cells = line.split()
        if len(cells) != len(names):
            break
        table[cells[0]] = dict(zip(names, cells, strict=True))
    return table


def assert_counts_reconciled(run: Run, org: Any) -> None:
    for bucket, row in summary(run).items():
        if bucket != "total" and row["api"] != "-":
            assert int(row["api"]) == int(row["live"]) == len(org.records(bucket)), row


SCENARIOS = {
    "deletions in creation order": {"moves": moves("delete")},
    "changes in updatedAt order": {"moves": moves("update"), "updated_order": True},
    "inserts in a shuffled order": {"moves": moves("insert"), "shuffle": True},
}


@pytest.mark.parametrize("next_style", NEXT_STYLES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_first_load_and_one_plain_run_equal_the_source_while_data_moves(
    simulator, small_org, workspace: PipelineWorkspace, scenario, next_style
):
    server = simulator(
        org=small_org, token=TOKEN, rate_limit=0, next_style=next_style, **SCENARIOS[scenario]
    )
    first = run_ok(workspace, server)
    assert len(server.moved) == 12, server.moved
    shifted = sum(int(row["shifts"]) for b, row in summary(first).items() if b != "total")
    if scenario != "inserts in a shuffled order":
        assert shifted >= 1, first.stdout
    server.switches.moves = ()
    second = run_ok(workspace, server)
    assert_raw_matches_source(workspace, small_org)
    assert_counts_reconciled(second, small_org)


def test_records_deleted_between_runs_are_marked_by_the_next_plain_run(
    simulator, small_org, workspace: PipelineWorkspace
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run_ok(workspace, server)
    server.clear_log()
    unchanged = run_ok(workspace, server)
    quiet_requests = len(server.request_log)
    assert_counts_reconciled(unchanged, small_org)
    gone = {
        bucket: [r["id"] for r in small_org.records(bucket)[n::97][:2]]
        for n, bucket in enumerate(("feedback", "review_participants", "review_answers"))
    }
    for bucket, ids in gone.items():
        for record_id in ids:
            small_org.delete(bucket, record_id)
    server.clear_log()
    plain = run_ok(workspace, server)
    for bucket, ids in gone.items():
        marked = {row["id"] for row in workspace.table(bucket) if row["_deleted_at"] is not None}
        assert marked == set(ids), plain.stdout
        assert f"{bucket}: counts reconciled with" in plain.stdout
    assert_raw_matches_source(workspace, small_org)
    assert_counts_reconciled(plain, small_org)
    sweep_requests = len(server.request_log)
    # Bounded: a few requests per deletion, far below reading the buckets again.
    pages = sum(-(-len(small_org.records(b)) // PAGE) for b in gone)
    assert sweep_requests - quiet_requests < pages, (quiet_requests, sweep_requests)
    print(f"plain run: {quiet_requests} requests unchanged, {sweep_requests} with 6 deletions")


def test_a_record_missed_by_the_warehouse_is_read_again(
    simulator, small_org, workspace: PipelineWorkspace
):
    """A live row lost from the raw table (as a skipped record would be) is read again by
    the next plain run, which finds the API holds more than the warehouse."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run_ok(workspace, server)
    lost = small_org.records("feedback")[100]["id"]
    with duckdb.connect(str(workspace.duckdb_path)) as connection:
        connection.execute("DELETE FROM impraise_raw.feedback WHERE id = ?", [lost])
    plain = run_ok(workspace, server)
    assert lost in {row["id"] for row in live_rows(workspace, "feedback")}
    assert "feedback: counts reconciled with" in plain.stdout
    assert_raw_matches_source(workspace, small_org)
