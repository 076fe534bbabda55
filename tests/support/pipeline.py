"""Run the real pipeline CLI in a subprocess against a simulator, and read what it loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.tally import TALLY

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = REPO_ROOT / "pipelines" / "impraise.py"
# Variables of the developer's own setup that must not leak into a test run.
_ISOLATED_PREFIXES = ("SOURCES__", "DESTINATION__", "RUNTIME__", "IMPRAISE_", "PG", "DLT_")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class PipelineWorkspace:
    """One isolated pipeline: its dlt data dir, its DuckDB file, its environment."""

    root: Path

    def __post_init__(self) -> None:
        # The directory of the DuckDB file must exist: the CLI refuses a path into none.
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def duckdb_path(self) -> Path:
        return self.root / "impraise.duckdb"

    @property
    def pipeline_dir(self) -> Path:
        """dlt's working directory of the default pipeline: state, trace, load packages."""
        return self.root / "dlt" / "pipelines" / "impraise"

    @property
    def dbt_dir(self) -> Path:
        """The workdir to give `tests.support.dbt.run_dbt`: its target/ and logs/ go here."""
        return self.root / "dbt"

    def env(self, server: Any, token: str | None, extra: Mapping[str, str] | None = None) -> dict:
        """The run's environment; `token=None` leaves the token unset."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
        if token is not None:
            env["SOURCES__IMPRAISE__API_TOKEN"] = token
        env.update(
            {
                "SOURCES__IMPRAISE__BASE_URL": server.url,
                # The tests' simulator has no quota unless a test sets one; retries are
                # fast so fault scenarios stay quick.
                "SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "200",
                "RUNTIME__REQUEST_BACKOFF_FACTOR": "0.05",
                "RUNTIME__REQUEST_MAX_ATTEMPTS": "4",
                "RUNTIME__REQUEST_TIMEOUT": "5",
                "DLT_DATA_DIR": str(self.root / "dlt"),
                "IMPRAISE_DUCKDB_PATH": str(self.duckdb_path),
            }
        )
        env.update(extra or {})
        return env

    def run(
        self,
        server: Any,
        *args: str,
        token: str | None,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
        cwd: Path = REPO_ROOT,
    ) -> Run:
        """The CLI run to its end; `cwd` is where it starts (the repo root, as documented)."""
        completed = subprocess.run(
            [sys.executable, str(CLI), *args],
            cwd=cwd,
            env=self.env(server, token, env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        TALLY.add(cli_runs=1)
        return Run(completed.returncode, completed.stdout, completed.stderr)

    def start(
        self,
        server: Any,
        *args: str,
        token: str | None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen:
        """The CLI started in the background (to kill it, or race it); text pipes."""
        TALLY.add(cli_runs=1)
        return subprocess.Popen(
            [sys.executable, str(CLI), *args],
            cwd=REPO_ROOT,
            env=self.env(server, token, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def assert_refused(
        self, server: Any, message: str, token: str | None, env: Mapping[str, str]
    ) -> None:
        """A load and `--check` alike exit 2 with one line holding `message`, before any
        request to `server` and before any file is written."""
        for args in ((), ("--check",)):
            run = self.run(server, *args, token=token, env=env)
            assert run.returncode == 2, run.output
            lines = run.stderr.strip().splitlines()
            assert len(lines) == 1 and message in lines[0], run.stderr
            assert server.request_log == [], "a request went out before the refusal"
            assert not any(self.root.iterdir()), "a file was written"

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def table(self, name: str, schema: str = "impraise_raw") -> list[dict[str, Any]]:
        """Every row of a raw table, as dicts."""
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            cursor = connection.execute(f'select * from "{schema}"."{name}"')
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def tables(self, schema: str = "impraise_raw") -> set[str]:
        rows = self.query(
            "select table_name from information_schema.tables "
            f"where table_schema = '{schema}' and table_name not like '_dlt%'"
        )
        return {row[0] for row in rows}


@pytest.fixture
def workspace(tmp_path: Path) -> PipelineWorkspace:
    """A fresh, isolated place for one pipeline's state and warehouse."""
    return PipelineWorkspace(tmp_path)


def as_instant(value: Any) -> datetime | None:
    """A timestamp from the API (ISO string, any offset) or the warehouse, as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def peak_per_window(times: list[float], window: float = 1.0) -> int:
    """The largest number of `times` inside any half-open window of `window` seconds."""
    ordered = sorted(times)
    peak, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


RunPipeline = Callable[..., Run]
