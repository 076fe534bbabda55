"""Where a run loads: chosen by name, configured by each warehouse's own conventions.

DuckDB (the default) is a file at IMPRAISE_DUCKDB_PATH, held to IMPRAISE_DUCKDB_MEMORY_LIMIT;
the demo's default file is another one, so a simulated organisation never lands beside a
real one. PostgreSQL is configured only by the standard libpq variables, so the same environment
serves psql, dlt and dbt. Any other
dlt destination is configured the dlt way (e.g. DESTINATION__SNOWFLAKE__CREDENTIALS).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import dlt
import duckdb
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.postgres.configuration import PostgresCredentials
from impraise_source.errors import ConfigurationError

from .project import PROJECT_DIR

DEFAULT_DESTINATION = "duckdb"
# The fastest load path measured per destination (docs/benchmarks.md, "Figures behind
# the design"); others keep dlt's preferred format.
FAST_FILE_FORMATS = {"duckdb": "parquet", "postgres": "csv"}
DEFAULT_DUCKDB_PATH = PROJECT_DIR / "impraise.duckdb"
# Everything `make demo` makes is in demo/, which `make clean` removes (Makefile).
DEMO_DUCKDB_PATH = PROJECT_DIR / "demo" / "demo.duckdb"
DEFAULT_DUCKDB_MEMORY_LIMIT = "400MB"


def duckdb_path(env: Mapping[str, str] = os.environ, demo: bool = False) -> Path:
    """The DuckDB file: IMPRAISE_DUCKDB_PATH, or impraise.duckdb in the repo root
    (demo/demo.duckdb for the demo)."""
    default = DEMO_DUCKDB_PATH if demo else DEFAULT_DUCKDB_PATH
    return Path(env.get("IMPRAISE_DUCKDB_PATH") or default).expanduser().resolve()


def duckdb_memory_limit(env: Mapping[str, str] = os.environ) -> str:
    """DuckDB's memory limit, for the load and for dbt alike: IMPRAISE_DUCKDB_MEMORY_LIMIT.

    DuckDB would otherwise take up to 80% of the machine's memory for the merge of a
    large load; held to a limit it spills to disk instead, no slower (docs/benchmarks.md).
    """
    limit = env.get("IMPRAISE_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
    try:
        # DuckDB itself reads the value: whatever it accepts is accepted here.
        duckdb.connect(config={"memory_limit": limit}).close()
    except (duckdb.ParserException, duckdb.InvalidInputException) as error:
        raise ConfigurationError(
            f"IMPRAISE_DUCKDB_MEMORY_LIMIT '{limit}' is not a size DuckDB accepts "
            f"(e.g. {DEFAULT_DUCKDB_MEMORY_LIMIT} or 2GB): {first_line(error)}"
        ) from None
    except duckdb.OutOfMemoryException:
        pass  # a valid size, too small to run in: the load says so, naming the limit
    return limit


def destination_name(name: str | None, env: Mapping[str, str] = os.environ) -> str:
    """The destination asked for: `name`, else IMPRAISE_DESTINATION, else duckdb."""
    return (name or env.get("IMPRAISE_DESTINATION") or DEFAULT_DESTINATION).strip().lower()


def destination_for(
    name: str | None, env: Mapping[str, str] = os.environ, demo: bool = False
) -> Destination:
    """The dlt destination called `name` (default: IMPRAISE_DESTINATION, then duckdb).

    `spark` loads into the DuckDB file too, which spark.py then publishes to Spark.
    """
    name = destination_name(name, env)
    if name == "spark":
        from .spark import check_spark_available

        check_spark_available()
    if name in ("duckdb", "spark"):
        credentials = DuckDbCredentials(
            str(duckdb_path(env, demo)), global_config={"memory_limit": duckdb_memory_limit(env)}
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
    # dlt's PostgreSQL credentials need a password: no peer or trust authentication.
    missing = [var for var in ("PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE") if not env.get(var)]
    if missing:
        raise ConfigurationError(f"the postgres destination needs {', '.join(missing)} to be set")
    credentials = PostgresCredentials()
    credentials.host = env["PGHOST"]
    credentials.port = _port(env.get("PGPORT") or "5432")
    credentials.username = env["PGUSER"]
    credentials.password = env["PGPASSWORD"]
    credentials.database = env["PGDATABASE"]
    return credentials


def _port(value: str) -> int:
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise ConfigurationError(f"PGPORT '{value}' is not a port number (1-65535)")
    return int(value)


def first_line(error: BaseException) -> str:
    """A database's error in one line (drivers' messages run to several)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
