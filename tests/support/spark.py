"""Apache Spark for the Spark lane: whether it can run here, and a mart's rows read back
through Spark itself (its metastore and tables, as dbt's session left them).

When Java or pyspark is missing, tests that need Spark are skipped, unless
``IMPRAISE_REQUIRE_SPARK=1`` (set by .ci/run), where they fail.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def require_spark() -> None:
    missing = []
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing.append("Java 17 (Debian: apt-get install openjdk-17-jre-headless)")
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        missing.append("pyspark and dbt-spark (make install-spark)")
    if not missing:
        return
    reason = f"the Spark lane needs {' and '.join(missing)}"
    if os.environ.get("IMPRAISE_REQUIRE_SPARK") == "1":
        pytest.fail(f"{reason} (and IMPRAISE_REQUIRE_SPARK=1)", pytrace=False)
    pytest.skip(reason)


def comparable(value: Any) -> Any:
    """One engine's value in a form the other's equal value also takes: timestamps as
    UTC text to the microsecond, decimals without trailing zeros, doubles to 9 places."""
    if isinstance(value, datetime):
        return value.strftime(TIMESTAMP_FORMAT)
    if isinstance(value, Decimal):
        return value.normalize() + 0
    if isinstance(value, float):
        return round(value, 9)
    return value


def spark_tables(spark_dir: Path, schema: str, names: list[str]) -> dict[str, list[dict]]:
    """{table: rows} of `schema`'s tables in Spark's metastore under `spark_dir`; timestamps
    are formatted by Spark in its session's UTC, so no Python time zone comes into it.

    Read in a process of its own: Spark's embedded Derby metastore stays locked by the JVM
    that opened it until that JVM exits, and the next load or build must open it.
    """
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as reader:
        return reader.submit(_read_tables, spark_dir, schema, names).result()


def _read_tables(spark_dir: Path, schema: str, names: list[str]) -> dict[str, list[dict]]:
    from impraise_cli.spark import spark_session
    from pyspark.sql import functions
    from pyspark.sql.types import TimestampType

    tables = {}
    with spark_session(spark_dir) as session:
        for name in names:
            frame = session.table(f"{schema}.{name}")
            columns = [
                functions.date_format(field.name, "yyyy-MM-dd HH:mm:ss.SSSSSS").alias(field.name)
                if isinstance(field.dataType, TimestampType)
                else functions.col(field.name)
                for field in frame.schema.fields
            ]
            tables[name] = [
                {key: comparable(value) for key, value in row.asDict().items()}
                for row in frame.select(*columns).collect()
            ]
    return tables
