"""Print where `make demo` put its results and a few headline engagement figures.

Reads the demo's DuckDB warehouse (IMPRAISE_DUCKDB_PATH, default demo/demo.duckdb) read-only.
Exits 1 with one line of explanation when the marts are not there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

# Rates in the marts are fractions between 0 and 1.
FIGURES_SQL = {
    "users": "select count(*) from {marts}.dim_users",
    "active_users": "select count(*) from {marts}.dim_users where is_active",
    "feedback_12m": (
        "select count(*) from {marts}.fct_feedback"
        " where created_at >= current_date - interval 12 month"
    ),
    "response_rate": "select avg(response_rate) from {marts}.fct_feedback_requests",
    "completion_rate": "select avg(completion_rate) from {marts}.review_cycle_summary",
}
TOP_TEAMS_SQL = """
    select team_name, avg(feedback_per_head) as feedback_per_head
    from {marts}.team_engagement_monthly
    group by team_name
    order by feedback_per_head desc nulls last, team_name
    limit 3
"""


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def main() -> int:
    default = Path(__file__).resolve().parents[1] / "demo" / "demo.duckdb"
    db_path = Path(os.environ.get("IMPRAISE_DUCKDB_PATH") or default).resolve()
    if not db_path.exists():
        print(f"No warehouse at {db_path}: run `make demo` first.")
        return 1
    with duckdb.connect(str(db_path), read_only=True) as con:
        # The schema comes from the dbt profile and model config: look it up, don't assume.
        row = con.execute(
            "select table_schema from information_schema.tables"
            " where table_name = 'dim_users' order by table_schema limit 1"
        ).fetchone()
        if row is None:
            print(f"No marts (dim_users) in {db_path}: run `make demo` first.")
            return 1
        schema = row[0]
        marts = '"' + schema.replace('"', '""') + '"'
        try:
            figures = {
                name: con.execute(sql.format(marts=marts)).fetchone()[0]
                for name, sql in FIGURES_SQL.items()
            }
            top_teams = con.execute(TOP_TEAMS_SQL.format(marts=marts)).fetchall()
        except duckdb.Error as exc:
            first_line = str(exc).splitlines()[0]
            print(f"The marts in schema {schema} are not as expected: {first_line}")
            return 1

    print(f"Warehouse:  {db_path} (DuckDB), marts in schema '{schema}'")
    print("dbt docs:   dbt_project/target/index.html")
    print(
        "            serve them with: "
        "DBT_PROJECT_DIR=dbt_project DBT_PROFILES_DIR=profiles .venv/bin/dbt docs serve"
    )
    print()
    print(
        f"Users:                            {figures['users']} ({figures['active_users']} active)"
    )
    print(f"Feedback in the last 12 months:   {figures['feedback_12m']}")
    print(f"Feedback request response rate:   {percent(figures['response_rate'])} (average)")
    print(f"Review completion rate:           {percent(figures['completion_rate'])} (average)")
    print("Top teams by feedback per head (monthly average):")
    for team_name, per_head in top_teams:
        print(f"  {team_name}: {'n/a' if per_head is None else f'{per_head:.2f}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
