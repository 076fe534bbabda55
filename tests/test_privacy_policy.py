"""The field policy: parsed and applied in-process, then end to end on DuckDB.

The in-process tests give the policy records as the simulator serves them and compare
with digests computed here, by `hmac` directly. The end-to-end test loads a simulated
organisation with no policy, builds the marts and the docs, then turns the policy on the
way the README says (a run, then `--full-refresh`, then `dbt build`), and searches every
column of every table, every file dlt and dbt wrote, and the published docs for every
name, email and comment of the organisation.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from impraise_simulator import BUCKETS
from impraise_source.field_policy import FieldPolicyError, parse_field_policy
from impraise_source.schema import KNOWN_BUCKETS, declared_fields, id_families

from tests.support.dbt import MARTS, Warehouse, run_dbt
from tests.support.pipeline import PipelineWorkspace
from tests.support.simulator import fresh_small_org
from tests.support.tally import TALLY
from tests.support.truth import assert_raw_matches_source, compare_bucket
from tests.test_secrecy import TEXT_TYPES, files_holding

KEY = secrets.token_hex(16)  # made up per session, so no file can hold it by accident
# The policy of the "done when": no comment, and names and emails as digests.
POLICY = {
    "feedback.comment": "drop",
    "review_answers.comment": "drop",
    "users.name": "hash",
    "users.email": "hash",
}
COMMENTED = ("feedback", "review_answers")


def mac(value: str, key: str = KEY) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def values_at(record: dict[str, Any], path: list[str]) -> Iterator[Any]:
    """The values at a path of API field names, through nested lists."""
    value = record.get(path[0])
    for item in value if isinstance(value, list) and len(path) > 1 else [value]:
        if len(path) == 1:
            yield from item if isinstance(item, list) else [item]
        elif isinstance(item, dict):
            yield from values_at(item, path[1:])


# ------------------------------------------------------------------ parsing, in-process


@pytest.mark.parametrize("setting", [None, "", {}])
def test_without_a_policy_every_field_is_kept_and_no_record_is_touched(setting):
    policy = parse_field_policy(setting)
    assert policy.effective() == {} and policy.warnings == ()
    assert all(policy.preparer(bucket) is None for bucket in (*KNOWN_BUCKETS, "acme"))


# Settings the pipeline refuses, and a part of the one line that says why.
UNUSABLE = [
    (["users.name"], KEY, "must be a JSON object"),
    ({"comment": "drop"}, KEY, '"comment" is not a field'),
    ({"users.": "drop"}, KEY, "is not a field"),
    ({"users.name": "mask"}, KEY, 'users.name is "mask"; use keep, hash or drop'),
    ({"users.name": None}, KEY, "users.name is null"),
    ({"users.teamIds": "drop", "users.team_ids": "hash"}, KEY, "names one field twice"),
    ({"users.id": "drop"}, KEY, "users.id cannot be dropped"),
    ({"feedback.updatedAt": "hash"}, KEY, "feedback.updatedAt must be kept"),
    ({"review_answers.rating": "hash"}, KEY, "rating is a bigint field"),
    ({"users.deactivatedAt": "hash"}, KEY, "is a timestamp field"),
    ({"feedback_requests.recipients": "hash"}, KEY, "recipients is a list of objects"),
    (
        {"feedback_requests.recipients": "drop", "feedback_requests.recipients.userId": "hash"},
        KEY,
        "names both feedback_requests.recipients and feedback_requests.recipients.userId",
    ),
    (
        {"users.id": "hash", "feedback.senderId": "keep"},
        KEY,
        "hashes users.id but keeps feedback.senderId",
    ),
    ({"users.name": "hash"}, None, "no hash_key is set"),
    ({"users.name": "hash", "users.email": "hash"}, "", "users.email (and 1 more)"),
    ({"users.name": "hash"}, "too-short", "SOURCES__IMPRAISE__HASH_KEY is shorter than 16"),
]


@pytest.mark.parametrize(("setting", "key", "message"), UNUSABLE, ids=[m for *_, m in UNUSABLE])
def test_an_unusable_policy_is_one_line_naming_the_setting_and_the_field(setting, key, message):
    with pytest.raises(FieldPolicyError) as raised:
        parse_field_policy(setting, key)
    text = str(raised.value)
    assert message in text and "\n" not in text
    assert "SOURCES__IMPRAISE__FIELD_POLICY" in text or "SOURCES__IMPRAISE__HASH_KEY" in text
    assert not key or key not in text


def test_the_deprecated_pii_salt_and_a_hash_key_together_are_refused():
    with pytest.raises(FieldPolicyError, match="both SOURCES__IMPRAISE__HASH_KEY and the dep"):
        parse_field_policy(None, KEY, "a-salt")


UNDECLARED = "SOURCES__IMPRAISE__FIELD_POLICY_UNDECLARED"


@pytest.mark.parametrize(
    ("rule", "near_miss"),
    [
        ("users.nmae", "did you mean users.name?"),  # a typo of the field
        ("user.name", "did you mean users.name?"),  # of the bucket
        ("users.job_titel", "did you mean users.jobTitle?"),  # in the warehouse spelling
        ("feedback_requests.recipients.userid", "did you mean feedback_requests.recipients"),
        ("acme.score", ""),  # a bucket loaded generically, not allowed
        ("users.pronouns", ""),  # a field the project does not declare, not allowed
    ],
)
def test_a_rule_on_a_field_the_project_does_not_declare_is_refused(rule, near_miss):
    with pytest.raises(FieldPolicyError) as raised:
        parse_field_policy({"users.email": "hash", rule: "drop"}, KEY)
    text = str(raised.value)
    assert f"SOURCES__IMPRAISE__FIELD_POLICY names {rule}, which" in text and "\n" not in text
    assert near_miss in text and (near_miss or "did you mean" not in text)
    assert f"list that bucket or field in {UNDECLARED}" in text


def test_generic_buckets_and_undeclared_fields_are_applied_once_allowed():
    policy = parse_field_policy(
        {"acme.score": "drop", "users.nickName": "hash", "users.name": "hash"},
        KEY,
        undeclared=["acme", "users.nick_name"],
    )
    assert policy.warnings == ()
    assert policy.preparer("acme")({"id": "a1", "score": 3}) == {"id": "a1"}
    user = policy.preparer("users")({"id": "u1", "nick_name": "Zo", "name": "Zoë"})
    assert user == {"id": "u1", "nick_name": mac("Zo"), "name": mac("Zoë")}


@pytest.mark.parametrize(
    ("undeclared", "message"),
    [
        ("acme", "must be a JSON list"),
        (["acme", 3], "must be a JSON list"),
        (["users.name"], "users.name is declared by impraise-elt"),
        (["users"], "users is a bucket impraise-elt declares: list its undeclared fields"),
        (["users."], '"users." is not a bucket or a field'),
    ],
)
def test_a_doubtful_list_of_undeclared_fields_is_refused(undeclared, message):
    with pytest.raises(FieldPolicyError) as raised:
        parse_field_policy({"users.name": "hash"}, KEY, undeclared=undeclared)
    assert message in str(raised.value) and UNDECLARED in str(raised.value)


# ---------------------------------------------------------------- applying, in-process


def test_the_policy_rewrites_records_as_the_api_serves_them():
    org = fresh_small_org()
    policy = parse_field_policy(POLICY, KEY)
    for bucket in BUCKETS:
        prepare = policy.preparer(bucket)
        for record in org.records(bucket):
            expected = copy.deepcopy(record)
            if bucket == "users":
                expected |= {"name": mac(record["name"]), "email": mac(record["email"])}
            if bucket in COMMENTED:
                del expected["comment"]
            assert (prepare(record) if prepare else record) == expected
    assert policy.preparer("teams") is None  # buckets with nothing to change cost nothing


def test_a_rule_matches_its_field_however_the_api_spells_it():
    policy = parse_field_policy({"feedback.senderId": "hash", "feedback.is_flagged": "drop"}, KEY)
    prepare = policy.preparer("feedback")
    assert prepare({"sender_id": "u1", "isFlagged": True}) == {"sender_id": mac("u1")}
    assert prepare({"SenderID": "u1", "is_flagged": False}) == {"SenderID": mac("u1")}


def test_nested_lists_hash_each_entry_or_field_and_nulls_stay_null():
    policy = parse_field_policy(
        {"users.teamIds": "hash", "feedback_requests.recipients.userId": "hash"}, KEY
    )
    user = {"id": "u1", "teamIds": ["t1", "t2"], "managerId": None, "name": "Zoë"}
    assert policy.preparer("users")(user) == {
        "id": mac("u1"),
        "teamIds": [mac("t1"), mac("t2")],
        "managerId": None,
        "name": "Zoë",
    }
    request = {"id": "r1", "requesterId": "u1", "recipients": [{"userId": "u2", "status": "x"}]}
    assert policy.preparer("feedback_requests")(request) == {
        "id": "r1",
        "requesterId": mac("u1"),
        "recipients": [{"userId": mac("u2"), "status": "x"}],
    }


def test_a_dropped_list_is_removed_whole_and_its_references_are_not_hashed_into_it():
    policy = parse_field_policy({"users.id": "hash", "feedback_requests.recipients": "drop"}, KEY)
    assert "feedback_requests.recipients.user_id" not in policy.effective()
    request = {"id": "r1", "subjectId": "u1", "recipients": [{"userId": "u2"}]}
    assert policy.preparer("feedback_requests")(request) == {"id": "r1", "subjectId": mac("u1")}


def test_every_field_that_holds_ids_says_whose_and_is_in_exactly_one_id_family():
    declared = list(declared_fields())
    by_name = {d.dotted for d in declared if re.search(r"Ids?$", d.names[-1])}
    referencing = {d.dotted for d in declared if d.references}
    assert by_name == referencing, "a field holding ids declares no `references`"
    members = [m.dotted for family in id_families().values() for m in family]
    assert sorted(members) == sorted({*referencing, *(f"{e}.id" for e in id_families())})
    assert set(id_families()) <= set(KNOWN_BUCKETS)


@pytest.mark.parametrize(
    ("hashed", "family"),
    [("users.id", "users"), ("feedback.senderId", "users"), ("users.teamIds", "teams")],
)
def test_hashing_an_id_or_a_reference_hashes_them_all_so_every_join_still_matches(hashed, family):
    org = fresh_small_org()
    policy = parse_field_policy({hashed: "hash"}, KEY)
    before = {bucket: org.records(bucket) for bucket in BUCKETS}
    after = {
        bucket: [
            (policy.preparer(bucket) or (lambda record: record))(copy.deepcopy(record))
            for record in records
        ]
        for bucket, records in before.items()
    }
    for member in id_families()[family]:
        bucket, fields, path = member.bucket, list(member.names), member.dotted
        checked = 0
        for old, new in zip(before[bucket], after[bucket], strict=True):
            old_values, new_values = list(values_at(old, fields)), list(values_at(new, fields))
            assert new_values == [None if v is None else mac(v) for v in old_values], path
            checked += sum(v is not None for v in old_values)
        assert checked, f"{path}: no value in the organisation to check"
    # Nothing else moved: the other families' ids are as served.
    other = next(entity for entity in id_families() if entity != family)
    assert [r["id"] for r in after[other]] == [r["id"] for r in before[other]]


def test_the_deprecated_pii_salt_hashes_names_and_emails_as_it_always_did():
    salt = secrets.token_hex(8)
    policy = parse_field_policy({"feedback.comment": "drop"}, None, salt)
    (warning,) = policy.warnings
    assert "PII_SALT is deprecated" in warning and salt not in warning
    user = {"id": "u1", "name": "Zoë", "email": "zoe@x.example"}
    assert policy.preparer("users")(dict(user)) == {
        "id": "u1",
        "name": hashlib.sha256((salt + "Zoë").encode()).hexdigest(),
        "email": hashlib.sha256((salt + "zoe@x.example").encode()).hexdigest(),
    }
    assert policy.preparer("feedback")({"id": "f1", "comment": "hi"}) == {"id": "f1"}


# ------------------------------------------------------------------------- end to end


def personal_values(org) -> list[str]:
    """Every name, email and comment of the organisation."""
    users = org.records("users")
    comments = {r["comment"] for b in COMMENTED for r in org.records(b) if r["comment"]}
    return sorted({u["name"] for u in users} | {u["email"] for u in users} | comments)


def spellings(values: list[str]) -> list[bytes]:
    """Each value as files may hold it: UTF-8, JSON's ASCII escapes, HTML, SQL literals."""
    forms: set[str] = set()
    for value in values:
        forms |= {value, json.dumps(value)[1:-1], html.escape(value), value.replace("'", "''")}
    return sorted(form.encode() for form in forms)


