"""Query the project's MetricFlow metrics in-process, as `mf query` does, without its CLI.

`mf` reads the semantic manifest from `<project>/target/` and starts a new Python for every
query. The report asks a dozen questions, so it loads dbt's adapter and the manifest once,
from the target path dbt itself writes to (`DBT_TARGET_PATH`, default `<project>/target`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metricflow.engine.metricflow_engine import MetricFlowEngine


MANIFEST_NAME = "semantic_manifest.json"


class SemanticLayerError(Exception):
    """The semantic layer cannot answer: the message says what is missing, in one line."""


Row = dict[str, Any]


@dataclass(frozen=True)
class SemanticLayer:
    engine: MetricFlowEngine

    def query(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> list[Row]:
        """One row per group: {group-by name or metric name: value}, months as dates.

        `start` and `end` bound metric_time (both inclusive, as `mf query --start-time`).
        """
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by) or None,
            time_constraint_start=_midnight(start),
            time_constraint_end=_midnight(end),
        )
        table = self.engine.query(mf_request=request).result_df
        if table is None:
            return []
        return [
            {name: _plain(value) for name, value in zip(table.column_names, row, strict=True)}
            for row in table.rows
        ]


def connect(
    project_dir: Path, profiles_dir: Path, target_path: Path | None = None
) -> SemanticLayer:
    """The project's metrics on the warehouse its profile targets (IMPRAISE_DESTINATION)."""
    if target_path is None:
        target_path = Path(os.environ.get("DBT_TARGET_PATH") or project_dir / "target")
    manifest_path = target_path / MANIFEST_NAME
    if not manifest_path.is_file():
        raise SemanticLayerError(
            f"no semantic manifest at {manifest_path}: run `dbt parse` (or `dbt build`) first"
        )
    # Imported here, not at the top: dbt and MetricFlow take seconds to import, and a
    # missing warehouse or manifest should be reported without that wait.
    from dbt.adapters.factory import get_adapter_by_type
    from dbt_metricflow.cli.dbt_connectors.adapter_backed_client import AdapterBackedSqlClient
    from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtProjectMetadata
    from metricflow.engine.metricflow_engine import MetricFlowEngine
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    try:
        # Runs `dbt debug`, which checks the connection and registers the adapter.
        project = dbtProjectMetadata.load_from_paths(
            profiles_path=profiles_dir, project_path=project_dir
        )
    except RuntimeError as error:
        cause = error.__cause__ or error
        raise SemanticLayerError(
            f"dbt cannot reach the warehouse of profile target in {profiles_dir}: {cause}"
        ) from error
    adapter = get_adapter_by_type(project.profile.credentials.type)
    manifest = parse_manifest_from_dbt_generated_manifest(manifest_path.read_text())
    return SemanticLayer(
        MetricFlowEngine(
            semantic_manifest_lookup=SemanticManifestLookup(manifest),
            sql_client=AdapterBackedSqlClient(adapter),
        )
    )


def _midnight(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime(day.year, day.month, day.day)


def _plain(value: Any) -> Any:
    """metric_time values come back as midnight datetimes: months and days are dates."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value
