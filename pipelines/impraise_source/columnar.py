"""Pages as tables: the normalizing done while the extract waits on the API.

At the rate limit the extract spends nearly all its time waiting, while dlt's JSON
normalizer, which ran after it, took minutes at millions of records (docs/benchmarks.md).
So each page is split here into the bucket's rows and one set of rows per nested list,
with the keys
dlt's relational normalizer would give them (`_dlt_id`; `_dlt_parent_id`,
`_dlt_list_idx` and `_dlt_root_id` on child rows, the parent being the root). Where
the values match the declared columns, the rows are Arrow tables, which dlt writes to
parquet during the extract and its normalize step only moves. Where they do not (an
unknown field, a value of another type), they stay dicts, which dlt's JSON normalizer
types as usual, adding columns and variant columns.

dlt cannot take nested tables from a resource, so the child tables are tables of their
own, appended to: a child row belongs to the version of its parent whose `_dlt_id` it
carries, and `finish_load` (child_rows.py) deletes those of replaced versions after the
load, as dlt's merge does for nested tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.normalizers.json.helpers import get_nested_row_hash
from dlt.common.normalizers.utils import generate_dlt_ids
from dlt.common.schema.typing import TColumnSchema
from dlt.common.storages.load_package import load_package_state
from dlt.extract import DltResource

from .schema import BUCKETS, SCALAR_VALUE, BucketSchema, Field, NestedList, bucket_schema
from .settings import Record
from .timestamps import parse_instant

ROW_KEY = "_dlt_id"
LOAD_ID = "_dlt_load_id"
PARENT_KEY = "_dlt_parent_id"
LIST_INDEX = "_dlt_list_idx"
ROOT_KEY = "_dlt_root_id"

_ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "bool": pa.bool_(),
    "bigint": pa.int64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
# The JSON type each declared kind accepts (exactly: a bool is no bigint, as in dlt).
_JSON_TYPES: dict[str, type] = {"text": str, "bool": bool, "bigint": int, "timestamp": str}


def _key_column(name: str, data_type: str) -> TColumnSchema:
    return {"name": name, "data_type": data_type, "nullable": False}


# The keys that link a child row to its parent's version. Child tables are top-level
# tables to dlt, whose JSON normalizer gives every such row a load id: so do we.
CHILD_KEY_COLUMNS: dict[str, TColumnSchema] = {
    LOAD_ID: _key_column(LOAD_ID, "text"),
    PARENT_KEY: _key_column(PARENT_KEY, "text"),
    LIST_INDEX: _key_column(LIST_INDEX, "bigint"),
    ROW_KEY: {**_key_column(ROW_KEY, "text"), "unique": True},
    ROOT_KEY: _key_column(ROOT_KEY, "text"),
}


class DoesNotFit(Exception):
    """A value or field the declared columns do not cover: dlt's JSON path takes over."""


def bucket_resource(
    bucket: str, read_pages: Callable[[MutableMapping[str, Any]], Iterator[list[Record]]]
) -> DltResource:
    """The merge resource of one bucket: the one door to this module.

    `read_pages(state)` yields the bucket's records page by page, given the resource's
    dlt state; every page leaves as the tables dlt's normalizer would have made of it
    (tests/unit/test_normalizer_contract.py holds the two side by side). An unknown
    bucket's table gets the hints of the fields every record has.
    """

    def tables():
        load_id = load_package_state()["load_id"]
        for records in read_pages(dlt.current.resource_state()):
            for table_name, rows in page_items(bucket, records, load_id):
                yield dlt.mark.with_table_name(rows, table_name)

    # parallelized: dlt awaits each bucket's next page in its worker pool instead of its
    # one thread, round robin, where a bucket whose page has not come holds up the pages
    # the others have: 3.9 against 5.6 requests/s at 400 ms (docs/benchmarks.md).
    resource = dlt.resource(tables, name=bucket, write_disposition="merge", parallelized=True)()
    schema = bucket_schema(bucket)
    # Each table's hints are a variant of the resource's: the child tables, which this
    # resource yields too, must not inherit the bucket's columns and primary key.
    resource.apply_hints(
        table_name=bucket,
        primary_key="id",
        columns=schema.table_hints(),
        create_table_variant=True,
    )
    for table, columns in schema.child_hints().items():
        resource.apply_hints(
            table_name=table,
            write_disposition="append",
            columns={**columns, **CHILD_KEY_COLUMNS},
            create_table_variant=True,
        )
    return resource


