"""Upstream faults in storms and bursts, not one at a time (test_extract covers those).

Every scenario either recovers (raw == truth) or fails with one clear line naming the
bucket and the offset (exit 4), within a generous time bound (never an endless loop),
and a following run, with the faults gone, brings raw back to truth: no cursor ever
moved past data that was not read.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from impraise_simulator import BUCKETS

from tests.support.pipeline import PipelineWorkspace, Run
from tests.support.truth import assert_raw_matches_source, compare_bucket

TOKEN = "tkn-faults-4b7e19c3"
PAGE = 100
# Where the second page of a bucket begins: each page after the first overlaps the one
# before by a record (impraise_source's anchoring.py).
SECOND_PAGE = PAGE - 1
# Small pages, so a fault can strike after the first pages of a bucket were read.
ENV = {"SOURCES__IMPRAISE__MAX_ITEMS": str(PAGE)}
# Far beyond any honest run of the small organisation: only a loop would take longer.
GUARD_SECONDS = 90
ERROR_LINE = re.compile(
    r"^impraise: error: bucket '(?P<bucket>[^']+)' failed at offset (?P<offset>\d+): \S"
)

# fault -> (faults to arm, in order; simulator switches; extra environment)
STORMS: dict[str, tuple[tuple[str, ...], dict[str, Any], dict[str, str]]] = {
    "429 with Retry-After": (("429",), {}, {}),
    "429 without Retry-After": (("429",), {"retry_after": False}, {}),
    "5xx burst": (("500", "502", "503"), {}, {}),
    "connection resets": (("reset",), {}, {}),
    "slower than the timeout": (
        ("slow",),
        {"slow_seconds": 2},
        {"RUNTIME__REQUEST_TIMEOUT": "1"},
    ),
    "truncated JSON": (("truncated",), {}, {}),
    "invalid JSON": (("invalid_json",), {}, {}),
    "HTML error page": (("html",), {}, {}),
    "missing data": (("missing_data",), {}, {}),
}


def timed_run(workspace: PipelineWorkspace, server, **kwargs: Any) -> Run:
    started = time.monotonic()
    run = workspace.run(server, token=TOKEN, timeout=GUARD_SECONDS * 2, **kwargs)
    assert time.monotonic() - started < GUARD_SECONDS, f"run took too long:\n{run.output}"
    assert "Traceback" not in run.output, run.output
    return run


def error_lines(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("impraise: error:")]


def summary_retries(run: Run, bucket: str) -> int:
    line = next(line for line in run.stdout.splitlines() if line.startswith(f"{bucket} "))
    return int(line.split()[4])


@pytest.mark.parametrize("storm", list(STORMS))
def test_a_storm_fails_one_bucket_clearly_then_a_burst_is_retried(
    simulator, small_org, workspace: PipelineWorkspace, storm
):
    faults, switches, extra = STORMS[storm]
    env = {**ENV, **extra}
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, **switches)
    # A storm longer than every retry, from the second page of feedback on.
    for fault in faults:
        count = 2 if fault != faults[-1] else 1000
        server.inject_at(fault, "feedback", offset=SECOND_PAGE, count=count)
    run = timed_run(workspace, server, env=env)
    assert run.returncode == 4, run.output
    errors = error_lines(run)
    assert run.stderr.strip().splitlines() == errors and len(errors) == 1, run.stderr
    match = ERROR_LINE.match(errors[0])
    assert match and match["bucket"] == "feedback", errors[0]
    assert match["offset"] == str(SECOND_PAGE), errors[0]
    assert "gave up after 4 attempts" in errors[0]
    assert_raw_matches_source(workspace, small_org, [b for b in BUCKETS if b != "feedback"])
    # The first page was loaded, the cursor stayed: after changes and a burst shorter
    # than the retries, the next run is complete.
    server.clear_faults()
    small_org.mutate_users(5, seed=21)
    for record in small_org.records("feedback")[:3]:
        small_org.update("feedback", record["id"], comment=f"edited during the {storm}")
    for fault in faults:
        server.inject(fault, "feedback", count=1 if len(faults) > 1 else 3)
    run = timed_run(workspace, server, env=env)
    assert run.returncode == 0, run.output
    assert summary_retries(run, "feedback") == 3
    assert_raw_matches_source(workspace, small_org)


def test_a_next_that_stops_moving_after_some_pages(
    simulator, small_org, workspace: PipelineWorkspace
):
    """Records received decide the next offset: a `next` stuck mid-bucket loses nothing."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    server.inject_at("stuck_next", "feedback", offset=SECOND_PAGE, count=1)
    run = timed_run(workspace, server, env=ENV)
    assert run.returncode == 0, run.output
    assert error_lines(run) == []
    assert_raw_matches_source(workspace, small_org)


