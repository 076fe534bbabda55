"""Deletions, which an incremental API cannot show: found by a complete read.

A bucket read from its very first record to its last (a full refresh without a start
date, or a first run without one) brings every record the API still has, each merged
by that load and carrying its load id. A live row with an older load id is one the API
no longer returns, so it gets `_deleted_at` instead of being removed: the raw history
stays, and dbt leaves such rows out and closes their validity.

The read notes its bucket in its load package's state (`note_complete_read`), so the
marking (`mark_deleted`, by `finish_load`) follows the package: a package a killed run
left is marked when the next run loads it, and a bucket that failed is never marked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import dlt

from .schema import DELETED_AT_COLUMN

_COMPLETE_READS = "impraise_complete_reads"


def note_complete_read(bucket: str) -> None:
    """Record in the load package being extracted that `bucket` was read whole."""
    # Buckets finish in dlt's worker threads; list.append is atomic in CPython.
    dlt.current.load_package_state()["state"].setdefault(_COMPLETE_READS, []).append(bucket)


def complete_reads(package_state: dict[str, Any]) -> list[str]:
    """The buckets a load package read whole, from its state."""
    return list(package_state.get(_COMPLETE_READS, ()))


def mark_deleted(client: Any, buckets: Iterable[str], load_id: str) -> dict[str, int]:
    """Stamp `_deleted_at` on rows of `buckets` that load `load_id` did not bring, through
    the SQL client `client`; returns the number of rows marked per bucket."""
    marked: dict[str, int] = {}
    now = datetime.now(UTC)
    for bucket in buckets:
        table = client.make_qualified_table_name(bucket)
        column = client.escape_column_name(DELETED_AT_COLUMN)
        where = f"_dlt_load_id <> %s AND {column} IS NULL"
        rows = client.execute_sql(f"SELECT count(*) FROM {table} WHERE {where}", load_id)
        marked[bucket] = int(rows[0][0]) if rows else 0
        if marked[bucket]:
            client.execute_sql(f"UPDATE {table} SET {column} = %s WHERE {where}", now, load_id)
    return marked
