"""An operator's slip fails closed (issue 20): the project's settings apply wherever the
run starts, the demo never shares a dataset with a real organisation, dataset names are
checked, and every bad setting is one line with its exit code, before any request.

Each case is the real command line against the simulator; "no request" is what the
simulator's log says, "nothing written" what the disk says.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import duckdb
import tomlkit
from dlt.common.runtime.run_context import global_dir
from impraise_simulator import Organisation

from tests.support.dbt import run_dbt
from tests.support.filesystems import read_only
from tests.support.pipeline import REPO_ROOT, PipelineWorkspace, Run
from tests.support.truth import assert_raw_matches_source

TOKEN = "tkn-failclosed-5d1e"
HASH_KEY = secrets.token_hex(16)


def refused(run: Run, code: int, *needles: str) -> str:
    """Assert the run ended with `code` and one line on stderr holding `needles`."""
    lines = run.stderr.strip().splitlines()
    assert run.returncode == code, run.output
    assert len(lines) == 1, run.output
    for needle in needles:
        assert needle in lines[0], run.output
    return lines[0]


def nothing_done(server, workspace: PipelineWorkspace) -> None:
    """No request reached the API and the run wrote no state and no warehouse."""
    assert server.request_log == [], [r.path for r in server.request_log]
    assert not (workspace.root / "dlt").exists()
    assert not workspace.duckdb_path.exists()


def staging_rows(workspace: PipelineWorkspace, schema: str = "impraise_raw_staging") -> int:
    return sum(
        workspace.query(f'select count(*) from "{schema}"."{t}"')[0][0]
        for t in workspace.tables(schema)
    )


def mac(value: str) -> str:
    return hmac.new(HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------- item 1: settings


def test_the_project_settings_apply_wherever_the_run_starts(simulator, small_org, tmp_path):
    """A scheduler starts the run in another directory: the checkout's .dlt/config.toml
    (files deleted once loaded, staging emptied) still applies, and so does a policy in
    the .dlt/ of a project directory named by DLT_PROJECT_DIR."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    checkout = PipelineWorkspace(tmp_path / "checkout")
    run = checkout.run(server, "--buckets", "users,teams", token=TOKEN, cwd=elsewhere)
    assert run.returncode == 0, run.output
    assert list((checkout.root / "dlt").rglob("*.parquet")) == []
    assert checkout.tables("impraise_raw_staging") and staging_rows(checkout) == 0

    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    config = tomlkit.parse((REPO_ROOT / ".dlt" / "config.toml").read_text())
    config["sources"]["impraise"]["field_policy"] = {"users.name": "hash", "users.email": "hash"}
    (project / ".dlt" / "config.toml").write_text(tomlkit.dumps(config))
    (project / ".dlt" / "secrets.toml").write_text(f'[sources.impraise]\nhash_key = "{HASH_KEY}"\n')
    named = PipelineWorkspace(tmp_path / "named")
    run = named.run(server, token=TOKEN, env={"DLT_PROJECT_DIR": str(project)}, cwd=elsewhere)
    assert run.returncode == 0, run.output
    users = {u["id"]: u for u in small_org.records("users")}
    loaded = named.table("users")
    assert len(loaded) == len(users)
    for row in loaded:
        assert row["name"] == mac(users[row["id"]]["name"])
        assert row["email"] == mac(users[row["id"]]["email"])
    assert list((named.root / "dlt").rglob("*.parquet")) == []
    assert staging_rows(named) == 0
    assert list(elsewhere.iterdir()) == [], "the run wrote into the directory it started in"


