"""IMPRAISE_DESTINATION=spark: the raw tables as Parquet tables in Spark's metastore.

dlt has no Spark destination, and its `filesystem` destination merges on `id` only into
Delta or Iceberg tables, which Spark here cannot read: their Spark jars come from Maven
(issue 24). So dlt merges into the DuckDB file as for `duckdb`, and after each load every
raw table of the dataset is written again as Parquet under IMPRAISE_SPARK_DIR and
registered in Spark's metastore as `<dataset>.<table>`: what dbt's `spark` target reads,
as it reads dlt's tables on Databricks (dlt's `databricks` destination) or anywhere else.

The layout under IMPRAISE_SPARK_DIR (default `spark/` in the repo root) is the one
profiles/profiles.yml gives dbt's session: `warehouse/` and `metastore_db/`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from impraise_source.errors import ConfigurationError, ImpraiseError

from .destinations import first_line
from .project import PROJECT_DIR

DEFAULT_SPARK_DIR = PROJECT_DIR / "spark"


@dataclass(frozen=True)
class Published:
    tables: int
    rows: int
    where: Path


def spark_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("IMPRAISE_SPARK_DIR") or DEFAULT_SPARK_DIR).expanduser().resolve()


def check_spark_available() -> None:
    """Refuses, before any request, a machine that cannot run Spark."""
    if importlib.util.find_spec("pyspark") is None:
        raise ConfigurationError(
            "the spark destination needs pyspark: pip install -e '.[spark]' (see README)"
        )
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ConfigurationError(
            "the spark destination needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)"
        )


def publish_raw_tables(
    duckdb_file: Path, dataset: str, env: Mapping[str, str] = os.environ
) -> Published:
    """Write each table of `dataset` in `duckdb_file` as Parquet and (re)register it in
    Spark's metastore; a table Spark had that the dataset no longer has is dropped."""
    root = spark_dir(env)
    raw_dir = root / "raw" / dataset
    raw_dir.mkdir(parents=True, exist_ok=True)
    locations, rows = {}, 0
    with duckdb.connect(str(duckdb_file), read_only=True) as db:
        tables = [
            name
            for (name,) in db.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "order by 1",
                [dataset],
            ).fetchall()
        ]
        for table in tables:
            rows += _write_parquet(db, dataset, table, raw_dir / table)
            locations[table] = raw_dir / table
    try:
        _register(root, dataset, locations)
    except Exception as error:  # py4j and pyspark raise many kinds; one line says which
        raise ImpraiseError(f"publishing to Spark in {root} failed: {first_line(error)}") from None
    return Published(len(locations), rows, raw_dir)


def _write_parquet(db: duckdb.DuckDBPyConnection, dataset: str, table: str, where: Path) -> int:
    """The table as one Parquet file in `where`, replaced whole (no reader sees half)."""
    fresh = where.with_name(f".{table}.new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    source = f'"{dataset}"."{table}"'
    db.execute(f"copy (select * from {source}) to '{fresh / 'part-0.parquet'}' (format parquet)")
    shutil.rmtree(where, ignore_errors=True)
    fresh.rename(where)
    return db.execute(f"select count(*) from {source}").fetchone()[0]


@contextmanager
def spark_session(root: Path) -> Iterator[Any]:
    """A local Spark session on the metastore and warehouse under `root`, as dbt's."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("impraise")
        .config("spark.sql.warehouse.dir", str(root / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true",
        )
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .enableHiveSupport()
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()


def _register(root: Path, dataset: str, locations: dict[str, Path]) -> None:
    with spark_session(root) as session:
        session.sql(f"create database if not exists `{dataset}`")
        known = {row.tableName for row in session.sql(f"show tables in `{dataset}`").collect()}
        for table in sorted(known - set(locations)):
            session.sql(f"drop table `{dataset}`.`{table}`")
        for table, location in locations.items():
            # An external table: dropping it leaves the files, which the next write replaces.
            session.sql(f"drop table if exists `{dataset}`.`{table}`")
            session.sql(f"create table `{dataset}`.`{table}` using parquet location '{location}'")
