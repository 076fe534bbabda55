"""The command line as a user meets it: help, demo, destinations, datasets, configuration
errors, exit codes, progress on a terminal, the memory limit."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import duckdb
import psycopg2
from impraise_cli.destinations import DEFAULT_DUCKDB_MEMORY_LIMIT
from impraise_simulator import BUCKETS, Organisation

from tests.support.dbt import dbt_show
from tests.support.pipeline import CLI, REPO_ROOT, PipelineWorkspace
from tests.support.truth import assert_raw_matches_source

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
    assert header == [
        *("bucket", "rows", "pages", "requests", "retries", "429s", "seconds"),
        *("shifts", "rereads", "api", "live", "result"),
    ]
    total = next(line for line in summary if line.startswith("total")).split()
    assert int(total[1]) == small_org.count()
    # Nothing moved; the API's count and the warehouse's agree.
    assert total[7:11] == ["0", "0", str(small_org.count()), str(small_org.count())]


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


def test_root_listing_failure_exits_4_and_loads_nothing(simulator, workspace: PipelineWorkspace):
    server = simulator(token=TOKEN, rate_limit=0)
    server.inject("503", bucket="/", count=100)
    run = workspace.run(server, token=TOKEN)
    assert run.returncode == 4, run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "(root)" in lines[0] and "HTTP 503" in lines[0], run.stderr
    assert {r.bucket for r in server.request_log} == {None}, "a bucket was read"
    assert not workspace.duckdb_path.exists()


def test_destination_option_overrides_the_environment(simulator, small_org, workspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    # With no PG* variables, the environment's postgres would fail as a configuration error.
    env = {"IMPRAISE_DESTINATION": "postgres"}
    run = workspace.run(
        server, "--destination", "duckdb", "--buckets", "topics", token=TOKEN, env=env
    )
    assert run.returncode == 0, run.output
    assert "loaded into duckdb" in run.stdout
    assert_raw_matches_source(workspace, small_org, ["topics"])


def test_a_second_dataset_keeps_its_own_tables_state_and_lock(simulator, workspace):
    """Two organisations side by side in one warehouse (README, --dataset)."""
    first_org, other_org = (Organisation.generate(users=12, seed=seed) for seed in (21, 22))
    first = simulator(org=first_org, token=TOKEN, rate_limit=0)
    other = simulator(org=other_org, token=TOKEN, rate_limit=0)
    dataset = ("--dataset", "acme_raw")
    # While a run of the first organisation's pipeline holds its lock (held here), the
    # other dataset's pipeline runs, and the first's refuses.
    lock = workspace.pipeline_dir.parent / "impraise.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert workspace.run(other, *dataset, token=TOKEN).returncode == 0
        refused = workspace.run(first, token=TOKEN)
        assert refused.returncode == 5 and str(lock) in refused.stderr, refused.output
    assert workspace.run(first, token=TOKEN).returncode == 0
    assert_raw_matches_source(workspace, first_org)
    assert_raw_matches_source(workspace, other_org, schema="acme_raw")
    # Each keeps its own cursors: the other's next run reads just its changed users.
    changed = other_org.mutate_users(2, seed=1)
    rerun = workspace.run(other, *dataset, token=TOKEN)
    assert rerun.returncode == 0, rerun.output
    total = next(line for line in rerun.stdout.splitlines() if line.startswith("total"))
    assert int(total.split()[1]) == len(changed)
    assert_raw_matches_source(workspace, other_org, schema="acme_raw")
    assert_raw_matches_source(workspace, first_org)


def test_progress_bars_show_on_a_terminal(simulator, small_org, workspace: PipelineWorkspace):
    """The README's promise: bars when stdout is a terminal (here a pseudo-terminal)."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    buckets = ["users", "teams"]
    controller, terminal = pty.openpty()
    # A new pseudo-terminal is 0 columns wide, in which tqdm draws nothing: make it 80.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, str(CLI), "--buckets", ",".join(buckets)],
        cwd=REPO_ROOT,
        env=workspace.env(server, TOKEN),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    shown = b""
    while True:  # read as it comes, or the run blocks on a full terminal buffer
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the run closed the terminal: Linux reports EIO
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0, shown.decode(errors="replace")
    text = shown.decode(errors="replace")
    for bucket in buckets:
        # tqdm's bar for each bucket ends with the count of its records.
        assert f"{bucket}: {len(small_org.records(bucket))}it" in text, text


def _duckdb_rendering(limit: str) -> str:
    """How DuckDB itself shows a memory_limit setting (e.g. '1MB' -> '976.5 KiB')."""
    with duckdb.connect(config={"memory_limit": limit}) as connection:
        return connection.execute("select current_setting('memory_limit')").fetchone()[0]


def test_duckdb_memory_limit_holds_the_load_and_dbt(simulator, small_org, workspace):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    # A limit too small to load anything: DuckDB's own error names the limit it enforced.
    starved = workspace.run(
        server, "--buckets", "topics", token=TOKEN, env={"IMPRAISE_DUCKDB_MEMORY_LIMIT": "1MB"}
    )
    assert starved.returncode == 1, starved.output
    assert f"/{_duckdb_rendering('1MB')} used)" in starved.output, starved.output
    # Under the default limit the next run finishes that load: nothing was lost.
    assert workspace.run(server, "--buckets", "topics", token=TOKEN).returncode == 0
    assert_raw_matches_source(workspace, small_org, ["topics"])
    # dbt's DuckDB connection gets the same limit, and the same default.
    query = "select current_setting('memory_limit') as memory_limit"
    for configured, expected in (("123MB", "123MB"), (None, DEFAULT_DUCKDB_MEMORY_LIMIT)):
        env = {"IMPRAISE_DUCKDB_PATH": str(workspace.duckdb_path)}
        if configured:
            env["IMPRAISE_DUCKDB_MEMORY_LIMIT"] = configured
        rows = dbt_show(query, env, workspace.dbt_dir)
        assert rows == [{"memory_limit": _duckdb_rendering(expected)}], configured
