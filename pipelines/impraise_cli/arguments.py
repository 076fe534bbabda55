"""The command line's options, help and exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from dlt.common.runtime.run_context import global_dir as dlt_global_dir
from impraise_source.errors import ConfigurationError

from .datasets import DEFAULT_DATASET

EPILOG = """\
configuration (environment, or .dlt/secrets.toml / .dlt/config.toml of the project,
wherever the run starts), [sources.impraise]:
  SOURCES__IMPRAISE__API_TOKEN   the token Impraise issued (secret; never printed)
  SOURCES__IMPRAISE__BASE_URL    default https://analytics-api.impraise.com
  SOURCES__IMPRAISE__REQUESTS_PER_SECOND  the token's quota, default 6
  SOURCES__IMPRAISE__ROUTES      JSON: canonical bucket -> the route the API lists it as
  SOURCES__IMPRAISE__FIELDS      JSON: canonical bucket.field -> the API's name for it
  SOURCES__IMPRAISE__FIELD_POLICY  JSON: bucket.field -> keep, hash or drop (README)
  SOURCES__IMPRAISE__HASH_KEY    the secret key of the policy's hash (HMAC-SHA-256)
  IMPRAISE_DESTINATION           duckdb (default), postgres, or any dlt destination
  IMPRAISE_DUCKDB_PATH           the DuckDB file, default impraise.duckdb in the repo root
                                 (--demo: demo/demo.duckdb)
  IMPRAISE_DUCKDB_MEMORY_LIMIT   DuckDB's memory limit, default 400MB
  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   the postgres destination (libpq variables)
  DLT_PROJECT_DIR                the directory whose .dlt/ holds the settings, default the
                                 repo root (never the current directory)
  DLT_DATA_DIR                   where dlt keeps pipeline state and load packages, default
                                 {data_dir} (dlt's: ~/.dlt, but /var/dlt when run as
                                 root, shared by every checkout on the machine)

exit codes:
  0  every bucket loaded
  1  unexpected error (normalizing or loading failed, a full disk)
  2  configuration error (missing or bad setting, unknown bucket or destination, bad
     date or dataset name, a warehouse that cannot be opened or holds another
     organisation); nothing was requested or written
  3  the API refused the token (HTTP 401): at the start, nothing was loaded; in the
     middle of a run, the buckets read before were, and the others' cursors did not move
  4  at least one bucket failed after its retries; the others were loaded and the
     failed buckets' cursors did not move, so the next run reads them again (when
     the root listing itself fails, nothing is loaded)
  5  another run of the same pipeline is in progress (or holds the DuckDB file)
  6  --check: the API does not serve something the marts need (the report says what)
  130  interrupted by Ctrl-C: nothing is lost, the next run goes on from there
"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="impraise.py",
        description="Extract Impraise data incrementally and load it into the warehouse "
        "(dataset impraise_raw). Then run `dbt build` to refresh the marts.",
        epilog=EPILOG.format(data_dir=dlt_global_dir()),
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


def check_selection(args: argparse.Namespace) -> None:
    """--buckets and --exclude say something: ConfigurationError when they cannot.

    An empty list (`--buckets "$BUCKETS"` with the variable unset) would otherwise load
    every bucket, or exclude none: fail closed instead.
    """
    for option, names in (("--buckets", args.buckets), ("--exclude", args.exclude)):
        if names is not None and not names:
            raise ConfigurationError(
                f"{option} is empty: name the buckets (comma-separated), or leave the option out"
            )
    both = sorted(set(args.buckets or ()) & set(args.exclude or ()))
    if both:
        raise ConfigurationError(
            f"--buckets and --exclude both name {', '.join(both)}: a bucket is loaded or not"
        )
