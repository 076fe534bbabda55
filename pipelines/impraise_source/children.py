"""Child rows of replaced records: removed after the load, as dlt's merge would.

A bucket's child tables (`users__team_ids`, ...) are appended to, each row carrying
the `_dlt_id` of the version of its parent record it came with (see `columnar.py`).
When the merge replaces a record with a newer version, or a run loaded the same record
twice, the rows of the older version are left without a parent; they are deleted here,
so each child table holds the entries of the current versions only.
"""

from __future__ import annotations

from collections.abc import Iterable

import dlt

from .columnar import PARENT_KEY, ROW_KEY, child_tables


def remove_superseded(pipeline: dlt.Pipeline, buckets: Iterable[str]) -> dict[str, int]:
    """Delete the child rows of `buckets` whose parent version is gone; counts by table."""
    if not pipeline.default_schema_name:
        return {}
    schema = pipeline.default_schema
    loaded = set(schema.data_table_names(seen_data_only=True))
    removed: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for bucket in buckets:
            for table in child_tables(bucket).values():
                if bucket not in loaded or table not in loaded:
                    continue
                child = client.make_qualified_table_name(table)
                parent = client.make_qualified_table_name(bucket)
                orphaned = (
                    f"NOT EXISTS (SELECT 1 FROM {parent} AS p "
                    f"WHERE p.{ROW_KEY} = {child}.{PARENT_KEY})"
                )
                count = client.execute_sql(f"SELECT count(*) FROM {child} WHERE {orphaned}")[0][0]
                if count:
                    client.execute_sql(f"DELETE FROM {child} WHERE {orphaned}")
                    removed[table] = int(count)
    return removed
