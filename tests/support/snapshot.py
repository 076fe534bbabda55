"""What a raw schema holds, comparable across two loads of the same data.

Each table's columns and types, and its rows without dlt's row keys, which differ by
design between two loads (`_dlt_id`, `_dlt_load_id`, ...): a bucket's rows as they are,
a child table's rows by their parent's `id`, or by None for a row whose parent version
is gone (which a healthy warehouse has none of).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

ROW_KEYS = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_load_id")


def raw_snapshot(
    path: Path, schema: str, wanted: Callable[[str], bool] = lambda table: True
) -> dict[str, dict[str, Any]]:
    """{table: {"types": {column: type}, "rows": sorted rows}} of the `wanted` data
    tables of `schema` in the DuckDB file at `path`."""
    with duckdb.connect(str(path), read_only=True) as db:
        tables = [
            name
            for (name,) in db.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_name not like '\\_dlt%' escape '\\' order by 1",
                [schema],
            ).fetchall()
            if wanted(name)
        ]
        result = {}
        for table in tables:
            columns = db.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchall()
            data = sorted(name for name, _ in columns if name not in ROW_KEYS)
            select = ", ".join(f't."{name}"' for name in data)
            if "__" not in table:
                rows = db.execute(f'select {select} from "{schema}"."{table}" t').fetchall()
            else:
                parent = table.rsplit("__", 1)[0]
                rows = db.execute(
                    f'select p.id, {select} from "{schema}"."{table}" t '
                    f'left join "{schema}"."{parent}" p on p._dlt_id = t._dlt_parent_id'
                ).fetchall()
            types = {name: kind for name, kind in columns if name in data}
            result[table] = {"types": types, "rows": sorted(map(repr, rows))}
        return result