@pytest.mark.parametrize("retry_after", [True, False], ids=["Retry-After", "no Retry-After"])
def test_a_429_storm_over_every_bucket_is_waited_out(
    simulator, small_org, workspace: PipelineWorkspace, retry_after
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, retry_after=retry_after)
    server.inject("429", bucket=None, count=12)
    run = timed_run(workspace, server, env={**ENV, "RUNTIME__REQUEST_MAX_ATTEMPTS": "14"})
    assert run.returncode == 0, run.output
    assert sum(1 for r in server.request_log if r.status == 429) == 12
    total = next(line for line in run.stdout.splitlines() if line.startswith("total")).split()
    assert int(total[5]) == 12  # the summary's 429 column
    assert_raw_matches_source(workspace, small_org)


def test_random_faults_with_enough_attempts(simulator, small_org, workspace: PipelineWorkspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, error_rate=0.2, truncate_rate=0.2)
    run = timed_run(workspace, server, env={**ENV, "RUNTIME__REQUEST_MAX_ATTEMPTS": "12"})
    assert run.returncode == 0, run.output
    assert any(r.status >= 500 for r in server.request_log)
    assert_raw_matches_source(workspace, small_org)


def test_random_faults_with_few_attempts_converge_run_by_run(
    simulator, small_org, workspace: PipelineWorkspace
):
    """Each run either loads everything or fails some buckets clearly; a bucket that
    failed goes on next run from where it stopped, so runs converge on the truth while
    the faults go on. (Read again from offset 0, a bucket of 90 pages at 5% faulty
    requests would rarely get through.)"""
    server = simulator(
        org=small_org, token=TOKEN, rate_limit=0, error_rate=0.2, truncate_rate=0.2, seed=3
    )
    # Small pages: review_answers takes 89 of them, and few attempts: 0.36^3 of the
    # requests fail for good, about one in 21.
    env = {"SOURCES__IMPRAISE__MAX_ITEMS": "20", "RUNTIME__REQUEST_MAX_ATTEMPTS": "3"}
    failed_runs = 0
    for attempt in range(10):
        run = timed_run(workspace, server, env=env)
        assert run.returncode in (0, 4), run.output
        if run.returncode == 0 or (attempt >= 2 and not differences(workspace, small_org)):
            break
        failed_runs += 1
        # One line per failed bucket (the root listing counts as one), nothing else.
        errors = error_lines(run)
        assert errors and run.stderr.strip().splitlines() == errors, run.stderr
        assert all(ERROR_LINE.match(line) for line in errors), run.stderr
        if attempt < 2:
            small_org.mutate_users(2, seed=100 + attempt)
    assert failed_runs >= 1  # at these faults, the first run fails
    assert_raw_matches_source(workspace, small_org)


def differences(workspace: PipelineWorkspace, org) -> list[str]:
    if not workspace.duckdb_path.exists():
        return ["nothing loaded yet"]
    tables = workspace.tables()
    return [
        problem
        for bucket in org.buckets
        for problem in (
            compare_bucket(workspace, bucket, org.records(bucket))
            if bucket in tables
            else [f"{bucket}: not loaded"]
        )
    ]
