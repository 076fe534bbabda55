"""Undo the one way a killed load can leave a row twice in the warehouse.

Works around dlt-hub/dlt#3023 and dlt-hub/dlt#2837 (duplicate rows, same `_dlt_id`).

dlt loads a merge table's files into a staging table, truncated once per load package,
then merges staging into the final table. When a run is killed after a file reached the
staging table but before dlt recorded that job as done, the run that finishes the
package loads that file again: staging then holds exact copies of the same rows (same
`_dlt_id`), and the merge, which dedupes by primary key and then selects rows by
`_dlt_id`, inserts every copy. So after a package an earlier process began is loaded,
rows sharing a `_dlt_id` are collapsed back into one. A row's `_dlt_id` is unique in a
healthy table (it is made when the row is normalized), so nothing else is touched.
"""

from __future__ import annotations

from typing import Any

from dlt.common.schema import Schema

_COPIES = "_impraise_row_copies"


def remove_duplicate_rows(client: Any, schema: Schema) -> dict[str, int]:
    """Collapse rows sharing a `_dlt_id` in every data table of `schema`, through the SQL
    client `client`; returns the rows removed per table."""
    removed: dict[str, int] = {}
    for name in schema.data_table_names(seen_data_only=True):
        if "_dlt_id" in schema.get_table_columns(name):
            count = _collapse(client, client.make_qualified_table_name(name))
            if count:
                removed[name] = count
    return removed


def _collapse(client: Any, table: str) -> int:
    duplicated = f"SELECT _dlt_id FROM {table} GROUP BY _dlt_id HAVING count(*) > 1"
    rows = client.execute_sql(f"SELECT count(*) FROM {table} WHERE _dlt_id IN ({duplicated})")
    if not rows or not rows[0][0]:
        return 0
    with client.begin_transaction():
        client.execute_sql(
            f"CREATE TEMPORARY TABLE {_COPIES} AS SELECT DISTINCT * FROM {table} "
            f"WHERE _dlt_id IN ({duplicated})"
        )
        kept = client.execute_sql(f"SELECT count(*) FROM {_COPIES}")[0][0]
        client.execute_sql(f"DELETE FROM {table} WHERE _dlt_id IN (SELECT _dlt_id FROM {_COPIES})")
        client.execute_sql(f"INSERT INTO {table} SELECT * FROM {_COPIES}")
        client.execute_sql(f"DROP TABLE {_COPIES}")
    return int(rows[0][0]) - int(kept)
