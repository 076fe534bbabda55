"""Child rows of replaced records: removed after the load, as dlt's merge would.

A bucket's child tables (`users__team_ids`, ...) are appended to, each row carrying
the `_dlt_id` of the version of its parent record it came with (see `columnar.py`).
When the merge replaces a record with a newer version, or a run loaded the same record
twice, the rows of the older version are left without a parent; they are deleted here,
so each child table holds the entries of the current versions only.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import dlt
from impraise_source.columnar import PARENT_KEY, ROW_KEY, child_tables


def remove_superseded(pipeline: dlt.Pipeline, buckets: Collection[str] | None = None) -> None:
    """Delete the child rows of `buckets` whose parent version is gone.

    Without `buckets`, every bucket of every schema the pipeline knows is checked (after
    a killed run, the pipeline may not have a default schema yet).
    """
    if buckets is not None and not buckets:
        return  # a run that loaded nothing: no connection to open
    for schema_name in pipeline.schema_names:
        loaded = set(pipeline.schemas[schema_name].data_table_names(seen_data_only=True))
        with pipeline.sql_client(schema_name) as client:
            for bucket in loaded if buckets is None else buckets:
                for table in child_tables(bucket):
                    if bucket in loaded and table in loaded:
                        _delete_orphans(client, table, bucket)


def _delete_orphans(client: Any, table: str, bucket: str) -> None:
    child = client.make_qualified_table_name(table)
    parent = client.make_qualified_table_name(bucket)
    client.execute_sql(
        f"DELETE FROM {child} WHERE NOT EXISTS "
        f"(SELECT 1 FROM {parent} AS p WHERE p.{ROW_KEY} = {child}.{PARENT_KEY})"
    )
