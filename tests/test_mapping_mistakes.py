"""An operator's slip in the field policy or the name mappings stops the run (issue 20).

A rule that names no field the project knows, a bucket mapped onto another bucket's
route, a field mapped onto a name another field goes by: each once loaded personal data
in clear, into the wrong table or not at all, with exit 0. Each is now exit 2 and one
line, for a load and for `--check` alike, before any request and before any file.
A rule on a bucket loaded generically applies once `field_policy_undeclared` allows it.
"""

from __future__ import annotations

import json

import pytest

from tests.support.pipeline import PipelineWorkspace

TOKEN = "tkn-mapping-mistakes-5d2c"
KEY = {"SOURCES__IMPRAISE__HASH_KEY": "k" * 32}
POLICY = "SOURCES__IMPRAISE__FIELD_POLICY"
UNDECLARED = "SOURCES__IMPRAISE__FIELD_POLICY_UNDECLARED"

MISTAKES = {
    "a misspelt field": (
        {POLICY: '{"users.nmae": "hash"}'},
        "FIELD_POLICY names users.nmae, which impraise-elt does not declare: "
        "did you mean users.name?",
    ),
    "a misspelt bucket": (
        {POLICY: '{"user.name": "hash"}'},
        "FIELD_POLICY names user.name, which impraise-elt does not declare: "
        "did you mean users.name?",
    ),
    "a generic bucket not allowed": (
        {POLICY: '{"goals.title": "drop"}'},
        f"names goals.title, which impraise-elt does not declare; to apply a rule to a "
        f"bucket it loads generically or a field it does not declare, list that bucket or "
        f"field in {UNDECLARED}",
    ),
    "a bucket onto another's route": (
        {"SOURCES__IMPRAISE__ROUTES": '{"feedback": "users"}'},
        "ROUTES maps feedback to route 'users', the route of bucket users",
    ),
    "a route claimed by two buckets": (
        {"SOURCES__IMPRAISE__ROUTES": '{"feedback": "feedbacks", "reviews": "/feedbacks"}'},
        "ROUTES: route 'feedbacks' is given to two buckets",
    ),
    "a field onto another's name": (
        {"SOURCES__IMPRAISE__FIELDS": '{"users.jobTitle": "email"}'},
        "FIELDS maps users.jobTitle to 'email', the name of users.email",
    ),
    "two fields onto one name": (
        {"SOURCES__IMPRAISE__FIELDS": '{"users.jobTitle": "title", "users.status": "title"}'},
        "FIELDS maps users.status to 'title', the name of users.jobTitle",
    ),
}


@pytest.mark.parametrize(("env", "message"), MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_exits_2_in_one_line_before_any_request(
    simulator, small_org, workspace: PipelineWorkspace, env, message
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    workspace.assert_refused(server, message, token=TOKEN, env={**KEY, **env})


def test_a_rule_on_a_generic_bucket_applies_once_allowed(simulator, small_org, workspace):
    small_org.add_bucket(
        "goals", [{"id": f"g{i}", "title": f"Goal {i}", "note": f"private {i}"} for i in range(4)]
    )
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    env = {
        POLICY: json.dumps({"goals.note": "drop", "goals.title": "hash"}),
        UNDECLARED: '["goals"]',
        **KEY,
    }
    run = workspace.run(server, "--buckets", "goals", token=TOKEN, env=env)
    assert run.returncode == 0, run.output
    rows = workspace.table("goals")
    assert sorted(row["id"] for row in rows) == [f"g{i}" for i in range(4)]
    assert all(len(row["title"]) == 64 and not row["title"].startswith("Goal") for row in rows)
    assert "note" not in rows[0]
