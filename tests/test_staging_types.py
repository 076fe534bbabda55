"""The loader and the staging layer declare the same tables, columns and types.

The loader declares each bucket, field by field, once (pipelines/impraise_source/
schema.py), and gives dlt each raw column's type from it. The dbt project declares the
raw tables and columns again in _impraise__sources.yml, which each staging model
selects, and casts each one visibly in the model. Kept apart on purpose: generating
the SQL would hide the types from its readers, and generating schema.py from dbt
files would make the loader depend on the dbt project. So these tests read all three,
in-process and in well under a second, and fail on the first difference: a table, a
column or a type, and each child table's link to its parent.
"""

from __future__ import annotations

import re

import pytest
import yaml
from impraise_source.schema import BUCKETS

from tests.support.pipeline import REPO_ROOT

STAGING = REPO_ROOT / "dbt_project" / "models" / "staging" / "impraise"
SOURCES = STAGING / "_impraise__sources.yml"
# The loader's kind of a column -> the dbt-core type macro its staging cast uses.
DBT_TYPE = {"text": "type_string", "bigint": "type_bigint", "bool": "type_boolean"}
DBT_TYPE["timestamp"] = "type_timestamp"
# `cast(<column> as {{ dbt.type_x() }})`, or for an instant
# `cast({{ impraise_utc('<column>') }} as {{ dbt.type_timestamp() }})`.
CAST = re.compile(
    r"cast\(\s*(?:\{\{\s*impraise_utc\('(?P<instant>\w+)'\)\s*\}\}|(?P<column>\w+))"
    r"\s+as\s+\{\{\s*dbt\.(?P<type>type_\w+)\(\)\s*\}\}\s*\)"
)
READS = re.compile(r"impraise_select_declared_columns\('(\w+)'\)")


def is_bookkeeping(column: str) -> bool:
    """dlt's own columns, the loader's deletion mark and dlt's variant columns."""
    return column.startswith("_dlt_") or column == "_deleted_at" or "__v_" in column


def source_tables() -> list[dict]:
    """The raw tables of _impraise__sources.yml, as written."""
    (source,) = yaml.safe_load(SOURCES.read_text())["sources"]
    return source["tables"]


def declared_tables() -> dict[str, dict[str, str]]:
    """{raw table: {column: data_type}} as _impraise__sources.yml declares them."""
    return {
        table["name"]: {column["name"]: column.get("data_type") for column in table["columns"]}
        for table in source_tables()
        if table.get("columns")
    }


def loader_tables() -> dict[str, dict[str, str]]:
    """{raw table: {column: kind}} as schema.py declares them, child tables included."""
    tables = {name: schema.columns() for name, schema in BUCKETS.items()}
    for schema in BUCKETS.values():
        for nested in schema.lists:
            tables[schema.child_table(nested)] = {f.column: f.kind for f in nested.entries}
    return tables


def child_parents() -> dict[str, str]:
    """{child table: its bucket} as schema.py declares them."""
    return {
        schema.child_table(nested): name
        for name, schema in BUCKETS.items()
        for nested in schema.lists
    }


Casts = dict[str, set[tuple[str, bool]]]


def casts_in(sql: str) -> Casts:
    """{raw column: {(dbt type macro, whether through impraise_utc)}} cast in `sql`."""
    found: Casts = {}
    for cast in CAST.finditer(sql):
        column = cast["instant"] or cast["column"]
        found.setdefault(column, set()).add((cast["type"], cast["instant"] is not None))
    return found


def staging_casts() -> dict[str, Casts]:
    """{raw table: its casts} for each staging model, by the raw table it selects."""
    casts: dict[str, Casts] = {}
    for model in sorted(STAGING.glob("stg_impraise__*.sql")):
        sql = model.read_text()
        tables = READS.findall(sql)
        assert len(tables) == 1, f"{model.name} reads {tables or 'no table'}"
        assert tables[0] not in casts, f"{tables[0]} has two staging models"
        casts[tables[0]] = casts_in(sql)
    return casts


def test_sources_yml_declares_the_loaders_columns_and_types():
    declared, loader = declared_tables(), loader_tables()
    assert set(declared) == set(loader), "raw tables declared in dbt and in the loader differ"
    for table, columns in loader.items():
        business = {k: v for k, v in declared[table].items() if not is_bookkeeping(k)}
        assert business == columns, f"{table}: _impraise__sources.yml vs schema.py"


def test_every_staging_model_casts_each_column_to_the_loaders_type():
    casts, loader = staging_casts(), loader_tables()
    assert set(casts) == set(loader), "raw tables with a staging model vs in schema.py"
    for table, columns in loader.items():
        for column, kind in columns.items():
            expected = {(DBT_TYPE[kind], kind == "timestamp")}
            assert casts[table].get(column) == expected, (
                f"{table}.{column} is a {kind} in schema.py; its staging model casts it "
                f"{sorted(casts[table].get(column, set())) or 'nowhere'}"
            )


def test_every_column_a_staging_model_casts_is_declared():
    casts, declared = staging_casts(), declared_tables()
    for table, columns in casts.items():
        undeclared = set(columns) - set(declared[table])
        assert not undeclared, f"{table}: cast in staging but not declared: {undeclared}"
        for column, found in columns.items():
            kind = declared[table][column]
            assert {dbt_type for dbt_type, _ in found} == {DBT_TYPE[kind]}, f"{table}.{column}"


def test_every_child_row_is_tested_to_belong_to_a_version_of_its_bucket():
    """`finish_load` deletes the child rows of replaced versions; a warehouse where it
    did not run fails this source test (staging, which joins each entry to its parent,
    would hide it)."""
    by_name = {table["name"]: table for table in source_tables()}
    for child, bucket in child_parents().items():
        (parent_key,) = [c for c in by_name[child]["columns"] if c["name"] == "_dlt_parent_id"]
        expected = {"to": f"source('impraise', '{bucket}')", "field": "_dlt_id"}
        tests = [
            test["belongs_to_a_loaded_row"]
            for test in parent_key.get("data_tests", [])
            if isinstance(test, dict) and "belongs_to_a_loaded_row" in test
        ]
        assert [t.get("arguments") for t in tests] == [expected], child


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("cast(id as {{ dbt.type_string() }}) as user_id", {"id": {("type_string", False)}}),
        (
            "cast({{ impraise_utc('created_at') }} as {{ dbt.type_timestamp() }})",
            {"created_at": {("type_timestamp", True)}},
        ),
        (
            "lower(trim(cast(status as {{ dbt.type_string() }})))",
            {"status": {("type_string", False)}},
        ),
        ("cast(rating as bigint)", {}),  # a literal type is not the project's spelling
    ],
)
def test_the_cast_pattern_reads_the_models_spellings(sql: str, expected: Casts):
    assert casts_in(sql) == expected
