"""`python -m impraise_report`: write the engagement report from the built marts.

Run after `dbt build`, with the same environment (the warehouse is the dbt profile's
target, IMPRAISE_DESTINATION), from any directory: DBT_PROJECT_DIR, DBT_PROFILES_DIR and
the output default to the checkout's. Exits 1 with one line saying what is missing when
the report cannot be drawn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from . import figures, page, people_figures, people_page
from .marts import MartReader
from .semantic_layer import SemanticLayerError, connect

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = PROJECT_DIR / "reports" / "engagement.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m impraise_report", description=__doc__)
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}"
    )
    parser.add_argument(
        "--months",
        type=int,
        default=24,
        help="how many months the report covers, up to the last month with data (default: 24)",
    )
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error(f"--months must be at least 1, not {args.months}")

    project_dir = Path(os.environ.get("DBT_PROJECT_DIR") or PROJECT_DIR / "dbt_project")
    profiles_dir = Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_DIR / "profiles")
    missing = _missing_duckdb_file(profiles_dir)
    if missing:
        print(
            f"error: no warehouse at {missing}: load and `dbt build` first (the demo's is "
            "demo/demo.duckdb: set IMPRAISE_DUCKDB_PATH to report on it)"
        )
        return 1
    # Imported once the warehouse is known to exist: dbt takes seconds to import.
    from dbt_common.exceptions import DbtRuntimeError

    try:
        layer = connect(project_dir, profiles_dir)
        report = figures.build(layer, args.months)
        target_path = Path(os.environ.get("DBT_TARGET_PATH") or project_dir / "target")
        people = people_figures.build(layer, MartReader.from_target(target_path), report.period)
    except SemanticLayerError as error:
        print(f"error: {error}")
        return 1
    except DbtRuntimeError as error:  # a metric's query failed: the marts are not there
        print(f"error: the warehouse cannot answer the metrics: {_first_line(error)}")
        return 1
    html = page.render(
        report,
        dt.datetime.now(dt.UTC),
        people_page.render(people, report.floor),
        people_page.STYLE,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(html, encoding="utf-8")
    print(f"Report:     {args.output.resolve()} ({len(html.encode()):,} bytes)")
    return 0


def _missing_duckdb_file(profiles_dir: Path) -> Path | None:
    """The DuckDB file the profile points at, when it does not exist (connecting would
    create an empty one, and the report would fail on missing tables instead)."""
    if os.environ.get("IMPRAISE_DESTINATION", "duckdb") != "duckdb":
        return None
    # As profiles/profiles.yml: impraise.duckdb beside the profile's directory.
    path = Path(os.environ.get("IMPRAISE_DUCKDB_PATH") or profiles_dir / ".." / "impraise.duckdb")
    return None if path.exists() else path.resolve()


def _first_line(error: Exception) -> str:
    """dbt's message without its "Runtime Error" heading, and a hint when a mart is missing."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = next((line for line in lines if line != "Runtime Error"), type(error).__name__)
    if "does not exist" in reason:
        reason = reason.rstrip(".") + ": run `dbt build` after the load"
    return reason


if __name__ == "__main__":
    sys.exit(main())
