"""Ask MetricFlow for metrics by every group-by it offers them, in a process of its own.

`python -m tests.support.mf_sweep` reads a JSON list of batches on stdin, each
{"metrics": [names that share a semantic model], "combinations": [[group-by, ...], ...]},
and writes, for each batch, the rows MetricFlow answered for every group-by it offers all
of the batch's metrics (each dimension, a time dimension by day and by month, each
entity, and none), then for each of the batch's combinations of group-bys. The
environment is tests/support/mf_batch.py's.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from impraise_report.semantic_layer import connect

from tests.support.mf_batch import json_date


def group_bys(engine, metrics: list[str]) -> list[list[str]]:
    """Every group-by MetricFlow offers all of `metrics`, one at a time, and none."""
    names: list[str] = []
    for dimension in engine.simple_dimensions_for_metrics(metrics):
        grain = dimension.type_params and dimension.type_params.time_granularity
        if grain:  # a time dimension: at its own grain, and by month
            grain = getattr(grain, "value", grain)
            base = dimension.dunder_name.removesuffix(f"__{grain}")
            names += [f"{base}__{grain}", f"{base}__month"]
        else:
            names.append(dimension.dunder_name)
    names += sorted({entity.name for entity in engine.entities_for_metrics(metrics)})
    return [[], *([name] for name in dict.fromkeys(names))]


def main() -> None:
    batches = json.load(sys.stdin)
    layer = connect(Path(os.environ["DBT_PROJECT_DIR"]), Path(os.environ["DBT_PROFILES_DIR"]))
    answers = [
        [
            {"group_by": names, "rows": layer.query(batch["metrics"], names)}
            for names in [*group_bys(layer.engine, batch["metrics"]), *batch["combinations"]]
        ]
        for batch in batches
    ]
    json.dump(answers, sys.stdout, default=json_date)


if __name__ == "__main__":
    main()