def test_dbt_reads_the_profiles_warehouse_from_another_directory(simulator, small_org, tmp_path):
    """With DBT_PROJECT_DIR and DBT_PROFILES_DIR absolute (as a scheduler sets them), the
    profile's default DuckDB file is the one beside the profiles directory, not one in
    the directory dbt runs in."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    checkout = tmp_path / "checkout"
    (checkout / "profiles").mkdir(parents=True)
    (checkout / "profiles" / "profiles.yml").write_text(
        (REPO_ROOT / "profiles" / "profiles.yml").read_text()
    )
    workspace = PipelineWorkspace(checkout)
    assert workspace.run(server, "--buckets", "users", token=TOKEN).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        "DBT_PROJECT_DIR": str(REPO_ROOT / "dbt_project"),
        "DBT_PROFILES_DIR": str(checkout / "profiles"),
    }
    shown = run_dbt(
        ["show", "--inline", "select count(*) as n from impraise_raw.users", "--output", "json"],
        env,
        tmp_path / "dbt",
        cwd=elsewhere,
    )
    assert shown.returncode == 0, shown.output[-2000:]
    assert re.search(rf'"n":\s*{len(small_org.records("users"))}\b', shown.output), shown.output
    assert not (elsewhere / "impraise.duckdb").exists()


def test_the_report_says_in_one_line_that_the_marts_are_not_built(simulator, small_org, tmp_path):
    """`make report` (python -m impraise_report) over a warehouse with raw data and no
    marts, started from another directory: one line, exit 1."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    workspace = PipelineWorkspace(tmp_path)
    assert workspace.run(server, "--buckets", "users", token=TOKEN).returncode == 0
    env = {"IMPRAISE_DUCKDB_PATH": str(workspace.duckdb_path)}
    assert run_dbt(["parse"], env, workspace.dbt_dir).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = subprocess.run(
        [sys.executable, "-m", "impraise_report", "--output", str(tmp_path / "r.html")],
        cwd=elsewhere,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("IMPRAISE_", "DBT_"))},
            **env,
            "DBT_TARGET_PATH": str(workspace.dbt_dir / "dbt_target"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = (report.stdout + report.stderr).strip().splitlines()
    assert report.returncode == 1 and len(lines) == 1, report.stdout + report.stderr
    assert "does not exist" in lines[0] and "run `dbt build`" in lines[0], lines
    assert not (tmp_path / "r.html").exists()


# ------------------------------------------------------------------------ item 5: demo


def test_the_demo_and_a_real_organisation_never_share_a_dataset(simulator, small_org, tmp_path):
    """The demo's data is told by the pipeline that loaded it (impraise_demo, recorded in
    the dataset's _dlt_pipeline_state): a real load refuses a dataset the demo loaded,
    and the demo one a real organisation loaded, before any request."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    demo = PipelineWorkspace(tmp_path / "demo")
    assert demo.run(server, "--demo", "--buckets", "topics", token=None).returncode == 0
    real = demo.run(server, "--buckets", "topics", token=TOKEN)
    refused(real, 2, "dataset impraise_raw", str(demo.duckdb_path), "demo's simulated")
    assert server.request_log == []

    real_place = PipelineWorkspace(tmp_path / "real")
    assert real_place.run(server, "--buckets", "topics", token=TOKEN).returncode == 0
    before = real_place.table("topics")
    server.clear_log()
    again = real_place.run(server, "--demo", "--buckets", "topics", token=None)
    refused(again, 2, "--demo: dataset impraise_raw", "real organisation")
    assert real_place.table("topics") == before
    # The demo's default warehouse is a file of its own.
    from impraise_cli.destinations import DEFAULT_DUCKDB_PATH, duckdb_path

    assert duckdb_path({}, demo=True) != duckdb_path({}) == DEFAULT_DUCKDB_PATH


def _fake_tools(directory: Path, log: Path) -> Path:
    """A bin directory whose python and dbt record the settings they were started with."""
    directory.mkdir()
    for tool in ("python", "dbt"):
        script = directory / tool
        script.write_text(
            "#!/bin/sh\n"
            f'echo "{tool} $* | $IMPRAISE_DESTINATION | $IMPRAISE_DUCKDB_PATH | $DLT_DATA_DIR"'
            f" >> {log}\n"
        )
        script.chmod(0o755)
    return directory


def test_make_demo_writes_only_its_own_directory_and_clean_keeps_the_warehouse(tmp_path):
    """Every step of `make demo` is pointed at demo/, whatever the caller's environment
    says; `make clean` removes demo/ and never impraise.duckdb or reports/."""
    log = tmp_path / "log"
    tools = _fake_tools(tmp_path / "bin", log)
    demo_dir = tmp_path / "demo"
    env = {
        **os.environ,
        "IMPRAISE_DESTINATION": "postgres",
        "IMPRAISE_DUCKDB_PATH": str(tmp_path / "real.duckdb"),
        "DLT_DATA_DIR": str(tmp_path / "real-dlt"),
    }
    made = subprocess.run(
        ["make", "demo", f"BIN={tools}", "INSTALLED=", f"DEMO_DIR={demo_dir}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    steps = log.read_text().splitlines()
    assert [s.split()[0] for s in steps] == ["python", "dbt", "dbt", "python", "python"]
    for step in steps:
        assert step.endswith(f"| duckdb | {demo_dir}/demo.duckdb | {demo_dir}/dlt"), step
    assert f"--output {demo_dir}/engagement.html" in steps[-1]

    dry = subprocess.run(
        ["make", "-n", "clean", f"DEMO_DIR={demo_dir}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(demo_dir) in dry
    assert "impraise.duckdb" not in dry and "reports" not in dry, dry
    helped = subprocess.run(["make", "help"], cwd=REPO_ROOT, capture_output=True, text=True)
    clean = next(line for line in helped.stdout.splitlines() if line.strip().startswith("clean"))
    assert "demo/" in clean and "warehouse" not in clean, clean


# -------------------------------------------------------------- item 7: dataset names


def test_dataset_names_are_dlts_and_unusable_ones_are_refused(simulator, small_org, tmp_path):
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    for name, needle in (
        ('a"b', "holds '\"'"),
        ("/", "holds '/'"),
        ("a" * 300, "300 characters"),
        ("", "--dataset is empty"),
        ("___", "no letter or digit"),
    ):
        workspace = PipelineWorkspace(tmp_path / f"bad{len(name)}{name.count('_')}")
        refused(workspace.run(server, "--dataset", name, token=TOKEN), 2, needle)
        nothing_done(server, workspace)

    workspace = PipelineWorkspace(tmp_path / "normalised")
    run = workspace.run(server, "--dataset", "a;drop", "--buckets", "topics", token=TOKEN)
    assert run.returncode == 0, run.output
    assert "dataset 'a;drop' is named a_drop" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "loaded into duckdb dataset a_drop"
    assert "a;drop" not in run.stdout.strip().splitlines()[-1]
    assert_raw_matches_source(workspace, small_org, ["topics"], schema="a_drop")


def test_a_dataset_never_takes_another_datasets_staging_schema(simulator, tmp_path):
    """`acme_staging` is where dlt stages acme's merges and empties them after each load:
    loading a second organisation there is refused, and so is loading `acme` while a
    dataset `acme_staging` exists (loaded before this check)."""
    acme, other = (Organisation.generate(users=12, seed=seed) for seed in (41, 42))
    acme_api = simulator(org=acme, token=TOKEN, rate_limit=0)
    other_api = simulator(org=other, token=TOKEN, rate_limit=0)
    workspace = PipelineWorkspace(tmp_path)
    assert workspace.run(acme_api, "--dataset", "acme", token=TOKEN).returncode == 0
    refused(
        workspace.run(other_api, "--dataset", "acme_staging", token=TOKEN),
        2,
        "acme_staging is the staging schema of dataset acme",
    )
    assert other_api.request_log == []
    assert workspace.run(acme_api, "--dataset", "acme", token=TOKEN).returncode == 0
    assert_raw_matches_source(workspace, acme, schema="acme")

    # A warehouse where the other order happened: `zed_staging` was loaded as a dataset.
    assert workspace.run(other_api, "--dataset", "zed_staging", token=TOKEN).returncode == 0
    other_api.clear_log()
    refused(
        workspace.run(acme_api, "--dataset", "zed", "--buckets", "users", token=TOKEN),
        2,
        "its staging schema zed_staging is a dataset of its own",
    )
    assert_raw_matches_source(workspace, other, schema="zed_staging")


# ------------------------------------------------------------------------ item 8: lock


def test_a_second_run_refuses_before_its_first_request(simulator, workspace):
    server = simulator(token=TOKEN, rate_limit=0)
    lock = workspace.pipeline_dir.parent / "impraise.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        second = workspace.run(server, token=TOKEN)
    refused(second, 5, "another run of this pipeline is in progress", str(lock))
    assert server.request_log == []


# ------------------------------------------------------ items 9, 10: one line, its code


def test_bad_settings_are_one_line_before_any_request_or_file(simulator, tmp_path):
    server = simulator(token=TOKEN, rate_limit=0)
    project = tmp_path / "malformed"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "secrets.toml").write_text('[sources.impraise\napi_token = "x')
    cases = [
        ({"SOURCES__IMPRAISE__API_TOKEN": "tkn-\u201cquoted\u201d"}, (), "API_TOKEN", "Latin-1"),
        ({"RUNTIME__REQUEST_TIMEOUT": "0"}, (), "RUNTIME__REQUEST_TIMEOUT is 0", "greater than 0"),
        ({"RUNTIME__REQUEST_MAX_ATTEMPTS": "abc"}, (), "RUNTIME__REQUEST_MAX_ATTEMPTS 'abc'", ""),
        ({"DLT_PROJECT_DIR": str(project)}, (), f"{project}/.dlt/secrets.toml", "line 1"),
        (
            {
                "PGHOST": "127.0.0.1",
                "PGUSER": "u",
                "PGPASSWORD": "p",
                "PGDATABASE": "d",
                "PGPORT": "abc",
            },
            ("--destination", "postgres"),
            "PGPORT 'abc'",
            "port",
        ),
        (
            {"PGHOST": "127.0.0.1", "PGUSER": "u", "PGDATABASE": "d", "PGPORT": "1"},
            ("--destination", "postgres"),
            "the postgres destination needs PGPASSWORD",
            "",
        ),
        ({"IMPRAISE_DUCKDB_MEMORY_LIMIT": "lots"}, (), "IMPRAISE_DUCKDB_MEMORY_LIMIT 'lots'", ""),
        ({}, ("--buckets", ""), "--buckets is empty", ""),
        ({}, ("--exclude", ""), "--exclude is empty", ""),
        ({}, ("--buckets", "users", "--exclude", "users"), "both name users", ""),
        ({}, ("--start-date", "0001-01-01"), "before 1970-01-01", ""),
        ({}, ("--start-date", "0001-01-01T00:00:00+05:00"), "before 1970-01-01", ""),
    ]
    for number, (env, args, *needles) in enumerate(cases):
        workspace = PipelineWorkspace(tmp_path / f"case{number}")
        run = workspace.run(
            server, *args, token=env.pop("SOURCES__IMPRAISE__API_TOKEN", TOKEN), env=env
        )
        line = refused(run, 2, *needles)
        assert "\u201c" not in line, "the token was echoed"
        nothing_done(server, workspace)
    # A database that refuses the connection: told once the pipeline exists (its empty
    # working directory), still before any request.
    workspace = PipelineWorkspace(tmp_path / "unreachable")
    env = {
        "PGHOST": "127.0.0.1",
        "PGUSER": "u",
        "PGPASSWORD": "p",
        "PGDATABASE": "d",
        "PGPORT": "1",
    }
    run = workspace.run(server, "--destination", "postgres", token=TOKEN, env=env)
    refused(run, 2, "cannot connect to the postgres warehouse", "Connection refused")
    assert server.request_log == []


def test_duckdb_file_problems_are_named_before_any_request(simulator, tmp_path):
    server = simulator(token=TOKEN, rate_limit=0)
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("minutes of the works council\n" * 100)
    cases = {
        tmp_path / "missing" / "w.duckdb": "the directory",
        not_duckdb: "cannot be opened as a DuckDB database",
        tmp_path: "is a directory",
    }
    for number, (path, needle) in enumerate(cases.items()):
        workspace = PipelineWorkspace(tmp_path / f"case{number}")
        run = workspace.run(server, token=TOKEN, env={"IMPRAISE_DUCKDB_PATH": str(path)})
        refused(run, 2, f"IMPRAISE_DUCKDB_PATH {path}", needle)
        assert "credentials" not in run.output and "internet" not in run.output
        assert server.request_log == []
    assert not (tmp_path / "missing").exists()

    workspace = PipelineWorkspace(tmp_path / "loaded")
    assert workspace.run(server, "--buckets", "topics", token=TOKEN).returncode == 0
    server.clear_log()
    with read_only(workspace.duckdb_path):
        run = workspace.run(server, "--buckets", "topics", token=TOKEN)
    refused(run, 2, f"IMPRAISE_DUCKDB_PATH {workspace.duckdb_path} is read-only")
    assert server.request_log == []
    # Another process (a notebook, dbt) holds the file: a run of its own, exit 5.
    with duckdb.connect(str(workspace.duckdb_path)):
        run = workspace.run(server, "--buckets", "topics", token=TOKEN)
    refused(run, 5, f"the DuckDB file {workspace.duckdb_path} is in use by another process")
    assert server.request_log == []


def test_a_read_only_dlt_data_dir_is_named(simulator, tmp_path):
    server = simulator(token=TOKEN, rate_limit=0)
    workspace = PipelineWorkspace(tmp_path)
    data_dir = tmp_path / "dlt"
    data_dir.mkdir()
    with read_only(data_dir):
        run = workspace.run(server, token=TOKEN)
    refused(
        run,
        2,
        f"DLT_DATA_DIR {data_dir}",
        "Read-only file system" if os.geteuid() == 0 else "Permission denied",
    )
    assert server.request_log == []
    assert not workspace.duckdb_path.exists()


def test_a_401_in_the_middle_of_a_run_exits_3(simulator, small_org, workspace):
    """The token is revoked while the run reads: the buckets read before it are loaded,
    the refused one's cursor does not move, and the exit code is the token's."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    server.inject_at("401", "feedback", offset=20, count=1000)
    run = workspace.run(server, token=TOKEN, env={"SOURCES__IMPRAISE__MAX_ITEMS": "20"})
    assert run.returncode == 3, run.output
    lines = run.stderr.strip().splitlines()
    assert lines == [
        "impraise: error: bucket 'feedback': the Impraise API refused the token (HTTP 401): "
        "check SOURCES__IMPRAISE__API_TOKEN"
    ], run.output
    assert_raw_matches_source(workspace, small_org, ["users", "teams", "topics"])
    server.clear_faults()
    rerun = workspace.run(server, token=TOKEN, env={"SOURCES__IMPRAISE__MAX_ITEMS": "20"})
    assert rerun.returncode == 0, rerun.output
    assert_raw_matches_source(workspace, small_org)


def test_help_tells_where_dlt_keeps_its_data(simulator, workspace):
    run = workspace.run(simulator(token=TOKEN), "--help", token=TOKEN)
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    assert (
        f"DLT_DATA_DIR where dlt keeps pipeline state and load packages, default {global_dir()}"
        in text
    )
    assert "/var/dlt when run as root" in text
    assert "130 interrupted by Ctrl-C" in text


def test_files_a_run_writes_are_its_owners_alone(simulator, small_org, workspace):
    """Under the usual umask (022), every file and directory the run creates, the
    DuckDB file included, is readable by its owner only."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    previous = os.umask(0o022)
    try:
        run = workspace.run(server, token=TOKEN)
    finally:
        os.umask(previous)
    assert run.returncode == 0, run.output
    exposed = [
        f"{path} {oct(path.stat().st_mode & 0o777)}"
        for path in [workspace.duckdb_path, *(workspace.root / "dlt").rglob("*")]
        if path.stat().st_mode & 0o077
    ]
    assert exposed == []
