"""Answer a batch of metric queries through MetricFlow, in a process of its own.

`python -m tests.support.mf_batch` reads a JSON list of queries on stdin, each
{"metrics": [...], "group_by": [...]}, and writes a JSON list of their rows on stdout.
The semantic layer is loaded once for the batch (an `mf` process per query would cost
seconds each), and in a process of its own because dbt's adapter keeps the warehouse open
(DuckDB allows one writer process per file) and its state is global to the process.
The environment is the one `dbt build` ran with (DBT_PROJECT_DIR, DBT_PROFILES_DIR,
DBT_TARGET_PATH, IMPRAISE_DESTINATION and the warehouse's variables).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

from impraise_report.semantic_layer import connect


def main() -> None:
    queries = json.load(sys.stdin)
    layer = connect(Path(os.environ["DBT_PROJECT_DIR"]), Path(os.environ["DBT_PROFILES_DIR"]))
    answers = [layer.query(query["metrics"], query.get("group_by", ())) for query in queries]
    json.dump(answers, sys.stdout, default=json_date)


def json_date(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


if __name__ == "__main__":
    main()
