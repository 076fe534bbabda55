"""What every load of the source needs once dlt has loaded it: `finish_load(pipeline)`.

Call it after each `pipeline.run(impraise(...))`, and after a `pipeline.load()` of what
a killed run left. For the packages that load brought, it

1. collapses the rows a resumed load put in twice (duplicate_rows.py), when the load
   finished packages that an earlier process had begun;
2. deletes the child rows of replaced record versions (child_rows.py), as dlt's merge
   does for its own nested tables;
3. marks `_deleted_at` on the rows a complete read of their bucket no longer found,
   and on those the count reconciliation found deleted (deletions.py);
4. empties the merge staging tables (dataset `<dataset>_staging`), and deletes the
   package's data files under `DLT_DATA_DIR`.

dlt does the last two itself when `[load] truncate_staging_dataset` and
`delete_completed_jobs` are set, as the project's `.dlt/config.toml` sets them. That
file is read only by a pipeline started in the project's directory; `finish_load` does
both whatever dlt was configured with, so a pipeline of one's own, started from
anywhere, leaves no second copy of a record (names, emails, comments) in the warehouse
or on disk. Every step is idempotent: a second call, or one after a load that loaded
nothing, changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.schema import Schema
from dlt.common.schema.utils import get_write_disposition
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from .child_rows import remove_superseded
from .deletions import (
    complete_reads,
    count_live_rows,
    found_deleted,
    mark_deleted,
    mark_found_deleted,
)
from .duplicate_rows import remove_duplicate_rows
from .schema import KNOWN_BUCKETS


@dataclass(frozen=True)
class FinishedLoad:
    """What `finish_load` changed, for the caller to report."""

    # Per table: copies of rows that a resumed load had put in twice, removed.
    copies_removed: dict[str, int] = field(default_factory=dict)
    # Per bucket: rows a complete read no longer found, or the count reconciliation
    # found deleted, marked `_deleted_at`.
    marked_deleted: dict[str, int] = field(default_factory=dict)
    # Per bucket loaded: the raw table's rows not marked deleted, once all is done.
    live_rows: dict[str, int] = field(default_factory=dict)


def finish_load(pipeline: dlt.Pipeline) -> FinishedLoad:
    """Bring the warehouse and dlt's working directory to where every load must leave
    them, after the load of `pipeline`'s last run (see the module's docstring)."""
    trace = pipeline.last_trace
    load = trace.last_load_info if trace else None
    if load is None or not load.loads_ids:
        # Nothing was loaded, nothing to repair: only the counts, for the summary.
        return FinishedLoad(live_rows=live_rows(pipeline))
    extract, normalize = trace.last_extract_info, trace.last_normalize_info
    # Packages extracted by this process cannot hold a file loaded twice.
    resumed = set(load.loads_ids) - set(extract.loads_ids if extract else ())
    # The buckets that received rows, when this process normalized all that it loaded.
    with_rows: Collection[str] = KNOWN_BUCKETS
    if normalize and set(load.loads_ids) <= set(normalize.loads_ids):
        with_rows = [bucket for bucket in KNOWN_BUCKETS if normalize.row_counts.get(bucket)]
    packages = {package.load_id: package for package in load.load_packages}
    copies: dict[str, int] = {}
    marked: dict[str, int] = {}
    live: dict[str, int] = {}
    # Every schema: after a killed first run, the pipeline may have no default schema yet.
    for schema_name in pipeline.schema_names:
        schema = pipeline.schemas[schema_name]
        tables = set(schema.data_table_names(seen_data_only=True))
        with pipeline.sql_client(schema_name) as client:
            if resumed:
                copies |= remove_duplicate_rows(client, schema)
            remove_superseded(client, with_rows, tables)
            for load_id in load.loads_ids:
                package = packages.get(load_id)
                if package is not None and package.schema_name == schema_name:
                    package_state = pipeline.get_load_package_state(load_id)
                    read_whole = complete_reads(package_state)
                    marked |= mark_deleted(client, [b for b in read_whole if b in tables], load_id)
                    found = mark_found_deleted(client, found_deleted(package_state), tables)
                    for bucket, count in found.items():
                        marked[bucket] = marked.get(bucket, 0) + count
            _empty_staging(client, schema, tables)
            live |= count_live_rows(client, [b for b in KNOWN_BUCKETS if b in tables])
    for load_id in load.loads_ids:
        _delete_job_files(pipeline, load_id)
    return FinishedLoad(copies, marked, live)


def live_rows(pipeline: dlt.Pipeline) -> dict[str, int]:
    """The rows not marked deleted of each known bucket's raw table the pipeline has."""
    counts: dict[str, int] = {}
    for schema_name in pipeline.schema_names:
        schema = pipeline.schemas[schema_name]
        tables = set(schema.data_table_names(seen_data_only=True))
        present = [bucket for bucket in KNOWN_BUCKETS if bucket in tables]
        if present:
            with pipeline.sql_client(schema_name) as client:
                counts |= count_live_rows(client, present)
    return counts


def _empty_staging(client: Any, schema: Schema, tables: Collection[str]) -> None:
    """Truncate the merge staging copies of `schema`'s tables, as dlt's
    `truncate_staging_dataset` does."""
    staged = [name for name in tables if get_write_disposition(schema.tables, name) == "merge"]
    with client.with_staging_dataset():
        if not staged or not client.has_dataset():
            return
        for name in staged:
            try:
                client.truncate_tables(name)
            except DatabaseUndefinedRelation:
                continue  # never staged (its loads brought no row): nothing to empty


def _delete_job_files(pipeline: dlt.Pipeline, load_id: str) -> None:
    """Delete a loaded package's data files, as dlt's `delete_completed_jobs` does; the
    package's state and schema stay, for dlt's trace and for `finish_load` itself."""
    for job in pipeline.get_load_package_info(load_id).jobs.get("completed_jobs", ()):
        try:
            os.remove(job.file_path)
        except FileNotFoundError:
            continue  # dlt deleted it already
