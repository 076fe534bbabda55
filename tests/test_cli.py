"""The command line as a user meets it: help, demo, destinations, configuration errors."""

from __future__ import annotations

import psycopg2
from impraise_simulator import BUCKETS, Organisation

from tests.support.pipeline import PipelineWorkspace

TOKEN = "tkn-cli-71c0e4d2"
OPTIONS = (
    "--buckets",
    "--exclude",
    "--start-date",
    "--full-refresh",
    "--destination",
    "--dataset",
    "--demo",
)


def test_help_explains_every_option_and_exit_code(simulator, workspace: PipelineWorkspace):
    run = workspace.run(simulator(token=TOKEN), "--help", token=TOKEN)
    assert run.returncode == 0
    for option in OPTIONS:
        line = next(x for x in run.stdout.splitlines() if x.strip().startswith(option))
        assert len(line.split()) > 2, f"{option} has no explanation"
    for code in range(6):
        assert f"\n  {code}  " in run.stdout


def test_demo_runs_without_a_token(simulator, workspace: PipelineWorkspace):
    run = workspace.run(simulator(token=TOKEN), "--demo", token=None, timeout=300)
    assert run.returncode == 0, run.output
    from impraise_cli.load import DEMO_USERS  # the demo's own size, to regenerate its truth

    expected = Organisation.generate(users=DEMO_USERS, seed=1)
    for bucket in BUCKETS:
        loaded = workspace.query(f"select count(*) from impraise_raw.{bucket}")[0][0]
        assert loaded == len(expected.records(bucket)), bucket
    assert "demo: simulated Impraise API at http://127.0.0.1:" in run.stdout


def test_output_is_quiet_when_not_a_terminal(simulator, small_org, workspace):
    run = workspace.run(simulator(org=small_org, token=TOKEN, rate_limit=0), token=TOKEN)
    assert run.returncode == 0
    assert "\r" not in run.output and "it/s" not in run.output
    summary = run.stdout.splitlines()
    header = summary[0].split()
    assert header == ["bucket", "rows", "pages", "requests", "retries", "429s", "seconds", "result"]
    total = next(line for line in summary if line.startswith("total")).split()
    assert int(total[1]) == small_org.count()


def test_configuration_errors_are_one_line(simulator, workspace: PipelineWorkspace):
    server = simulator(token=TOKEN)
    cases = {
        ("--destination", "nowhere"): "unknown destination 'nowhere'",
        ("--start-date", "2025-13-45"): "--start-date / SOURCES__IMPRAISE__START_DATE",
    }
    for args, message in cases.items():
        run = workspace.run(server, *args, token=TOKEN)
        assert run.returncode == 2, run.output
        assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    for token in ("", None):
        missing = workspace.run(server, token=token)
        assert missing.returncode == 2, missing.output
        assert "api_token" in missing.stderr
        assert len(missing.stderr.strip().splitlines()) == 1


def test_postgres_destination_from_libpq_variables(
    simulator, small_org, workspace: PipelineWorkspace, postgres_database
):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    run = workspace.run(server, "--destination", "postgres", token=TOKEN, env=postgres_database)
    assert run.returncode == 0, run.output
    assert not workspace.duckdb_path.exists()
    connection = psycopg2.connect(
        host=postgres_database["PGHOST"],
        port=postgres_database["PGPORT"],
        user=postgres_database["PGUSER"],
        password=postgres_database["PGPASSWORD"],
        dbname=postgres_database["PGDATABASE"],
    )
    with connection, connection.cursor() as cursor:
        for bucket in BUCKETS:
            cursor.execute(f"select id from impraise_raw.{bucket}")
            ids = [row[0] for row in cursor.fetchall()]
            assert sorted(ids) == sorted(r["id"] for r in small_org.records(bucket)), bucket
        cursor.execute("select count(*) from impraise_raw.users__team_ids")
        expected = sum(len(u["teamIds"]) for u in small_org.records("users"))
        assert cursor.fetchone()[0] == expected
    connection.close()
