"""Print where `make demo` put its results and the report's headline figures.

The figures are the report's own (impraise_report.figures.headlines): the same floored
metrics over the same period, the latest complete months up to how far the data reaches,
each with its change against the previous period of equal length. Reads the demo's warehouse
(IMPRAISE_DUCKDB_PATH, default demo/demo.duckdb) through the semantic layer, with the
dbt project and profiles of the checkout. Exits 1 with one line of explanation when the
marts are not there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def main() -> int:
    default = PROJECT / "demo" / "demo.duckdb"
    db_path = Path(os.environ.get("IMPRAISE_DUCKDB_PATH") or default).resolve()
    if not db_path.exists():
        print(f"No warehouse at {db_path}: run `make demo` first.")
        return 1
    os.environ.setdefault("IMPRAISE_DUCKDB_PATH", str(db_path))
    project_dir = Path(os.environ.get("DBT_PROJECT_DIR") or PROJECT / "dbt_project").resolve()
    profiles_dir = Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT / "profiles").resolve()
    # Imported once the warehouse is known to exist: dbt takes seconds to import.
    from dbt_common.exceptions import DbtRuntimeError
    from impraise_report import figures, svg
    from impraise_report.semantic_layer import SemanticLayerError, connect

    try:
        report = figures.headlines(connect(project_dir, profiles_dir), months=24)
    except (SemanticLayerError, DbtRuntimeError) as error:
        print(f"The marts in {db_path} cannot answer the metrics: {str(error).splitlines()[-1]}")
        return 1

    print(f"Warehouse:  {db_path} (DuckDB)")
    print("dbt docs:   dbt_project/target/index.html")
    print(
        "            serve them with: "
        "DBT_PROJECT_DIR=dbt_project DBT_PROFILES_DIR=profiles .venv/bin/dbt docs serve"
    )
    print()
    reach = report.reach
    print(f"Period:     {report.headline_period.label} (complete months)")
    print(f"Data to:    {reach.latest_activity:%d %b %Y %H:%M} UTC", end="")
    if report.partial_month:
        print(f" ({report.partial_month:%B %Y} is partial: left out)", end="")
    print()
    print(f"Privacy:    no figure rests on fewer than {report.floor} people")
    previous = report.headline_period.previous.label
    for headline in report.headlines:
        if headline.value.suppressed:
            value, change = "withheld", ""
        else:
            value = svg.format_number(headline.value.value, headline.number)
            change = (
                f"  ({svg.format_change(headline.change, headline.number)} vs {previous})"
                if headline.change is not None
                else ""
            )
            target = report.targets.get(headline.key)
            if target is not None:
                change += f"  target {svg.format_number(target, headline.number)}"
        print(f"  {headline.label + ':':<58} {value}{change}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT / "pipelines"))
    sys.exit(main())
