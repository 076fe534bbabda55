"""Read the floored marts the report's people-analytics sections draw, over dbt's adapter.

The calibration, managers, departments and leavers sections show tables (distributions,
deviations with intervals, leavers against stayers) that are marts already floored in
dbt rather than metrics. They are read through the adapter `semantic_layer.connect`
registered, so on the same warehouse and with the same credentials, and found by the
relation names dbt wrote in its manifest (a target schema other than `analytics` works).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .semantic_layer import Row, SemanticLayerError

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class MartReader:
    adapter_type: str
    relations: dict[str, str]  # model name -> relation as the warehouse spells it

    @classmethod
    def from_target(cls, target_path: Path) -> MartReader:
        manifest_path = target_path / MANIFEST_NAME
        if not manifest_path.is_file():
            raise SemanticLayerError(f"no dbt manifest at {manifest_path}: run `dbt build` first")
        manifest = json.loads(manifest_path.read_text())
        relations = {
            node["name"]: node["relation_name"]
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node.get("relation_name")
        }
        return cls(manifest["metadata"]["adapter_type"], relations)

    def rows(self, model: str) -> list[Row]:
        """Every row of a mart, as {column: value}."""
        from dbt.adapters.factory import get_adapter_by_type
        from dbt_metricflow.cli.dbt_connectors.adapter_backed_client import (
            AdapterBackedSqlClient,
        )

        if model not in self.relations:
            raise SemanticLayerError(f"the dbt manifest has no model {model}: run `dbt build`")
        client = AdapterBackedSqlClient(get_adapter_by_type(self.adapter_type))
        table = client.query(f"select * from {self.relations[model]}")
        return [
            {name: _plain(value) for name, value in zip(table.column_names, row, strict=True)}
            for row in table.rows
        ]


def _plain(value: Any) -> Any:
    """Decimals as floats: the sections only print them."""
    if hasattr(value, "is_finite") and not isinstance(value, float):
        return float(value)
    return value
