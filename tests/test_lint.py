"""The code base passes its own linters: ruff for Python, sqlfluff for the dbt models."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# sqlfluff's dbt templater renders with the DuckDB target, in memory: no server, no file.
LINT_ENV = {**os.environ, "IMPRAISE_DESTINATION": "duckdb", "IMPRAISE_DUCKDB_PATH": ":memory:"}


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["sqlfluff", "lint", "dbt_project"],
    ],
    ids=" ".join,
)
def test_linter_passes(command: list[str]):
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        env=LINT_ENV,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # sqlfluff reports an internal error on a file as a warning, yet exits 0.
    assert "Unable to lint" not in output, output
