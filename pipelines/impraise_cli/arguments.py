"""The command line's options, help and exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DEFAULT_DATASET = "impraise_raw"

EPILOG = """\
configuration (environment or .dlt/secrets.toml / .dlt/config.toml, [sources.impraise]):
  SOURCES__IMPRAISE__API_TOKEN   the token Impraise issued (secret; never printed)
  SOURCES__IMPRAISE__BASE_URL    default https://analytics-api.impraise.com
  SOURCES__IMPRAISE__REQUESTS_PER_SECOND  the token's quota, default 6
  SOURCES__IMPRAISE__ROUTES      JSON: canonical bucket -> the route the API lists it as
  SOURCES__IMPRAISE__FIELDS      JSON: canonical bucket.field -> the API's name for it
  SOURCES__IMPRAISE__FIELD_POLICY  JSON: bucket.field -> keep, hash or drop (README)
  SOURCES__IMPRAISE__HASH_KEY    the secret key of the policy's hash (HMAC-SHA-256)
  IMPRAISE_DESTINATION           duckdb (default), postgres, or any dlt destination
  IMPRAISE_DUCKDB_PATH           the DuckDB file, default impraise.duckdb in the repo root
  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   the postgres destination (libpq variables)
  DLT_DATA_DIR                   where dlt keeps pipeline state (default ~/.dlt)

exit codes:
  0  every bucket loaded
  1  unexpected error (normalizing or loading failed)
  2  configuration error (missing or bad setting, unknown bucket or destination, bad
     date); nothing was requested or written
  3  the API refused the token (HTTP 401); nothing was loaded
  4  at least one bucket failed after its retries; the others were loaded and the
     failed buckets' cursors did not move, so the next run reads them again (when
     the root listing itself fails, nothing is loaded)
  5  another run of the same pipeline is in progress
  6  --check: the API does not serve something the marts need (the report says what)
"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="impraise.py",
        description="Extract Impraise data incrementally and load it into the warehouse "
        "(dataset impraise_raw). Then run `dbt build` to refresh the marts.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--buckets",
        type=_names,
        metavar="B1,B2",
        help="load only these buckets (comma-separated; default: every bucket the API lists)",
    )
    parser.add_argument("--exclude", type=_names, metavar="B1,B2", help="never load these buckets")
    parser.add_argument(
        "--start-date",
        metavar="DATE",
        help="ISO date or timestamp where a first run or a full refresh starts "
        "(default: everything)",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="read every bucket again from the start date, ignoring saved cursors; rows "
        "stay in place (history is kept) and, without --start-date, records the API no "
        "longer returns get _deleted_at: the way to reconcile deletions",
    )
    parser.add_argument(
        "--destination",
        metavar="NAME",
        help="duckdb, postgres, or another dlt destination (overrides IMPRAISE_DESTINATION)",
    )
    parser.add_argument(
        "--dataset",
        default=DEFAULT_DATASET,
        help=f"the raw schema to load into (default {DEFAULT_DATASET}); another name keeps "
        "a second organisation apart",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="connect, read the root listing and a first page of each bucket, and report "
        "what the API serves against what the marts need; loads nothing, writes nothing",
    )
    parser.add_argument(
        "--json", action="store_true", help="with --check: print the report as JSON"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the bundled API simulator in-process, with a synthetic organisation, "
        "and load from it instead of the real API",
    )
    return parser.parse_args(argv)


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]
