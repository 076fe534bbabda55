"""The command line uses the source as any dlt user would: through its public face.

`impraise_source` exports `impraise`, `probe` and `finish_load`, the types they take and
give (`RunStats`, `CompatibilityReport`, `BucketReport`, `FinishedLoad`) and the errors;
`impraise_source.errors` holds the errors too. A command-line module that reaches any
deeper would hold what a library user lacks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import impraise_source
import pytest

CLI = Path(__file__).resolve().parents[2] / "pipelines" / "impraise_cli"
FACE = {"impraise_source": set(impraise_source.__all__), "impraise_source.errors": None}


def source_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) of every import of the source in a file; name None for `import x`."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.startswith("impraise_source")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("impraise_source"):
            found += [(node.module, alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("module", sorted(CLI.glob("*.py")), ids=lambda path: path.name)
def test_the_command_line_imports_only_the_public_face(module: Path):
    for imported, name in source_imports(module):
        assert imported in FACE, f"{module.name} imports {imported}"
        allowed = FACE[imported]
        assert allowed is None or name in allowed, f"{module.name} imports {name} from {imported}"


def test_the_public_face_is_complete():
    assert {"impraise", "probe", "finish_load"} <= set(impraise_source.__all__)
    errors = {name for name in dir(impraise_source.errors) if name.endswith("Error")}
    assert errors <= set(impraise_source.__all__)
    assert all(hasattr(impraise_source, name) for name in impraise_source.__all__)
