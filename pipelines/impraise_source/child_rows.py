"""Child rows of replaced records: removed after the load, as dlt's merge would.

A bucket's child tables (`users__team_ids`, ...) are appended to, each row carrying
the `_dlt_id` of the version of its parent record it came with (see `columnar.py`).
When the merge replaces a record with a newer version, or a run loaded the same record
twice, the rows of the older version are left without a parent; they are deleted here,
so each child table holds the entries of the current versions only. The dbt project's
source tests (`belongs_to_a_loaded_row` on each child table's `_dlt_parent_id`) fail on a
warehouse where this did not run.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .columnar import PARENT_KEY, ROW_KEY
from .schema import bucket_schema


def remove_superseded(client: Any, buckets: Collection[str], loaded: Collection[str]) -> None:
    """Delete the child rows of `buckets` whose parent version is gone, through the SQL
    client `client`; `loaded` names the tables that exist."""
    for bucket in buckets:
        schema = bucket_schema(bucket)
        for nested in schema.lists:
            table = schema.child_table(nested)
            if bucket in loaded and table in loaded:
                _delete_orphaned(client, table, bucket)


def _delete_orphaned(client: Any, table: str, bucket: str) -> None:
    child = client.make_qualified_table_name(table)
    parent = client.make_qualified_table_name(bucket)
    client.execute_sql(
        f"DELETE FROM {child} WHERE NOT EXISTS "
        f"(SELECT 1 FROM {parent} AS p WHERE p.{ROW_KEY} = {child}.{PARENT_KEY})"
    )
