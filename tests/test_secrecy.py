"""The token appears nowhere, and PII mode keeps names and emails out of the warehouse.

The token and salt are made up at run time, so no file of the repository can hold them
by accident (this test's own source included). One pipeline goes through a clean run
in PII mode, dbt, a failing bucket, a run killed while it reads pages and its recovery,
and a refused token; another fails while loading. Then every output, every file dlt
wrote (state, trace, load packages: bytes, pickles included), every text column of every
table (dlt's own `_dlt_*` tables too), dbt's target/ and logs/, and every tracked file
are searched for the secrets, and all but the tracked files for every user's plaintext
name and email.
"""

from __future__ import annotations

import hashlib
import secrets
import signal
import subprocess
import time
from pathlib import Path

import duckdb
from impraise_simulator import BUCKETS

from tests.support.dbt import DbtRun, expected_warnings, run_dbt, warned_tests
from tests.support.pipeline import REPO_ROOT, PipelineWorkspace, Run
from tests.support.tally import TALLY
from tests.support.truth import assert_raw_matches_source, compare_bucket

TEXT_TYPES = ("VARCHAR", "JSON")


def files_holding(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            found += [f"{path}: {n!r}" for n in needles if n in content]
            TALLY.add(secret_scans=1)
    return found


def columns_holding(database: Path, needles: list[str]) -> list[str]:
    """Every text column of every table, in every schema, that contains a needle."""
    found = []
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            f"where data_type in {TEXT_TYPES}"
        ).fetchall()
        for schema, table, column in columns:
            hits = connection.execute(
                f'select count(*) from "{schema}"."{table}", unnest(?::varchar[]) as n(needle) '
                f'where contains(cast("{column}" as varchar), n.needle)',
                [needles],
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}")
            TALLY.add(secret_scans=1)
    return found


def digest(salt: str, value: str) -> str:
    return hashlib.sha256(salt.encode() + value.encode()).hexdigest()


def test_the_token_appears_nowhere_and_pii_is_digested(simulator, small_org, tmp_path: Path):
    token = f"tkn-{secrets.token_hex(16)}"
    wrong = f"tkn-{secrets.token_hex(16)}"
    salt = secrets.token_hex(16)
    server = simulator(org=small_org, token=token, rate_limit=0)
    workspace = PipelineWorkspace(tmp_path / "main")
    env = {"SOURCES__IMPRAISE__PII_SALT": salt, "SOURCES__IMPRAISE__MAX_ITEMS": "200"}
    outputs: list[Run | DbtRun] = []

    def run(*args: str, expect: int, **kwargs) -> Run:
        result = workspace.run(server, *args, token=token, env=env, timeout=180, **kwargs)
        assert result.returncode == expect, result.output
        outputs.append(result)
        return result

    # A clean run, in PII mode: names and emails load as their salted digests.
    run(expect=0)
    users = small_org.records("users")
    expected = [
        u | {"name": digest(salt, u["name"]), "email": digest(salt, u["email"])} for u in users
    ]
    assert compare_bucket(workspace, "users", expected) == []
    assert_raw_matches_source(workspace, small_org, [b for b in BUCKETS if b != "users"])

    # dbt over digested people: ids are untouched, so the marts still join, and nothing
    # dangles, so no relationships test warns.
    build = run_dbt(
        ["build"], {"IMPRAISE_DUCKDB_PATH": str(workspace.duckdb_path)}, workspace.dbt_dir
    )
    outputs.append(build)
    assert build.returncode == 0, build.output[-8000:]
    records = {bucket: small_org.records(bucket) for bucket in small_org.buckets}
    assert warned_tests(workspace.dbt_dir) == expected_warnings(records) == set()
    dim_users = {row[0] for row in workspace.query("select user_id from analytics.dim_users")}
    assert dim_users == {u["id"] for u in users}

    # A bucket that fails after its retries.
    small_org.mutate_users(3, seed=51)
    server.inject("503", bucket="feedback", count=1000)
    run(expect=4)
    server.clear_faults()

    # A run killed while it reads pages (slowed, so that it is still reading when its
    # first page is seen), then the run that recovers.
    server.clear_log()
    server.switches.latency_ms = 20
    process = workspace.start(
        server, token=token, env={**env, "SOURCES__IMPRAISE__MAX_ITEMS": "20"}
    )
    deadline = time.monotonic() + 60
    while not any(r.bucket for r in server.request_log) and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run ended before it was killed"
    outputs.append(Run(process.returncode, stdout, stderr))
    TALLY.add(runs_killed=1)
    server.switches.latency_ms = 0
    recovered = run(expect=0)
    # It had asked for a page (above) and committed no extracted package: killed mid-extract.
    assert "finishing load packages" not in recovered.stdout, recovered.stdout

    # A refused token: the wrong one is not echoed either.
    refused = workspace.run(server, token=wrong, env=env, timeout=60)
    assert refused.returncode == 3 and "refused the token" in refused.stderr
    outputs.append(refused)

    # A load that fails once the pages are read (DuckDB starved of memory, so its merge
    # fails): the exception's message. (A warehouse path that is a directory, the case
    # before, is now refused before any request, with nothing written to scan.)
    broken = PipelineWorkspace(tmp_path / "broken")
    starved = {**env, "IMPRAISE_DUCKDB_MEMORY_LIMIT": "1MB"}
    failed = broken.run(server, "--buckets", "users", token=token, env=starved, timeout=120)
    assert failed.returncode == 1 and "step failed" in failed.stderr, failed.output
    outputs.append(failed)

    secrets_ = [token, wrong, salt]
    plaintext = [user[field] for user in users for field in ("name", "email")]
    for result in outputs:
        for needle in secrets_ + plaintext:
            assert needle not in result.output
        TALLY.add(secret_scans=1)
    needles = [s.encode() for s in secrets_ + plaintext]
    for root in (workspace.root / "dlt", broken.root / "dlt", workspace.dbt_dir):
        assert root.is_dir()
        assert files_holding(root, needles) == [], root
    # The scan does read dlt's pickled trace: a value that is not secret is found there.
    assert files_holding(workspace.pipeline_dir, [server.url.encode()])
    assert columns_holding(workspace.duckdb_path, secrets_ + plaintext) == []
    # The scan sees data: ids, and the digests that stand for the names.
    assert columns_holding(workspace.duckdb_path, [users[0]["id"]])
    assert columns_holding(workspace.duckdb_path, [expected[0]["name"]])
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        path = REPO_ROOT / name.decode()
        if path.is_file():
            content = path.read_bytes()
            assert not any(n in content for n in needles), name
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".dlt/secrets.toml"], cwd=REPO_ROOT, check=False
    )
    assert ignored.returncode == 0, ".dlt/secrets.toml is not git-ignored"