def data_files(pipeline_dir: Path) -> list[Path]:
    """Job files of dlt's load packages (parquet, jsonl, insert_values): copies of rows."""
    return [p for p in pipeline_dir.glob("load/*/*/*_jobs/*") if p.is_file()]


def text_columns(database: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            f"where data_type in {TEXT_TYPES} order by all"
        ).fetchall()


def columns_holding_any(database: Path, values: list[str]) -> list[str]:
    """Every text column, of every table in every schema, that holds any of the values.

    One query per column for all the values (test_secrecy's `columns_holding` runs one
    per column and value: 40,000 queries here, half a minute)."""
    found = []
    with duckdb.connect(str(database), read_only=True) as connection:
        for schema, table, column in text_columns(database):
            hits = connection.execute(
                f'select distinct v from "{schema}"."{table}", unnest(?::varchar[]) as n(v) '
                f'where contains("{column}"::varchar, v)',
                [values],
            ).fetchall()
            found += [f"{schema}.{table}.{column}: {hit!r}" for (hit,) in hits]
            TALLY.add(secret_scans=1)
    return found


def mart_rows(warehouse: Warehouse) -> dict[str, list[dict[str, Any]]]:
    return {name: warehouse.mart(name) for name in MARTS}


def assert_marts_unchanged(before, after, personal: set[str]) -> set[str]:
    """Every figure equal; each column that held names or emails holds their digests.
    Returns those columns, as `mart.column`."""
    columns = set()
    for mart, rows in before.items():
        held = {c for c in rows[0] if any(row[c] in personal for row in rows)} if rows else set()
        columns |= {f"{mart}.{column}" for column in held}
        assert len(after[mart]) == len(rows), mart
        rest = [c for c in rows[0] if c not in held] if rows else []
        assert Counter(tuple(r[c] for c in rest) for r in after[mart]) == Counter(
            tuple(r[c] for c in rest) for r in rows
        ), f"{mart}: figures changed"
        for column in held:
            assert Counter(None if r[column] is None else mac(r[column]) for r in rows) == (
                Counter(r[column] for r in after[mart])
            ), f"{mart}.{column}"
    return columns


