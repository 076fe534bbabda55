"""The source as a dlt user imports it: the example of its README, run as written."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from tests.support.pipeline import PipelineWorkspace
from tests.support.simulator import SIMULATOR_TOKEN
from tests.support.truth import assert_raw_matches_source

README = Path(__file__).resolve().parents[1] / "pipelines" / "impraise_source" / "README.md"


def readme_example() -> str:
    return re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)


def test_the_readme_example_loads_the_resources_it_names(
    simulator, small_org, tmp_path, monkeypatch
):
    server = simulator(org=small_org, rate_limit=0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCES__IMPRAISE__API_TOKEN", SIMULATOR_TOKEN)
    monkeypatch.setenv("SOURCES__IMPRAISE__BASE_URL", server.url)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    exec(compile(readme_example(), str(README), "exec"), {})
    named = set(re.search(r"with_resources\((.*?)\)", readme_example()).group(1).split(", "))
    named = {name.strip('"') for name in named}
    with duckdb.connect(str(tmp_path / "impraise.duckdb"), read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'impraise_raw' and table_name not like '\\_dlt%' escape '\\'"
            ).fetchall()
        }
    assert {table for table in tables if "__" not in table} == named
    # The example's DuckDB file is where a workspace rooted here keeps its own.
    assert_raw_matches_source(PipelineWorkspace(tmp_path), small_org, sorted(named))
