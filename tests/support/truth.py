"""Compare the raw warehouse tables with the simulator's records: the source of truth."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from impraise_source.schema import warehouse_name as snake

from tests.support.pipeline import PipelineWorkspace, as_instant
from tests.support.tally import TALLY

_TIMESTAMP_NAME = re.compile(r"(At|_at)$")


def _normal(field: str, value: Any) -> Any:
    """A value as comparable across the API and the warehouse: timestamps as instants."""
    if value is not None and _TIMESTAMP_NAME.search(field):
        return as_instant(value)
    return value


RAW_SCHEMA = "impraise_raw"


def live_rows(
    workspace: PipelineWorkspace, table: str, schema: str = RAW_SCHEMA
) -> list[dict[str, Any]]:
    """The rows of a raw bucket table that are not marked deleted."""
    return [row for row in workspace.table(table, schema) if row.get("_deleted_at") is None]


def compare_bucket(
    workspace: PipelineWorkspace,
    bucket: str,
    records: list[dict[str, Any]],
    schema: str = RAW_SCHEMA,
) -> list[str]:
    """Every difference between a bucket's source records and its live raw rows.

    Checks ids (none missing, none extra, none twice), every scalar field, every nested
    list, element by element in order, through the child tables, and that the child
    tables hold no rows of replaced versions.
    """
    rows = live_rows(workspace, bucket, schema)
    problems: list[str] = []
    counts = Counter(row["id"] for row in rows)
    problems += [f"{bucket}: id {i} loaded {n} times" for i, n in counts.items() if n > 1]
    by_id = {row["id"]: row for row in rows}
    source_ids = {record["id"] for record in records}
    problems += [f"{bucket}: id {i} missing" for i in sorted(source_ids - set(by_id))]
    problems += [f"{bucket}: id {i} not at the source" for i in sorted(set(by_id) - source_ids)]
    children = {
        table.removeprefix(f"{bucket}__"): _children(workspace, table, schema)
        for table in workspace.tables(schema)
        if table.startswith(f"{bucket}__")
    }
    # A child row belongs to one version of its parent; none may outlive it.
    versions = {row["_dlt_id"] for row in workspace.table(bucket, schema)}
    for column, by_parent in children.items():
        orphans = sum(len(rows) for parent, rows in by_parent.items() if parent not in versions)
        if orphans:
            problems.append(f"{bucket}__{column}: {orphans} rows of replaced versions")
    for record in records:
        row = by_id.get(record["id"])
        if row is None:
            continue
        problems += _stray_children(children, bucket, record, row)
        for field, value in record.items():
            column = snake(field)
            if isinstance(value, list):
                problems += _compare_list(children, bucket, column, row, value)
            elif isinstance(value, dict):
                continue  # nested objects are flattened by dlt; not used by the contract
            elif not _same(field, value, _raw_value(row, column)):
                problems.append(
                    f"{bucket}/{record['id']}.{column}: source {value!r} != raw "
                    f"{_raw_value(row, column)!r}"
                )
    return problems


def _same(field: str, source: Any, raw: Any) -> bool:
    """Equal once normalised; a number the API sent as text ("4") may land in its numeric
    column as the number, which is the same value."""
    if isinstance(source, str) and isinstance(raw, int) and not isinstance(raw, bool):
        return source.strip() == str(raw)
    return _normal(field, source) == _normal(field, raw)


def _raw_value(row: dict[str, Any], column: str) -> Any:
    """A field's loaded value: its column, or, when a value did not fit the column's type
    (schema drift), the variant column dlt put it in (`rating__v_text`)."""
    value = row.get(column)
    if value is None:
        variants = (row[name] for name in row if name.startswith(f"{column}__v_"))
        value = next((v for v in variants if v is not None), None)
    return value


def _children(
    workspace: PipelineWorkspace, table: str, schema: str
) -> dict[str, list[dict[str, Any]]]:
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for row in workspace.table(table, schema):
        by_parent.setdefault(row["_dlt_parent_id"], []).append(row)
    for elements in by_parent.values():
        elements.sort(key=lambda element: element["_dlt_list_idx"])
    return by_parent


def _stray_children(
    children: dict[str, dict[str, list[dict[str, Any]]]],
    bucket: str,
    record: dict[str, Any],
    row: dict[str, Any],
) -> list[str]:
    """Child rows under a row whose source record has no elements in that list (an empty
    list, or none at all): `_compare_list` only looks at lists that hold something."""
    with_elements = {snake(f) for f, value in record.items() if isinstance(value, list) and value}
    return [
        f"{bucket}/{record['id']}.{column}: source has no elements, raw has "
        f"{len(by_parent[row['_dlt_id']])} child rows"
        for column, by_parent in children.items()
        if column not in with_elements and by_parent.get(row["_dlt_id"])
    ]


def _compare_list(
    children: dict[str, dict[str, list[dict[str, Any]]]],
    bucket: str,
    column: str,
    row: dict[str, Any],
    values: list[Any],
) -> list[str]:
    if not values:
        return []
    if column not in children:
        return [f"{bucket}: child table {bucket}__{column} missing"]
    elements = children[column].get(row["_dlt_id"], [])
    if isinstance(values[0], dict):
        loaded = [
            {field: _normal(field, e.get(snake(field))) for field in values[0]} for e in elements
        ]
        expected = [{f: _normal(f, v) for f, v in value.items()} for value in values]
    else:
        loaded = [e["value"] for e in elements]
        expected = values
    if loaded != expected:
        return [f"{bucket}/{row['id']}.{column}: source {expected!r} != raw {loaded!r}"]
    return []


def assert_raw_matches_source(
    workspace: PipelineWorkspace,
    org: Any,
    buckets: list[str] | None = None,
    schema: str = RAW_SCHEMA,
) -> int:
    """Assert the raw tables (in `schema`) equal the organisation; returns the number of
    rows compared."""
    problems: list[str] = []
    compared = 0
    for bucket in buckets or org.buckets:
        records = org.records(bucket)
        compared += len(records)
        problems += compare_bucket(workspace, bucket, records, schema)
    assert not problems, f"{len(problems)} differences, first: " + "\n".join(problems[:15])
    TALLY.add(rows_compared=compared)
    return compared