def test_the_policy_keeps_personal_data_out_and_the_marts_unchanged(simulator, tmp_path):
    org = fresh_small_org()
    token = f"tkn-{secrets.token_hex(16)}"
    server = simulator(org=org, token=token, rate_limit=0)
    workspace = PipelineWorkspace(tmp_path)
    warehouse = Warehouse("duckdb", duckdb_path=workspace.duckdb_path)
    personal = personal_values(org)
    policy_env = {
        "SOURCES__IMPRAISE__FIELD_POLICY": json.dumps(POLICY | {"users.nickname": "drop"}),
        "SOURCES__IMPRAISE__HASH_KEY": KEY,
        # A field the API may serve one day, which the project does not declare.
        UNDECLARED: '["users.nickname"]',
    }
    outputs = []

    def load(*args: str, env: dict | None = None, expect: int = 0):
        result = workspace.run(server, *args, token=token, env=env)
        assert result.returncode == expect, result.output
        outputs.append(result.output)
        return result

    def dbt(*args: str) -> None:
        result = run_dbt(list(args), warehouse.env, workspace.dbt_dir)
        assert result.returncode == 0, result.output[-5000:]
        outputs.append(result.output)

    # 1. No policy: everything lands; the scan sees it (so it can see a leak).
    load()
    dbt("build")
    before = mart_rows(warehouse)
    assert columns_holding_any(workspace.duckdb_path, personal)

    # 2. The published docs carry none of it, and the catalog no value at all.
    dbt("docs", "generate", "--no-compile")  # the build just compiled every node
    target = workspace.dbt_dir / "dbt_target"
    docs = [target / name for name in ("index.html", "manifest.json", "catalog.json")]
    ids = [json.dumps(r["id"]).encode() for b in BUCKETS for r in org.records(b)]
    for path in docs:
        content = path.read_bytes()
        assert [n for n in spellings(personal) if n in content] == [], path.name
    catalog = json.loads(docs[2].read_text())
    assert "email" in catalog["nodes"]["model.impraise.dim_users"]["columns"]
    assert [i for i in ids if i in docs[2].read_bytes()] == [], "catalog.json holds values"

    # 3. A policy that cannot be applied stops the run before it reads anything: no key,
    # or a field the project does not declare that the policy was not allowed to name.
    requests = len(server.request_log)
    bad = load(env={"SOURCES__IMPRAISE__FIELD_POLICY": '{"users.name": "hash"}'}, expect=2)
    assert bad.stderr.strip().count("\n") == 0 and "no hash_key is set" in bad.stderr
    undeclared = load(env={k: v for k, v in policy_env.items() if k != UNDECLARED}, expect=2)
    assert undeclared.stderr.strip().count("\n") == 0 and "users.nickname" in undeclared.stderr
    assert len(server.request_log) == requests

    # 4. The policy turned on: an incremental run reads again only what changed at the
    # source (nothing) and the records at each cursor, so most rows keep the values they
    # were loaded with: a mix. The undeclared field it was allowed to name is no warning.
    changed = load(env=policy_env)
    assert "nickname" not in changed.stderr
    emails = {u["email"]: mac(u["email"]) for u in org.records("users")}
    loaded = [r["email"] for r in workspace.table("users")]
    kept = [email for email in loaded if email in emails]
    assert len(kept) > len(loaded) / 2 and set(loaded) <= {*emails, *emails.values()}

    # 5. --full-refresh rewrites every raw row in place (no row marked deleted); the dbt
    # schemas keep the old values until the next build.
    load("--full-refresh", env=policy_env)
    expected_users = [
        u | {"name": mac(u["name"]), "email": mac(u["email"])} for u in org.records("users")
    ]
    assert compare_bucket(workspace, "users", expected_users) == []
    for bucket in COMMENTED:
        expected = [r | {"comment": None} for r in org.records(bucket)]
        assert compare_bucket(workspace, bucket, expected) == []
    others = [b for b in BUCKETS if b not in ("users", *COMMENTED)]
    rows_compared = assert_raw_matches_source(workspace, org, others) + sum(
        len(org.records(bucket)) for bucket in ("users", *COMMENTED)
    )
    assert all(
        workspace.query(f"select count(*) from impraise_raw.{b} where _deleted_at is not null")
        == [(0,)]
        for b in BUCKETS
    )
    raw_leaks = columns_holding_any(workspace.duckdb_path, personal)
    assert raw_leaks and all(c.startswith("analytics") for c in raw_leaks), raw_leaks

    # 6. After dbt build: the same figures, digests where names and emails were.
    dbt("build")
    after = mart_rows(warehouse)
    personal_columns = assert_marts_unchanged(before, after, set(personal))
    assert {"dim_users.user_name", "dim_users.email"} <= personal_columns

    # 7. Nothing personal anywhere: every column of every table in every schema, every
    # file of dlt's working dir (state, trace, schemas; dlt keeps no loaded data file)
    # and of dbt's target and logs, every output; nor the key.
    needles = [*personal, KEY]
    assert columns_holding_any(workspace.duckdb_path, needles) == []
    assert data_files(workspace.pipeline_dir) == []
    roots = (workspace.root / "dlt", workspace.dbt_dir)
    assert all(files_holding(root, spellings(needles)) == [] for root in roots)
    assert not [n for n in needles for output in outputs if n in output]
    # The file scan does read dlt's pickled trace: a value that is not secret is found.
    assert files_holding(workspace.pipeline_dir, [server.url.encode()])
    columns = text_columns(workspace.duckdb_path)
    files = [path for root in roots for path in root.rglob("*") if path.is_file()]
    users = len(org.records("users"))
    print(
        f"\nprivacy scan: {len(personal)} values ({users} names, {users} emails, "
        f"{len(personal) - 2 * users} distinct comments) and the key, in "
        f"{len(spellings(needles))} spellings; {len(columns)} text columns of "
        f"{len({(s, t) for s, t, _ in columns})} tables in {len({s for s, _, _ in columns})} "
        f"schemas; {len(files)} files; {len(outputs)} outputs; {rows_compared} raw rows "
        "compared with the source"
    )
