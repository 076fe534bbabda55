"""The postgres fixture gives a working server reachable through the libpq variables."""

import psycopg2
import pytest


def test_fresh_database_round_trip(postgres_database, monkeypatch: pytest.MonkeyPatch):
    for key, value in postgres_database.items():
        monkeypatch.setenv(key, value)

    # An empty DSN makes libpq read every connection setting from the PG* variables,
    # exactly as dbt's postgres profile and the pipeline will.
    with psycopg2.connect("") as conn, conn.cursor() as cur:
        cur.execute("select current_database()")
        assert cur.fetchone() == (postgres_database["PGDATABASE"],)
        cur.execute("create table marks (id text primary key, score int)")
        cur.execute("insert into marks values ('a', 3), ('b', 5)")
        cur.execute("select id, score from marks order by id")
        assert cur.fetchall() == [("a", 3), ("b", 5)]
    conn.close()


def test_create_database_recreates_empty(postgres):
    def table_count(env: dict[str, str], ddl: str | None = None) -> int:
        conn = psycopg2.connect(
            host=env["PGHOST"],
            port=env["PGPORT"],
            user=env["PGUSER"],
            password=env["PGPASSWORD"],
            dbname=env["PGDATABASE"],
        )
        with conn, conn.cursor() as cur:
            if ddl:
                cur.execute(ddl)
            cur.execute("select count(*) from pg_tables where schemaname = 'public'")
            (count,) = cur.fetchone()
        conn.close()
        return count

    env = postgres.create_database("impraise_fixture_check")
    assert table_count(env, "create table leftover (id int)") == 1
    assert table_count(postgres.create_database("impraise_fixture_check")) == 0


def test_password_is_required(postgres):
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(
            host=postgres.host,
            port=postgres.port,
            user=postgres.user,
            password="wrong",
            dbname=postgres.dbname,
        ).close()
