"""The dbt project's shape and guards, checked without a warehouse (dbt parse / ls only)."""

from __future__ import annotations

import json

import pytest

from tests.support.dbt import MARTS, run_dbt
from tests.support.pipeline import REPO_ROOT

# Parsing never connects; the path only has to be somewhere harmless.
OFFLINE = {"IMPRAISE_DESTINATION": "duckdb", "IMPRAISE_DUCKDB_PATH": "/nonexistent/impraise.duckdb"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("dbt_parse")
    result = run_dbt(["parse"], OFFLINE, workdir)
    assert result.returncode == 0, result.output
    return json.loads((workdir / "dbt_target" / "manifest.json").read_text())


def _nodes(manifest: dict, resource_type: str) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == resource_type]


def test_project_has_the_required_models_tests_and_unit_tests(manifest):
    models = {node["name"] for node in _nodes(manifest, "model")}
    assert {
        "stg_impraise__users",
        "stg_impraise__user_teams",
        "stg_impraise__teams",
        "stg_impraise__topics",
        "stg_impraise__feedback",
        "stg_impraise__feedback_topics",
        "stg_impraise__feedback_requests",
        "stg_impraise__feedback_request_recipients",
        "stg_impraise__reviews",
        "stg_impraise__review_participants",
        "stg_impraise__review_answers",
        *MARTS,
    } <= models
    assert len(_nodes(manifest, "test")) >= 40
    assert len(manifest["unit_tests"]) >= 3
    assert len(manifest["exposures"]) >= 3


def test_every_model_and_every_mart_column_is_described(manifest):
    for model in _nodes(manifest, "model"):
        assert model["description"].strip(), f"{model['name']} has no description"
        if "/marts/" in f"/{model['original_file_path']}":
            sql = (REPO_ROOT / "dbt_project" / model["original_file_path"]).read_text()
            assert "select *" not in sql, f"{model['name']} selects *"
            assert model["columns"], f"mart {model['name']} documents no column"
            for column in model["columns"].values():
                assert column["description"].strip(), f"{model['name']}.{column['name']}"


def test_every_primary_key_is_unique_and_not_null(manifest):
    tested = {}
    for test in _nodes(manifest, "test"):
        metadata = test.get("test_metadata") or {}
        if metadata.get("name") in ("unique", "not_null") and test.get("attached_node"):
            key = (test["attached_node"], test["column_name"])
            tested.setdefault(key, set()).add(metadata["name"])
    for model in _nodes(manifest, "model"):
        first_column = next(iter(model["columns"]), None)
        assert first_column, f"{model['name']} documents no columns"
        kinds = tested.get((model["unique_id"], first_column), set())
        assert kinds == {"unique", "not_null"}, f"{model['name']}.{first_column}: {kinds}"


@pytest.mark.parametrize("size", ["2", "0", "few"])
def test_a_privacy_floor_below_three_fails_compilation(size, tmp_path):
    result = run_dbt(["parse", "--vars", f"{{min_group_size: {size}}}"], OFFLINE, tmp_path)
    assert result.returncode != 0
    assert "min_group_size" in result.output and "at least 3" in result.output


def test_every_source_table_has_an_identifier_var_and_the_database_a_var(manifest, tmp_path):
    tables = [s["name"] for s in manifest["sources"].values() if s["source_name"] == "impraise"]
    assert len(tables) >= 12
    renamed = {f"impraise_{table}_identifier": f"renamed_{table}" for table in tables}
    result = run_dbt(
        ["parse", "--vars", json.dumps({**renamed, "impraise_database": "elsewhere"})],
        OFFLINE,
        tmp_path,
    )
    assert result.returncode == 0, result.output
    sources = json.loads((tmp_path / "dbt_target" / "manifest.json").read_text())["sources"]
    for source in sources.values():
        assert source["identifier"] == f"renamed_{source['name']}", source["name"]
        assert source["database"] == "elsewhere", source["name"]


@pytest.mark.parametrize("entries", ["department", "[{name: dept, transfrom_sql: x}]"])
def test_a_malformed_pass_through_var_fails_naming_it(entries, tmp_path):
    variables = f"{{impraise_users_pass_through_columns: {entries}}}"
    result = run_dbt(["parse", "--vars", variables], OFFLINE, tmp_path)
    assert result.returncode != 0
    assert "impraise_users_pass_through_columns" in result.output, result.output
