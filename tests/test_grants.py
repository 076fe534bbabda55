"""Grants by role, on PostgreSQL: the README's roles, a real load and build, real logins.

The README's set-up block runs as written (names made unique per run), so the loader is
exactly as privileged as the README says: no superuser, `CREATEDB` or `CREATEROLE`. It
loads an organisation with ids, names and emails hashed and comments dropped, and `dbt
build` runs as it too, twice, granting the reporting role. Then a member of that role logs
in: it reads the floored aggregates of marts/reporting and nothing else (every other
table of the database, the person-level marts included, answers "permission denied"),
and it cannot create a table beside the marts. A member of the analyst role reads every
mart.
"""

from __future__ import annotations

import json
import re
import secrets
from contextlib import contextmanager

import psycopg2
import pytest
from psycopg2 import errors, sql

from tests.support.dbt import MARTS, REPORTING_MARTS, Warehouse, run_dbt
from tests.support.pipeline import REPO_ROOT, PipelineWorkspace
from tests.support.simulator import SIMULATOR_TOKEN, fresh_small_org
from tests.test_privacy_policy import KEY, POLICY, mac

# Every schema the role must not enter, whatever else it finds denied.
NEVER_GRANTED = {
    "impraise_raw",
    "impraise_raw_staging",
    "analytics_staging",
    "analytics_intermediate",
    "analytics_history",
}


def readme_setup(database: str, names: dict[str, str], password: str) -> str:
    """The README's PostgreSQL set-up block, for this database and these role names."""
    blocks = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S)
    (block,) = [b for b in blocks if "CREATE ROLE impraise_loader" in b]
    for readme_name, name in {"impraise": database, **names}.items():
        block = re.sub(rf"\b{readme_name}\b", name, block)
    return block.replace("'change-me'", f"'{password}'")


@contextmanager
def connect(env: dict[str, str], user: str | None = None, password: str | None = None):
    """A connection that commits each statement (a refused one aborts nothing else)."""
    connection = psycopg2.connect(
        host=env["PGHOST"],
        port=int(env["PGPORT"]),
        user=user or env["PGUSER"],
        password=password or env["PGPASSWORD"],
        dbname=env["PGDATABASE"],
    )
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def count(connection, schema: str, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("select count(*) from {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        )
        return cursor.fetchone()[0]


def test_the_reporting_role_reads_floored_marts_and_the_analyst_role_every_mart(
    postgres, simulator, tmp_path
):
    suffix = secrets.token_hex(3)
    roles = ("impraise_loader", "reporting", "analyst", "ana", "al")
    names = {role: f"{role}_{suffix}" for role in roles}
    password = secrets.token_urlsafe(12)
    admin_env = postgres.create_database(f"impraise_grants_{suffix}")
    with connect(admin_env) as admin, admin.cursor() as cursor:
        cursor.execute(readme_setup(admin_env["PGDATABASE"], names, password))
        for member, role in (("ana", "reporting"), ("al", "analyst")):
            cursor.execute(
                sql.SQL("create role {} login password %s in role {}").format(
                    sql.Identifier(names[member]), sql.Identifier(names[role])
                ),
                [password],
            )
        cursor.execute(
            "select rolsuper or rolcreatedb or rolcreaterole from pg_roles where rolname = %s",
            [names["impraise_loader"]],
        )
        assert cursor.fetchone() == (False,), "the loader is privileged"

    loader_env = admin_env | {"PGUSER": names["impraise_loader"], "PGPASSWORD": password}
    warehouse = Warehouse("postgres", pg_env=loader_env)
    org = fresh_small_org()
    server = simulator(org=org, rate_limit=0)
    policy = POLICY | {"users.id": "hash"}
    load = PipelineWorkspace(tmp_path).run(
        server,
        token=SIMULATOR_TOKEN,
        env={
            **warehouse.env,
            "SOURCES__IMPRAISE__FIELD_POLICY": json.dumps(policy),
            "SOURCES__IMPRAISE__HASH_KEY": KEY,
        },
    )
    assert load.returncode == 0, load.output
    # Then the marts again: each is replaced (its grants must follow), and the history
    # is appended to, through a temporary table.
    roles_vars = {"reporting_role": names["reporting"], "analyst_role": names["analyst"]}
    reporting = ["--vars", json.dumps(roles_vars)]
    for args in (["build"], ["build", "--select", "user_observations", "marts"]):
        build = run_dbt([*args, *reporting], warehouse.env, tmp_path)
        assert build.returncode == 0, build.output[-5000:]
        # Hashed ids still join: every relationship test passes, none only warns.
        assert "ERROR=0" in build.output and "WARN=0" in build.output, build.output[-3000:]
    users = org.records("users")
    dim_users = warehouse.mart("dim_users")
    assert {row["user_id"] for row in dim_users} == {mac(user["id"]) for user in users}
    assert {row["email"] for row in dim_users} == {mac(user["email"]) for user in users}

    with connect(loader_env) as loader, loader.cursor() as cursor:
        cursor.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema')"
        )
        relations = sorted(cursor.fetchall())
        every_mart = {
            ("analytics", mart): count(loader, "analytics", mart)
            for mart in (*MARTS, *REPORTING_MARTS)
        }
    assert set(every_mart) <= set(relations)

    def reads(member: str) -> tuple[dict, set]:
        readable, denied = {}, set()
        with connect(loader_env, names[member], password) as reader:
            for schema, table in relations:
                try:
                    readable[(schema, table)] = count(reader, schema, table)
                except errors.InsufficientPrivilege as error:
                    assert "permission denied" in str(error)
                    denied.add((schema, table))
            with pytest.raises(errors.InsufficientPrivilege), reader.cursor() as cursor:
                cursor.execute("create table analytics.scratch (x int)")
        return readable, denied

    readable, denied = reads("ana")
    floored = {key: rows for key, rows in every_mart.items() if key[1] in REPORTING_MARTS}
    assert readable == floored, "the reporting role reads exactly the floored marts, all rows"
    assert {schema for schema, _ in denied} >= NEVER_GRANTED
    assert ("analytics", "dim_users") in denied and ("analytics", "feedback_pairs") in denied
    assert any(rows for rows in readable.values())
    analyst_readable, analyst_denied = reads("al")
    assert analyst_readable == every_mart, "the analyst role reads every mart, all rows"
    assert {schema for schema, _ in analyst_denied} >= NEVER_GRANTED
    print(
        f"\ngrants: {len(readable)} floored marts read as a member of the reporting role, "
        f"{len(denied)} other tables in {len({s for s, _ in denied})} schemas denied; "
        f"{len(analyst_readable)} marts read as a member of the analyst role"
    )