def page_items(
    bucket: str, records: list[Record], load_id: str
) -> Iterator[tuple[str, pa.Table | list[Record]]]:
    """The page's rows as (table name, Arrow table or dicts), the bucket's table first.

    `load_id` fills `_dlt_load_id`, as dlt's normalizer would.
    """
    if bucket not in BUCKETS:
        yield bucket, records
        return
    schema = BUCKETS[bucket]
    row_ids = generate_dlt_ids(len(records))
    yield bucket, _bucket_rows(schema, records, row_ids, load_id)
    for nested in schema.lists:
        table = schema.child_table(nested)
        rows = _child_rows(table, nested, records, row_ids, load_id)
        if rows is not None:
            yield table, rows


def _bucket_rows(
    schema: BucketSchema, records: list[Record], row_ids: list[str], load_id: str
) -> pa.Table | list[Record]:
    known = frozenset(schema.top_level)  # what a record may carry and still fit
    if all(known.issuperset(record) for record in records):
        try:
            arrays = _arrays(schema.fields, records)
        except DoesNotFit:
            pass
        else:
            arrays[LOAD_ID] = pa.array([load_id] * len(records), pa.string())
            arrays[ROW_KEY] = pa.array(row_ids, pa.string())
            if arrays["id"].null_count == 0:
                return _table(arrays, required={"id", LOAD_ID, ROW_KEY})
    lists = {nested.name for nested in schema.lists}
    return [
        {
            **{k: v for k, v in record.items() if not (k in lists and isinstance(v, list))},
            ROW_KEY: row_id,
        }
        for record, row_id in zip(records, row_ids, strict=True)
    ]


def _child_rows(
    table: str, nested: NestedList, records: list[Record], row_ids: list[str], load_id: str
) -> pa.Table | list[Record] | None:
    entries: list[Any] = []
    parents: list[str] = []
    positions: list[int] = []
    for record, parent in zip(records, row_ids, strict=True):
        values = record.get(nested.name)
        # Not a list (drift): the bucket's rows keep it as a column.
        if isinstance(values, list):
            entries.extend(values)
            parents.extend([parent] * len(values))
            positions.extend(range(len(values)))
    if not entries:
        return None
    keys = {
        LOAD_ID: [load_id] * len(parents),
        PARENT_KEY: parents,
        LIST_INDEX: positions,
        ROW_KEY: [
            get_nested_row_hash(parent, table, position)
            for parent, position in zip(parents, positions, strict=True)
        ],
        ROOT_KEY: parents,
    }
    if nested.of_scalars:
        entries = [{SCALAR_VALUE: value} for value in entries]
    try:
        return _arrow_entries(nested.entries, entries, keys)
    except DoesNotFit:
        rows = [entry if isinstance(entry, dict) else {SCALAR_VALUE: entry} for entry in entries]
        return [
            {**row, **{name: column[i] for name, column in keys.items()}}
            for i, row in enumerate(rows)
        ]


def _arrow_entries(
    fields: tuple[Field, ...], entries: list[Any], keys: dict[str, list[Any]]
) -> pa.Table:
    known = {f.name for f in fields}
    if not all(isinstance(entry, dict) and known.issuperset(entry) for entry in entries):
        raise DoesNotFit
    arrays = _arrays(fields, entries)
    for name, values in keys.items():
        arrays[name] = pa.array(values, _ARROW_TYPES[CHILD_KEY_COLUMNS[name]["data_type"]])
    return _table(arrays, required=set(keys))


def _table(arrays: dict[str, pa.Array], required: set[str]) -> pa.Table:
    # Nullability as declared, so dlt finds nothing to reconcile with the schema.
    schema = pa.schema(
        pa.field(name, array.type, nullable=name not in required) for name, array in arrays.items()
    )
    return pa.Table.from_arrays(list(arrays.values()), schema=schema)


def _arrays(fields: tuple[Field, ...], rows: list[Record]) -> dict[str, pa.Array]:
    return {f.column: _array(f.kind, [row.get(f.name) for row in rows]) for f in fields}


def _array(kind: str, values: list[Any]) -> pa.Array:
    expected = _JSON_TYPES[kind]
    if any(value is not None and type(value) is not expected for value in values):
        raise DoesNotFit
    if kind == "timestamp":
        values = [None if value is None else _instant(value) for value in values]
    return pa.array(values, _ARROW_TYPES[kind])


def _instant(value: str) -> Any:
    try:
        return parse_instant(value)
    except ValueError:
        raise DoesNotFit from None
