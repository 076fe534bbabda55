"""Deletions, which an incremental API cannot show: found by a full refresh.

After a full refresh has read a bucket completely, every record the API still has was
merged by that load and carries its load id. A live row with an older load id is one
the API no longer returns, so it gets `_deleted_at` instead of being removed: the raw
history stays, and dbt leaves such rows out and closes their validity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import dlt
from impraise_source.settings import DELETED_AT_COLUMN


def mark_deleted(pipeline: dlt.Pipeline, buckets: Iterable[str], load_id: str) -> dict[str, int]:
    """Stamp `_deleted_at` on rows of `buckets` that load `load_id` did not bring.

    Returns the number of rows marked per bucket.
    """
    marked: dict[str, int] = {}
    now = datetime.now(UTC)
    with pipeline.sql_client() as client:
        for bucket in buckets:
            table = client.make_qualified_table_name(bucket)
            column = client.escape_column_name(DELETED_AT_COLUMN)
            where = f"_dlt_load_id <> %s AND {column} IS NULL"
            rows = client.execute_sql(f"SELECT count(*) FROM {table} WHERE {where}", load_id)
            marked[bucket] = int(rows[0][0]) if rows else 0
            if marked[bucket]:
                client.execute_sql(f"UPDATE {table} SET {column} = %s WHERE {where}", now, load_id)
    return marked
