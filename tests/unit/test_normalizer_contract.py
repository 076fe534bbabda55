"""The source's own normalizer against dlt's: the same pages must make the same tables.

`columnar.bucket_resource` builds each page's rows and child rows itself (as Arrow
tables where the values fit the declared columns, as dicts where they drift) instead of
leaving the nesting to dlt's JSON normalizer. Both are loaded here into DuckDB files,
twice (a first load, then changed records), and compared: the tables, each column's
type, every row, and every child row with the parent it belongs to.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
from impraise_source import finish_load
from impraise_source.columnar import bucket_resource
from impraise_source.schema import bucket_schema

from tests.support.simulator import fresh_small_org
from tests.support.snapshot import raw_snapshot

PAGE = 100


def drifted(bucket: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records, some drifting: an unknown field, a value of another type, and a
    nested entry with a field nobody declared, so both of the normalizer's paths run."""
    records = copy.deepcopy(records)
    records[3]["pronouns"] = "they/them"
    if bucket == "feedback":
        records[5]["isAnonymous"] = "yes"
    if bucket == "feedback_requests":
        records[2]["recipients"][0]["reminded"] = True
    return records


def changed(bucket: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A second load: some records again, their lists changed, their updatedAt later."""
    again = copy.deepcopy(records[:7])
    for record in again:
        record["updatedAt"] = "2030-01-01T00:00:00Z"
        for field, value in record.items():
            if isinstance(value, list):
                record[field] = value[:1] + value[:1]  # shorter, and one entry twice
    return again


def pages(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [records[i : i + PAGE] for i in range(0, len(records), PAGE)]


def load(name: str, tmp: Path, loads: list[dict[str, list[dict]]], ours: bool) -> Path:
    """Load each of `loads` (records by bucket) in turn, our way or dlt's."""
    path = tmp / f"{name}.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(path)),
        dataset_name="raw",
        pipelines_dir=str(tmp / "dlt"),
    )
    for by_bucket in loads:
        if ours:
            resources = [
                bucket_resource(bucket, lambda _state, r=records: iter(pages(r)))
                for bucket, records in by_bucket.items()
            ]
            pipeline.run(resources, loader_file_format="parquet")
            finish_load(pipeline)
        else:
            pipeline.run([_dlt_resource(b, records) for b, records in by_bucket.items()])
    return path


def _dlt_resource(bucket: str, records: list[dict]):
    def rows() -> Iterator[dict]:
        yield from copy.deepcopy(records)

    return dlt.resource(
        rows,
        name=bucket,
        primary_key="id",
        write_disposition="merge",
        columns=bucket_schema(bucket).table_hints(),
    )()


def snapshot(path: Path, bucket: str) -> dict[str, Any]:
    """Every table of `bucket`: its columns and types, and its rows keyed by record id
    (child rows by their parent's `id` and position), without dlt's row keys."""
    return raw_snapshot(path, "raw", lambda table: table.split("__")[0] == bucket)


BUCKETS = ("users", "feedback", "feedback_requests")  # the buckets with nested lists


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("normalizers")
    org = fresh_small_org()
    first = {bucket: drifted(bucket, org.records(bucket)) for bucket in BUCKETS}
    loads = [first, {bucket: changed(bucket, records) for bucket, records in first.items()}]
    return {
        "ours": load("ours", tmp, loads, ours=True),
        "dlts": load("dlts", tmp, loads, ours=False),
    }


@pytest.mark.parametrize("bucket", BUCKETS)
def test_the_same_pages_make_the_same_tables(bucket, loaded):
    ours, dlts = (snapshot(loaded[name], bucket) for name in ("ours", "dlts"))
    assert set(ours) == set(dlts)
    assert len(ours) > 1, "no child table was made"
    for table in dlts:
        assert ours[table]["types"] == dlts[table]["types"], table
        assert ours[table]["rows"] == dlts[table]["rows"], table
