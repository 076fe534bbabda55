"""The privacy floor of the semantic layer: every metric, by every group-by MetricFlow offers
it, on DuckDB and on PostgreSQL.

For each figure MetricFlow returns, the people behind it are recomputed from the
simulator's records (tests/support/people.py: its giver and receiver, the people in a
rate's denominator, ...), as the README's rule states them. A figure over fewer people
than the floor must be withheld (null); a figure over enough must equal its `unfloored_*`
ingredient, so the floor withholds nothing else. The warehouse is built with the floor
at 3 (tests/support/semantic.py), so the organisation has groups on both sides of it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from tests.support.dbt import Warehouse
from tests.support.people import (
    FLOOR_RULES,
    SURROGATE_ENTITIES,
    UNFLOORED,
    facts_by_model,
    group,
)
from tests.support.semantic import FLOOR, MetricsWarehouse, build_metrics_warehouse

# The group-bys the report combines, beside the ones MetricFlow offers one at a time.
COMBINATIONS = {
    "team_flows": [
        ["team_flow__giver_team_id", "team_flow__receiver_team_id"],
        ["team_flow__giver_department_name", "team_flow__receiver_department_name"],
    ],
    "review_tasks": [["review", "review__review_name", "review__end_at__day"]],
    "team_months": [["team", "team__team_name"]],
}


def sweep(built: MetricsWarehouse) -> dict[str, list[dict]]:
    """{semantic model: [{group_by, rows}, ...]} for every floored metric and its twin."""
    names = {metric["name"] for metric in built.semantic_manifest["metrics"]}
    by_model: dict[str, list[str]] = defaultdict(list)
    for metric, rule in FLOOR_RULES.items():
        by_model[rule.model] += [metric, *({f"unfloored_{metric}"} & names)]
    batches = [
        {"metrics": metrics, "combinations": COMBINATIONS.get(model, [])}
        for model, metrics in by_model.items()
    ]
    answers = built.ask_module("tests.support.mf_sweep", batches, timeout=900)
    return dict(zip(by_model, answers, strict=True))


def check_the_floor(built: MetricsWarehouse) -> Counter:
    """Every figure of every floored metric, by every group-by: problems listed, and the
    figures shown and withheld counted."""
    names = {metric["name"] for metric in built.semantic_manifest["metrics"]}
    exposed = {name for name in names if not name.startswith("unfloored_")}
    assert exposed - set(FLOOR_RULES) == set(UNFLOORED), (
        "metrics without a floor rule in tests/support/people.py: "
        f"{sorted(exposed - set(FLOOR_RULES) - set(UNFLOORED))}"
    )
    facts = facts_by_model(built.records, FLOOR)
    tally: Counter = Counter()
    problems: list[str] = []
    for model, answers in sweep(built).items():
        metrics = [metric for metric, rule in FLOOR_RULES.items() if rule.model == model]
        for answer in answers:
            group_by, rows = answer["group_by"], answer["rows"]
            tally["queries"] += 1
            for metric in metrics:
                rule, twin = FLOOR_RULES[metric], f"unfloored_{metric}"
                if group_by and group_by[0] in SURROGATE_ENTITIES:
                    # a group of one mart row: one person at most, below any floor
                    if any(h != "distinct" for _, h in rule.people.kinds):
                        continue
                    shown = [row for row in rows if row[metric] is not None]
                    problems += [f"{metric} by {group_by}: {row}" for row in shown[:2]]
                    tally["withheld"] += len(rows) - len(shown)
                    continue
                groups = group([f for f in facts[model] if rule.rows(f)], group_by)
                for row in rows:
                    key = tuple(_value(row, name) for name in group_by)
                    people = rule.people.count(groups.get(key, []))
                    value, unfloored = row[metric], row.get(twin)
                    where = f"{metric} by {group_by or 'nothing'} = {key}"
                    if people < FLOOR:
                        if value is not None:
                            problems.append(f"{where}: {value} shown over {people} people")
                        elif unfloored is not None or twin not in row:
                            tally["withheld"] += 1
                    elif twin in row and value != unfloored:
                        problems.append(f"{where}: {value}, not {unfloored}, over {people}")
                    elif twin not in row and value is None:
                        problems.append(f"{where}: withheld over {people} people")
                    elif value is not None:
                        tally["shown"] += 1
    assert not problems, f"{len(problems)} figures break the floor, first:\n" + "\n".join(
        problems[:20]
    )
    # both sides of the floor, or this proves nothing
    assert tally["shown"] > 100 and tally["withheld"] > 100, tally
    return tally


def _value(row: dict, name: str):
    """A group-by's value as the facts hold it: time dimensions as dates."""
    value = row[name]
    if isinstance(value, str) and name.endswith(("__day", "__month")):
        return date.fromisoformat(value[:10])
    return value


def test_the_floor_on_duckdb(duckdb_metrics_warehouse):
    print(dict(check_the_floor(duckdb_metrics_warehouse)))


def test_the_floor_on_postgres(postgres, tmp_path):
    warehouse = Warehouse("postgres", pg_env=postgres.create_database("impraise_floor"))
    print(dict(check_the_floor(build_metrics_warehouse(warehouse, tmp_path))))
