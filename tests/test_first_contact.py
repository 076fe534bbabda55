"""First contact with an API that pages and names things its own way.

Every reading of `pagination` the vendor's example allows, and every spelling of names
the contract tolerates, served by the simulator: a first load and an incremental load
after changes must equal the source, each within the request budget (at most one request
per bucket beyond the pages that hold data), and `--check` must say what it saw.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from tests.support.dbt import MARTS, Warehouse, run_dbt
from tests.support.pipeline import PipelineWorkspace
from tests.support.simulator import reading_requests
from tests.support.truth import assert_raw_matches_source

TOKEN = "tkn-first-contact-6b1e"
# Small pages, so the 60-user organisation's larger buckets span many of them.
PAGE = 40
ENV = {"SOURCES__IMPRAISE__MAX_ITEMS": str(PAGE)}

READINGS = {
    "next offset, null at the end": {},
    "offset + len on every page": {"next_style": "offset_plus_len"},
    "items remaining": {"next_style": "remaining"},
    "no next": {"next_style": "absent"},
    # The server's own cap, below what the client asks, echoed in pagination.maxItems.
    "server caps the page": {"max_page": 17},
    "items remaining, server caps the page": {"next_style": "remaining", "max_page": 17},
}
NAMINGS = {
    "snake_case fields": {"snake_case": True},
    "hyphenated routes": {"hyphen_routes": True},
}


def over_budget(server) -> dict[str, str]:
    """Buckets that spent more than one request beyond the pages that held data (a page
    after the first holds data when it brings more than the record it overlaps); the
    count reconciliation's small pages are its own cost, not the reading's."""
    log = reading_requests(server)
    requests = Counter(entry.bucket for entry in log)
    with_data = Counter(
        entry.bucket for entry in log if entry.records > (entry.params.get("offset") != "0")
    )
    return {
        bucket: f"{count} requests for {with_data[bucket]} pages with data"
        for bucket, count in requests.items()
        if count > with_data[bucket] + 1
    }


def change_the_source(org) -> None:
    """Changes for an incremental run: a few users, and every feedback item (many pages)."""
    org.mutate_users(5, seed=11)
    org.add_field("feedback", "mood", lambda record: "calm")


def load_twice_within_budget(server, org, workspace: PipelineWorkspace, env=ENV) -> list[str]:
    """A first load and an incremental load after changes, each equal to the source and
    within the budget; returns each run's stdout."""
    outputs = []
    for _ in range(2):
        server.clear_log()
        run = workspace.run(server, token=TOKEN, env=env)
        assert run.returncode == 0, run.output
        assert over_budget(server) == {}
        assert_raw_matches_source(workspace, org)
        outputs.append(run.stdout)
        change_the_source(org)
    return outputs


@pytest.mark.parametrize("switches", READINGS.values(), ids=READINGS.keys())
def test_every_reading_of_pagination(simulator, small_org, workspace, switches):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, **switches)
    first, _ = load_twice_within_budget(server, small_org, workspace)
    assumed = switches.get("next_style", "offset") == "offset" and "max_page" not in switches
    # The reading is said once, and only when it is not the assumed one.
    assert first.count("paging: ") == (0 if assumed else 1), first


@pytest.mark.parametrize("switches", NAMINGS.values(), ids=NAMINGS.keys())
def test_every_spelling_of_names(simulator, small_org, workspace, switches):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, **switches)
    load_twice_within_budget(server, small_org, workspace)
    # The raw tables and columns keep their canonical names.
    assert "review_participants" in workspace.tables()
    columns = {row[0] for row in workspace.query("describe impraise_raw.feedback")}
    assert {"sender_id", "updated_at", "is_anonymous"} <= columns


def check(workspace, server, *args, env=ENV):
    return workspace.run(server, "--check", *args, token=TOKEN, env=env)


