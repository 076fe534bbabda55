"""A warehouse built for the semantic-layer and report tests, and ways to ask it questions.

The small organisation, with a team added below the floor, is loaded by the pipeline CLI
and built by `dbt build` (models and snapshot; the data tests run in test_dbt_e2e's builds)
with the privacy floor at 3, the lowest the project accepts, so that the organisation has
groups on both sides of it. The
dbt project is copied first so that its `target/` (where `mf` looks for the semantic
manifest) belongs to the test, not to a developer's checkout.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from impraise_simulator import Organisation, SimulatorServer, Switches

from tests.support.dbt import Warehouse, run_dbt
from tests.support.pipeline import REPO_ROOT, PipelineWorkspace
from tests.support.simulator import fresh_small_org

FLOOR = 3
TOKEN = "tkn-metrics-7d21"


@dataclass(frozen=True)
class MetricsWarehouse:
    warehouse: Warehouse
    records: dict[str, list[dict[str, Any]]]
    project_dir: Path  # the copy of dbt_project this build ran from
    workdir: Path

    @property
    def env(self) -> dict[str, str]:
        """What dbt, `mf` and the report read: the warehouse and this build's project."""
        return {
            **self.warehouse.env,
            "DBT_PROJECT_DIR": str(self.project_dir),
            "DBT_PROFILES_DIR": str(REPO_ROOT / "profiles"),
            "DBT_TARGET_PATH": str(self.project_dir / "target"),
            "DBT_LOG_PATH": str(self.workdir / "dbt_logs"),
        }

    @property
    def semantic_manifest(self) -> dict[str, Any]:
        return json.loads((self.project_dir / "target" / "semantic_manifest.json").read_text())

    def query(self, *queries: dict[str, Any]) -> list[list[dict[str, Any]]]:
        """Rows of each query ({"metrics": [...], "group_by": [...]}), in one process.

        Time group-bys (metric_time__month, ...__day) come back as dates."""
        answers = self.ask_module("tests.support.mf_batch", list(queries))
        return [[_dated(row) for row in rows] for rows in answers]

    def ask_module(self, module: str, question: Any, timeout: float = 300) -> Any:
        """The JSON a module run against this build (`python -m module`) answers the JSON
        `question` with, on stdin and stdout."""
        completed = subprocess.run(
            [sys.executable, "-m", module],
            input=json.dumps(question),
            cwd=REPO_ROOT,
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        return json.loads(completed.stdout)

    def process_env(self) -> dict[str, str]:
        """The environment of a process run against this build, nothing of the caller's."""
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PG", "IMPRAISE_", "DBT_"))
        }
        return {**inherited, **self.env}


def add_small_team(org: Organisation) -> None:
    """A team of fewer people than the floor (who keep their other teams): a group the
    marts, metrics and report must withhold, whatever else the generated organisation has."""
    users = [user for user in org.records("users") if user["status"] == "active"]
    members = users[: FLOOR - 1]
    team = org.add(
        "teams", {"name": "Tiger Team", "parentTeamId": None, "leadId": members[0]["id"]}
    )
    for user in members:
        org.update("users", user["id"], teamIds=[*user["teamIds"], team["id"]])


def build_metrics_warehouse(warehouse: Warehouse, workdir: Path) -> MetricsWarehouse:
    org = fresh_small_org()
    add_small_team(org)
    workspace = PipelineWorkspace(workdir)
    with SimulatorServer(org, token=TOKEN, switches=Switches(rate_limit=0)) as server:
        run = workspace.run(
            server,
            token=TOKEN,
            env={**warehouse.env, "SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "50"},
        )
    assert run.returncode == 0, run.output
    project_dir = workdir / "dbt_project"
    shutil.copytree(
        REPO_ROOT / "dbt_project", project_dir, ignore=shutil.ignore_patterns("target", "logs")
    )
    built = MetricsWarehouse(
        warehouse, {bucket: org.records(bucket) for bucket in org.buckets}, project_dir, workdir
    )
    build = run_dbt(
        [
            "build",
            "--exclude-resource-type",
            "test",
            "unit_test",
            "--vars",
            f"{{min_group_size: {FLOOR}}}",
        ],
        built.env,
        workdir,
    )
    assert build.returncode == 0, build.output[-3000:]
    return built


@pytest.fixture
def duckdb_metrics_warehouse(tmp_path_factory) -> Iterator[MetricsWarehouse]:
    """Built once per run and shared by the metric and report tests on every xdist worker;
    each test holds it alone while it runs, since DuckDB lets one process at a time open a
    file for writing (the report and `mf` do). pytest-xdist's `--dist loadgroup` would keep
    these tests on one worker instead, but under pytest 9 it does not group: it tags items
    through `_nodeid`, which pytest 9 no longer reads."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above the workers' own
    workdir = shared / "metrics_duckdb"
    records = workdir / "records.json"
    with _exclusively(shared / "metrics_duckdb.lock"):
        if records.exists():
            warehouse = Warehouse("duckdb", duckdb_path=PipelineWorkspace(workdir).duckdb_path)
            built = MetricsWarehouse(
                warehouse, json.loads(records.read_text()), workdir / "dbt_project", workdir
            )
        else:
            workdir.mkdir()
            warehouse = Warehouse("duckdb", duckdb_path=PipelineWorkspace(workdir).duckdb_path)
            built = build_metrics_warehouse(warehouse, workdir)
            records.write_text(json.dumps(built.records))
        yield built


@contextmanager
def _exclusively(lock_path: Path) -> Iterator[None]:
    """Across processes: one holder at a time of the lock file."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _dated(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: dt.date.fromisoformat(value[:10])
        if isinstance(value, str) and (key.startswith("metric_time") or key.endswith("__day"))
        else value
        for key, value in row.items()
    }
