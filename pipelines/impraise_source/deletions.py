"""Deletions, which an incremental API cannot show: found by a complete read, or by the
count reconciliation after any read (reconcile.py).

A bucket read from its very first record to its last (a full refresh without a start
date, or a first run without one) brings every record the API still has, each merged
by that load and carrying its load id. A live row with an older load id is one the API
no longer returns, so it gets `_deleted_at` instead of being removed: the raw history
stays, and dbt leaves such rows out and closes their validity.

The read notes its bucket in its load package's state (`note_complete_read`), so the
marking (`mark_deleted`, by `finish_load`) follows the package: a package a killed run
left is marked when the next run loads it, and a bucket that failed is never marked.
The ids the reconciliation found deleted travel the same way (`note_found_deleted`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import dlt

from .schema import DELETED_AT_COLUMN

# Ids in one `IN (...)` statement.
_CHUNK = 500

_COMPLETE_READS = "impraise_complete_reads"
_FOUND_DELETED = "impraise_found_deleted"


def note_complete_read(bucket: str) -> None:
    """Record in the load package being extracted that `bucket` was read whole."""
    # Buckets finish in dlt's worker threads; list.append is atomic in CPython.
    dlt.current.load_package_state()["state"].setdefault(_COMPLETE_READS, []).append(bucket)


def complete_reads(package_state: dict[str, Any]) -> list[str]:
    """The buckets a load package read whole, from its state."""
    return list(package_state.get(_COMPLETE_READS, ()))


def note_found_deleted(bucket: str, ids: Iterable[str]) -> None:
    """Record in the load package being extracted the ids of `bucket`'s rows that the
    count reconciliation (reconcile.py) found deleted at the source."""
    found = dlt.current.load_package_state()["state"].setdefault(_FOUND_DELETED, {})
    found.setdefault(bucket, []).extend(sorted(ids))


def found_deleted(package_state: dict[str, Any]) -> dict[str, list[str]]:
    """The ids a load package found deleted, by bucket, from its state."""
    return {bucket: list(ids) for bucket, ids in package_state.get(_FOUND_DELETED, {}).items()}


def mark_found_deleted(
    client: Any, found: dict[str, list[str]], tables: Iterable[str]
) -> dict[str, int]:
    """Stamp `_deleted_at` on the live rows of the ids in `found` (by bucket), through the
    SQL client `client`; returns the number of rows marked per bucket."""
    marked: dict[str, int] = {}
    now = datetime.now(UTC)
    present = set(tables)
    for bucket, ids in found.items():
        if bucket not in present or not ids:
            continue
        table = client.make_qualified_table_name(bucket)
        column = client.escape_column_name(DELETED_AT_COLUMN)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            where = f"id IN ({', '.join(['%s'] * len(chunk))}) AND {column} IS NULL"
            rows = client.execute_sql(f"SELECT count(*) FROM {table} WHERE {where}", *chunk)
            count = int(rows[0][0]) if rows else 0
            if count:
                client.execute_sql(f"UPDATE {table} SET {column} = %s WHERE {where}", now, *chunk)
            marked[bucket] = marked.get(bucket, 0) + count
    return marked


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


def count_live_rows(client: Any, buckets: Iterable[str]) -> dict[str, int]:
    """The rows of each of `buckets` not marked `_deleted_at`, through `client`."""
    column = client.escape_column_name(DELETED_AT_COLUMN)
    counts = {}
    for bucket in buckets:
        table = client.make_qualified_table_name(bucket)
        rows = client.execute_sql(f"SELECT count(*) FROM {table} WHERE {column} IS NULL")
        counts[bucket] = int(rows[0][0]) if rows else 0
    return counts
