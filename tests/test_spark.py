"""The Spark lane: the same raw data built on DuckDB and on Apache Spark, every mart equal.

The pipeline loads with IMPRAISE_DESTINATION=spark, as the README says: dlt merges into
the DuckDB file, and the raw tables are published as Parquet in Spark's metastore. `dbt
build` then runs on both engines from that one load. Users move, records are updated and
deleted at the source, a full refresh loads again, both engines build again, and every
mart, the user history included, must still be equal. The history is compared by its
versions and values: the moment a user was found deleted is each build's own start.

DuckDB's marts are held against the simulator's records by tests/test_dbt_e2e.py; here
the history is also held against them (`user_versions`), so both engines are right, not
only alike.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from impraise_simulator import SimulatorServer, Switches

from tests.support.dbt import MARTS, Warehouse, run_dbt, tracked, user_versions
from tests.support.pipeline import PipelineWorkspace, as_instant
from tests.support.simulator import fresh_small_org
from tests.support.spark import comparable, require_spark, spark_tables
from tests.test_deletions_and_drift import rarely_referenced_users

TOKEN = "tkn-spark-lane-7e21"
HISTORY = ("dim_users_history", "user_observations")
# Only when the build ran: when the build that saw a user deleted started (the end of
# the user's last version and the deletion's row), and when each row was added.
DELETION = "<found deleted by this build>"
BUILD_DBT_TIMEOUT = 2400


@dataclass
class Build:
    statuses: dict[str, str]
    tables: dict[str, list[dict]]


def build(engine: dict[str, str], workdir: Path) -> Build:
    run = run_dbt(["build"], engine, workdir, timeout=BUILD_DBT_TIMEOUT)
    assert run.returncode == 0, run.output[-8000:]
    results = json.loads((workdir / "dbt_target" / "run_results.json").read_text())["results"]
    return Build({result["unique_id"]: result["status"] for result in results}, {})


def without_build_times(name: str, rows: list[dict]) -> list[dict]:
    """History rows with the build-time values replaced by what they stand for."""
    if name == "user_observations":
        return [
            {
                **{
                    k: v
                    for k, v in row.items()
                    if k not in ("observed_at", "user_observation_row_id")
                },
                "valid_from": DELETION if row["is_deleted"] else row["valid_from"],
            }
            for row in rows
        ]
    last = Counter()
    for row in rows:
        last[row["user_id"]] = max(last[row["user_id"]], row["version_number"])
    return [
        {
            **row,
            "valid_to": DELETION
            if row["valid_to"] is not None and row["version_number"] == last[row["user_id"]]
            else row["valid_to"],
        }
        for row in rows
    ]


def as_multiset(rows: list[dict]) -> Counter:
    return Counter(repr(sorted(row.items())) for row in rows)


def assert_engines_agree(duck: Build, spark: Build, when: str) -> None:
    assert spark.statuses == duck.statuses, f"{when}: the tests' results differ"
    for name in (*MARTS, "user_observations"):
        duck_rows, spark_rows = duck.tables[name], spark.tables[name]
        if name in HISTORY:
            duck_rows, spark_rows = (
                without_build_times(name, duck_rows),
                without_build_times(name, spark_rows),
            )
        assert duck_rows, f"{when}: {name} is empty"
        assert set(spark_rows[0]) == set(duck_rows[0]), f"{when}: {name}'s columns differ"
        only_duck = as_multiset(duck_rows) - as_multiset(spark_rows)
        only_spark = as_multiset(spark_rows) - as_multiset(duck_rows)
        assert not only_duck and not only_spark, (
            f"{when}: {name} differs: DuckDB only {list(only_duck)[:3]}, "
            f"Spark only {list(only_spark)[:3]}"
        )


def assert_history_matches_the_source(tables: dict[str, list[dict]], loads: list[list[dict]]):
    """dim_users_history as the simulator's successive states say (tests/support/dbt.py)."""
    expected = user_versions(loads)
    versions = defaultdict(list)
    for row in tables["dim_users_history"]:
        versions[row["user_id"]].append(row)
    assert set(versions) == set(expected)
    for user_id, wanted in expected.items():
        rows = sorted(versions[user_id], key=lambda row: row["version_number"])
        assert len(rows) == len(wanted), user_id
        for row, version in zip(rows, wanted, strict=True):
            teams = set(row["team_ids"].split("|")) if row["team_ids"] else set()
            assert (row["job_title"], row["manager_id"], row["status"], teams) == (
                *tracked(version.record)[:3],
                set(version.record["teamIds"]),
            ), user_id
            assert as_instant(row["valid_from"]) == version.valid_from, user_id


