"""Where a run loads: chosen by name, configured by each warehouse's own conventions.

DuckDB (the default) is a file at IMPRAISE_DUCKDB_PATH, held to IMPRAISE_DUCKDB_MEMORY_LIMIT.
PostgreSQL is configured only by the standard libpq variables, so the same environment
serves psql, dlt and dbt. Any other
dlt destination is configured the dlt way (e.g. DESTINATION__SNOWFLAKE__CREDENTIALS).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import dlt
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.postgres.configuration import PostgresCredentials
from impraise_source.errors import ConfigurationError

DEFAULT_DESTINATION = "duckdb"
# The fastest load path measured per destination (docs/benchmarks.md, "Figures behind
# the design"); others keep dlt's preferred format.
FAST_FILE_FORMATS = {"duckdb": "parquet", "postgres": "csv"}
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DUCKDB_MEMORY_LIMIT = "400MB"


def duckdb_path(env: Mapping[str, str] = os.environ) -> Path:
    """The DuckDB file: IMPRAISE_DUCKDB_PATH, or impraise.duckdb in the repo root."""
    return Path(env.get("IMPRAISE_DUCKDB_PATH") or REPO_ROOT / "impraise.duckdb").resolve()


def duckdb_memory_limit(env: Mapping[str, str] = os.environ) -> str:
    """DuckDB's memory limit, for the load and for dbt alike: IMPRAISE_DUCKDB_MEMORY_LIMIT.

    DuckDB would otherwise take up to 80% of the machine's memory for the merge of a
    large load; held to a limit it spills to disk instead, no slower (docs/benchmarks.md).
    """
    return env.get("IMPRAISE_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT


def destination_for(name: str | None, env: Mapping[str, str] = os.environ) -> Destination:
    """The dlt destination called `name` (default: IMPRAISE_DESTINATION, then duckdb)."""
    name = (name or env.get("IMPRAISE_DESTINATION") or DEFAULT_DESTINATION).strip().lower()
    if name == "duckdb":
        credentials = DuckDbCredentials(
            str(duckdb_path(env)), global_config={"memory_limit": duckdb_memory_limit(env)}
        )
        return dlt.destinations.duckdb(credentials)
    if name == "postgres":
        return dlt.destinations.postgres(credentials=_libpq_credentials(env))
    try:
        return Destination.from_reference(name)
    except Exception:  # dlt raises several kinds of error for an unknown name
        close = difflib.get_close_matches(name, dlt.destinations.__all__, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigurationError(f"unknown destination '{name}'{hint}") from None


def file_format_for(destination: Destination) -> str | None:
    """The loader file format to use with `destination`, or None for dlt's preferred."""
    return FAST_FILE_FORMATS.get(destination.destination_name)


def _libpq_credentials(env: Mapping[str, str]) -> PostgresCredentials:
    missing = [var for var in ("PGHOST", "PGUSER", "PGDATABASE") if not env.get(var)]
    if missing:
        raise ConfigurationError(f"the postgres destination needs {', '.join(missing)} to be set")
    credentials = PostgresCredentials()
    credentials.host = env["PGHOST"]
    credentials.port = int(env.get("PGPORT") or 5432)
    credentials.username = env["PGUSER"]
    credentials.password = env.get("PGPASSWORD") or None
    credentials.database = env["PGDATABASE"]
    return credentials