@pytest.mark.parametrize(
    "switches, reading",
    [
        ({}, "next_offset"),
        ({"next_style": "offset_plus_len"}, "offset_plus_len"),
        ({"next_style": "remaining"}, "remaining"),
        ({"next_style": "absent"}, "absent"),
    ],
    ids=["next offset", "offset + len", "remaining", "absent"],
)
def test_check_reports_the_reading_and_writes_nothing(
    simulator, small_org, workspace, switches, reading
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, **switches)
    run = check(workspace, server, "--json")
    assert run.returncode == 0, run.output
    report = json.loads(run.stdout)
    assert report["compatible"] is True and report["problems"] == []
    assert list(report["paging"]) == [reading]
    by_name = {bucket["name"]: bucket for bucket in report["buckets"]}
    assert set(by_name) == set(small_org.buckets)
    assert {b["cursor_field"] for b in by_name.values()} == {"updatedAt"}
    assert {b["after"] for b in by_name.values() if b["records_on_first_page"]} <= {
        "inclusive",
        "honoured",
    }
    # The API's count of each bucket, as the source holds it.
    assert {b["name"]: b["api_count"] for b in by_name.values()} == {
        bucket: len(small_org.records(bucket)) for bucket in small_org.buckets
    }
    # One request for the root; per bucket a first page and one with `after`, and to
    # count a bucket of more records than a page, a page past the end doubling the step
    # (counting.py), then as many halving the gap.
    page = int(ENV["SOURCES__IMPRAISE__MAX_ITEMS"])
    counting = sum(
        2 * math.ceil(math.log2(len(small_org.records(b)) / page)) + 2
        for b in small_org.buckets
        if len(small_org.records(b)) > page
    )
    assert len(server.request_log) <= 1 + 2 * len(small_org.buckets) + counting
    assert not any(workspace.root.iterdir()), "--check wrote files"


def test_check_reports_exclusive_after_snake_case_and_rate_limit_headers(
    simulator, small_org, workspace
):
    server = simulator(
        org=small_org,
        token=TOKEN,
        rate_limit=50,
        after_exclusive=True,
        snake_case=True,
        rate_limit_headers=True,
    )
    server.org.add_field("users", "pronouns", lambda record: "they")
    run = check(workspace, server)
    assert run.returncode == 0, run.output
    assert "X-RateLimit-Limit: 50" in run.stdout
    assert "cursor updated_at" in run.stdout and "after exclusive" in run.stdout
    users = next(line for line in run.stdout.splitlines() if line.strip().startswith("users "))
    assert "new fields: pronouns" in users


def test_check_reports_what_the_policy_warns_about(simulator, small_org, workspace):
    """A policy naming a field the project does not declare is refused, with --check too
    (tests/test_mapping_mistakes.py); what --check still reports is a deprecated setting."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    env = {
        **ENV,
        "SOURCES__IMPRAISE__FIELD_POLICY": '{"users.shoe_size": "drop"}',
        "SOURCES__IMPRAISE__FIELD_POLICY_UNDECLARED": '["users.shoe_size"]',
        "SOURCES__IMPRAISE__PII_SALT": "s" * 32,
    }
    run = check(workspace, server, "--json", env=env)
    assert run.returncode == 0, run.output
    (warning,) = json.loads(run.stdout)["policy_warnings"]
    assert "PII_SALT is deprecated" in warning and "shoe_size" not in warning


def test_a_renamed_bucket_is_found_then_mapped(simulator, small_org, workspace, tmp_path):
    """`feedbacks` for `feedback`: --check fails naming both spellings and loads nothing;
    with `routes` set it passes, and the marts equal those built from the canonical API."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0, renamed=("feedback=feedbacks",))
    run = check(workspace, server)
    assert run.returncode == 6, run.output
    assert "'feedback' is not in the root listing: 'feedbacks' looks like it" in run.stdout
    assert """SOURCES__IMPRAISE__ROUTES='{"feedback": "feedbacks"}'""" in run.stdout
    assert not any(workspace.root.iterdir()), "--check wrote files"
    # Without the mapping a load warns, naming both spellings and the setting.
    loaded = workspace.run(server, "--buckets", "feedbacks", token=TOKEN, env=ENV)
    assert loaded.returncode == 0, loaded.output
    assert (
        "it looks like 'feedback'" in loaded.stderr and "SOURCES__IMPRAISE__ROUTES" in loaded.stderr
    )

    mapped = {**ENV, "SOURCES__IMPRAISE__ROUTES": '{"feedback": "feedbacks"}'}
    assert check(PipelineWorkspace(tmp_path / "check"), server, env=mapped).returncode == 0
    renamed = PipelineWorkspace(tmp_path / "renamed")
    load_twice_within_budget(server, small_org, renamed, env=mapped)
    assert "feedback" in renamed.tables()

    # The same organisation served canonically, for the marts to compare with.
    canonical = PipelineWorkspace(tmp_path / "canonical")
    reference = simulator(org=small_org, token=TOKEN, rate_limit=0)
    assert canonical.run(reference, token=TOKEN, env=ENV).returncode == 0
    assert renamed.run(server, token=TOKEN, env=mapped).returncode == 0
    marts = {}
    for name, place in (("renamed", renamed), ("canonical", canonical)):
        warehouse = Warehouse("duckdb", duckdb_path=place.duckdb_path)
        build = run_dbt(["build"], warehouse.env, place.root)
        assert build.returncode == 0, build.output
        marts[name] = {mart: _content(warehouse.mart(mart)) for mart in MARTS}
    assert marts["renamed"] == marts["canonical"]
    assert marts["canonical"]["fct_feedback"], "no feedback reached the marts"