@pytest.mark.timeout(3 * BUILD_DBT_TIMEOUT)
def test_every_mart_is_equal_on_duckdb_and_on_spark(tmp_path):
    require_spark()
    workspace = PipelineWorkspace(tmp_path)
    spark_dir = tmp_path / "spark"
    duckdb_env = {
        "IMPRAISE_DESTINATION": "duckdb",
        "IMPRAISE_DUCKDB_PATH": str(workspace.duckdb_path),
    }
    spark_env = {
        **duckdb_env,
        "IMPRAISE_DESTINATION": "spark",
        "IMPRAISE_SPARK_DIR": str(spark_dir),
    }
    duckdb = Warehouse("duckdb", duckdb_path=workspace.duckdb_path)
    org = fresh_small_org()
    loads: list[list[dict]] = []

    def load_and_build_both(*args: str) -> tuple[Build, Build]:
        run = workspace.run(server, *args, token=TOKEN, env=spark_env, timeout=600)
        assert run.returncode == 0, run.output
        assert "published to spark: " in run.stdout, run.stdout
        loads.append(org.records("users"))
        duck = build(duckdb_env, tmp_path / "dbt-duckdb")
        duck.tables = {
            name: [{k: comparable(v) for k, v in row.items()} for row in duckdb.mart(name, schema)]
            for name, schema in [(mart, "analytics") for mart in MARTS]
            + [("user_observations", "analytics_history")]
        }
        spark = build(spark_env, tmp_path / "dbt-spark")
        spark.tables = spark_tables(spark_dir, "analytics", list(MARTS))
        spark.tables |= spark_tables(spark_dir, "analytics_history", ["user_observations"])
        return duck, spark

    with SimulatorServer(org, token=TOKEN, switches=Switches(rate_limit=0)) as server:
        assert_engines_agree(*load_and_build_both(), "after the first load")
        gone = rarely_referenced_users(org, 2)
        for user_id in gone:
            org.delete("users", user_id)
        feedback = org.records("feedback")
        for item in feedback[:3]:
            org.delete("feedback", item["id"])
        for item in feedback[3:6]:
            org.update("feedback", item["id"], isFlagged=not item["isFlagged"])
        moved = org.mutate_users(8, seed=24)
        # Only a full refresh finds records that are gone (README, --full-refresh).
        second = load_and_build_both("--full-refresh")

    assert_engines_agree(*second, "after users moved and records changed")
    spark_after = second[1].tables
    assert_history_matches_the_source(spark_after, loads)
    # The scenario did what it says: the gone users' history is closed by a deletion on
    # Spark too, and moved users have a second version.
    deleted = {row["user_id"] for row in spark_after["user_observations"] if row["is_deleted"]}
    assert deleted == set(gone)
    versions = Counter(row["user_id"] for row in spark_after["dim_users_history"])
    assert any(versions[user_id] == 2 for user_id in moved)


def test_spark_without_java_stops_before_the_first_request(simulator, small_org, workspace):
    """The spark destination on a machine with no Java: exit 2, one line, no request."""
    server = simulator(org=small_org, token=TOKEN, rate_limit=0)
    no_java = {"IMPRAISE_DESTINATION": "spark", "PATH": "/nonexistent", "JAVA_HOME": ""}
    run = workspace.run(server, token=TOKEN, env=no_java)
    assert run.returncode == 2, run.output
    missing = (
        "Java 17 (Debian: apt-get install openjdk-17-jre-headless)"
        if importlib.util.find_spec("pyspark")
        else "pyspark: pip install -e '.[spark]' (see README)"
    )
    assert run.stderr.strip().splitlines() == [
        f"impraise: error: the spark destination needs {missing}"
    ]
    assert server.request_log == [] and not workspace.duckdb_path.exists()
