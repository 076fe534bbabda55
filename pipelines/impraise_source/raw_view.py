"""What the warehouse holds of one bucket before this run's load: its live raw rows.

The count reconciliation (reconcile.py) compares the API with it window by window of
`updatedAt`, so it only asks for counts, ids and split points within a window, never for
a whole table. It reads the raw table through the pipeline that is running the source
(`dlt.current.pipeline()`), as dlt's own SQL client; a table not loaded yet is empty.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from .deletions import mark_found_deleted
from .schema import CURSOR_FIELD, DELETED_AT_COLUMN, warehouse_name

# Ids passed to one `IN (...)` query.
_CHUNK = 500
# Buckets reconcile in dlt's extract threads: one query at a time, as one connection.
_QUERIES = threading.Lock()


@dataclass(frozen=True)
class Window:
    """`updatedAt` from `after` (inclusive) to `before` (exclusive); None: unbounded."""

    after: datetime | None = None
    before: datetime | None = None

    def holds(self, instant: datetime) -> bool:
        return (self.after is None or instant >= self.after) and (
            self.before is None or instant < self.before
        )


class RawView:
    """The live rows of one bucket's raw table, through an open SQL client."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket
        self._table = client.make_qualified_table_name(bucket)
        self._updated = client.escape_column_name(warehouse_name(CURSOR_FIELD))
        self._deleted = client.escape_column_name(DELETED_AT_COLUMN)
        self._id = client.escape_column_name("id")

    def count(self, window: Window) -> int:
        rows = self._query("count(*)", window)
        return int(rows[0][0]) if rows else 0

    def ids(self, window: Window) -> set[str]:
        return {str(row[0]) for row in self._query(self._id, window)}

    def versions(self, ids: Iterable[str]) -> dict[str, datetime]:
        """The `updatedAt` of each of `ids` that has a live row."""
        found: dict[str, datetime] = {}
        chunk: list[str] = []
        for record_id in [*ids, None]:
            if record_id is not None:
                chunk.append(record_id)
            if chunk and (record_id is None or len(chunk) == _CHUNK):
                marks = ", ".join(["%s"] * len(chunk))
                where = f"{self._id} IN ({marks})"
                for row in self._query(f"{self._id}, {self._updated}", Window(), where, chunk):
                    found[str(row[0])] = _utc(row[1])
                chunk = []
        return found

    def mark_deleted(self, ids: set[str]) -> None:
        """Stamp `_deleted_at` on the live rows of `ids`."""
        if ids:
            with _QUERIES:
                mark_found_deleted(self._client, {self._bucket: sorted(ids)}, [self._bucket])

    def split(self, window: Window, rows: int) -> datetime | None:
        """An instant inside `window` with about half its rows on each side, between two
        instants rows have (never one a row has, whatever the API makes of `after`);
        None when every row has the same instant."""
        middle = self._query(
            self._updated, window, order=f"{self._updated} LIMIT 1 OFFSET {rows // 2}"
        )
        if not middle:
            return None
        instant = _utc(middle[0][0])
        below = self._query(f"max({self._updated})", Window(window.after, instant))
        if below and below[0][0] is not None:
            return _midpoint(_utc(below[0][0]), instant)
        above = self._query(f"min({self._updated})", window, f"{self._updated} > %s", [instant])
        if above and above[0][0] is not None:
            return _midpoint(instant, _utc(above[0][0]))
        return None

    def _query(
        self,
        columns: str,
        window: Window,
        condition: str | None = None,
        args: list[Any] | None = None,
        order: str | None = None,
    ) -> list[tuple]:
        where, params = [f"{self._deleted} IS NULL"], list(args or [])
        if condition:
            where.append(condition)
        if window.after is not None:
            where.append(f"{self._updated} >= %s")
            params.append(window.after)
        if window.before is not None:
            where.append(f"{self._updated} < %s")
            params.append(window.before)
        sql = f"SELECT {columns} FROM {self._table} WHERE {' AND '.join(where)}"
        if order:
            sql += f" ORDER BY {order}"
        with _QUERIES:
            try:
                return list(self._client.execute_sql(sql, *params) or [])
            except DatabaseUndefinedRelation:
                return []  # not loaded yet: nothing there


@contextmanager
def raw_view(bucket: str) -> Iterator[RawView | None]:
    """The bucket's raw table as the running pipeline's warehouse holds it; None when no
    pipeline runs the source (its records iterated directly, say)."""
    try:
        pipeline = dlt.current.pipeline()
    except Exception:  # dlt raises several kinds when there is no active pipeline
        yield None
        return
    if pipeline.destination is None:
        yield None
        return
    with _QUERIES:
        client = pipeline.sql_client()
    with client:
        yield RawView(client, bucket)


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _midpoint(low: datetime, high: datetime) -> datetime:
    return low + timedelta(microseconds=(high - low) // timedelta(microseconds=1) // 2)