def _content(rows: list[dict]) -> list[tuple]:
    """A mart's rows as comparable values, without load bookkeeping."""
    return sorted(
        tuple(sorted((k, str(v)) for k, v in row.items() if not k.startswith("_dlt")))
        for row in rows
    )


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SOURCES__IMPRAISE__BASE_URL": "analytics-api.impraise.com"}, "BASE_URL"),
        ({"SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "-3"}, "REQUESTS_PER_SECOND is -3"),
        ({"SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "0"}, "REQUESTS_PER_SECOND is 0"),
        ({"SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "fast"}, "REQUESTS_PER_SECOND 'fast'"),
        ({"SOURCES__IMPRAISE__API_TOKEN": "   "}, "API_TOKEN is blank"),
        ({"SOURCES__IMPRAISE__MAX_ITEMS": "5000"}, "MAX_ITEMS is 5000"),
        ({"SOURCES__IMPRAISE__CURSOR_LAG_SECONDS": "-1"}, "CURSOR_LAG_SECONDS is -1"),
        ({"SOURCES__IMPRAISE__ROUTES": '{"feedbak": "feedbacks"}'}, "did you mean 'feedback'"),
        ({"SOURCES__IMPRAISE__ROUTES": "feedback=feedbacks"}, "ROUTES"),
        ({"SOURCES__IMPRAISE__FIELDS": '{"users.title": "jobTitle"}'}, "'title' is not a field"),
        ({"RUNTIME__REQUEST_MAX_ATTEMPTS": "many"}, "REQUEST_MAX_ATTEMPTS"),
        ({"IMPRAISE_DESTINATION": "snowflak"}, "did you mean 'snowflake'"),
        ({"SOURCES__IMPRAISE__FIELD_POLICY": '{"users.name": "shred"}'}, "FIELD_POLICY"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_configuration_exits_2_before_any_request(
    simulator, small_org, workspace, env, message
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    token = env.pop("SOURCES__IMPRAISE__API_TOKEN", TOKEN)
    workspace.assert_refused(server, message, token=token, env={**ENV, **env})


@pytest.mark.parametrize(
    "args, message",
    [
        (("--destination", "snowflak"), "did you mean 'snowflake'"),
        (("--start-date", "2999-01-01"), "is in the future"),
        (("--start-date", "yesterday"), "not an ISO 8601"),
    ],
)
def test_bad_options_exit_2_before_any_request(simulator, small_org, workspace, args, message):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run = workspace.run(server, *args, token=TOKEN, env=ENV)
    assert run.returncode == 2, run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], run.stderr
    assert server.request_log == []
    assert not any(workspace.root.iterdir())
