"""The benchmark's results as Markdown tables and as one chart (PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after use("Agg"): no display here

RATE_LIMIT = 6
PEER_LABELS = {"rest_api": "dlt rest_api", "requests_loop": "requests loop"}
MISSING = "-"


def markdown_report(results: dict[str, Any]) -> str:
    """Machine, our pipeline (throughput; phases and memory), peers and targets."""
    sections = [
        f"Command: `{results['command']}` ({results['total_minutes']:.0f} minutes), "
        f"started {results['started_at']}.",
        _machine_line(results["machine"]),
        "### Throughput against the bound\n\n" + _throughput_table(results["cases"]),
        "### Phases, memory and the incremental run\n\n" + _phases_table(results["cases"]),
    ]
    peers = _peers_table(results["cases"])
    if peers:
        sections.append("### Peers on the same simulator\n\n" + peers)
    if results.get("targets"):
        sections.append("### Targets\n\n" + _targets_table(results["targets"]))
    return "\n\n".join(sections) + "\n"


def _machine_line(machine: dict[str, Any]) -> str:
    return (
        f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory_gb']} GB RAM, {machine['os']}; Python {machine['python']}, "
        f"dlt {machine['dlt']}, duckdb {machine['duckdb']}, dbt-core {machine['dbt_core']}; "
        f"load average at start {machine['load_average_at_start']}."
    )


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    return MISSING if value is None else f"{value:,.{digits}f}"


def _case_label(case: dict[str, Any]) -> list[str]:
    return [f"{case['latency_ms']} ms", f"{case['records']:,}"]


def _throughput_table(cases: list[dict[str, Any]]) -> str:
    headers = [
        "latency",
        "records",
        "requests",
        "pages",
        "req/s",
        "of bound",
        "rows/s",
        "429s",
        "extract s",
        "bound s",
        "extract ÷ bound",
        "run wall s",
        "wall ÷ bound",
    ]
    rows = []
    for case in cases:
        ours = case["ours"]
        if ours.get("returncode") != 0:
            rows.append(
                [*_case_label(case), f"failed: {ours.get('error', '')}"]
                + [MISSING] * (len(headers) - 3)
            )
            continue
        rows.append(
            [
                *_case_label(case),
                f"{ours['requests']:,}",
                f"{ours['pages']:,}",
                _num(ours["requests_per_s"], 2),
                f"{ours['requests_per_s'] / RATE_LIMIT:.1%}",
                _num(ours["rows_per_s"], 0),
                str(ours["throttled"]),
                _num(ours["steps"].get("extract")),
                _num(ours["bound_s"]),
                _num(ours["extract_vs_bound"], 2),
                _num(ours["wall_s"]),
                _num(ours["wall_vs_bound"], 2),
            ]
        )
    return _table(headers, rows)


def _phases_table(cases: list[dict[str, Any]]) -> str:
    headers = [
        "latency",
        "records",
        "extract s",
        "normalize s",
        "load s",
        "other s",
        "dbt build s",
        "(run + dbt) ÷ bound",
        "peak RSS MB",
        "incremental s",
        "incremental over its requests s",
    ]
    rows = []
    for case in cases:
        ours, dbt, incremental = case["ours"], case.get("dbt", {}), case["incremental"]
        if ours.get("returncode") != 0:
            continue
        steps = ours["steps"]
        dbt_ok = dbt.get("returncode") == 0
        dbt_cell = _num(dbt["wall_s"]) if dbt_ok else ("failed" if dbt else "not run")
        rows.append(
            [
                *_case_label(case),
                _num(steps.get("extract")),
                _num(steps.get("normalize")),
                _num(steps.get("load")),
                _num(ours["other_s"]),
                dbt_cell,
                _num((ours["wall_s"] + dbt["wall_s"]) / ours["bound_s"], 2) if dbt_ok else MISSING,
                _num(ours["peak_rss_mb"], 0),
                _num(incremental.get("wall_s")),
                _num(incremental.get("over_requests_s")),
            ]
        )
    return _table(headers, rows)


def _peers_table(cases: list[dict[str, Any]]) -> str:
    headers = [
        "latency",
        "records",
        "client",
        "run wall s",
        "requests",
        "req/s",
        "429s",
        "peak RSS MB",
        "wall ÷ ours",
        "our req/s ÷ theirs",
    ]
    rows = []
    for case in cases:
        ours = case["ours"]
        if "peers" not in case or ours.get("returncode") != 0:
            continue
        rows.append(
            [
                *_case_label(case),
                "**ours**",
                _num(ours["wall_s"]),
                f"{ours['requests']:,}",
                _num(ours["requests_per_s"], 2),
                str(ours["throttled"]),
                _num(ours["peak_rss_mb"], 0),
                "1",
                "1",
            ]
        )
        for name, peer in case["peers"].items():
            if peer.get("returncode") != 0:
                rows.append(
                    [*_case_label(case), PEER_LABELS[name], f"failed: {peer.get('error', '')}"]
                    + [MISSING] * 6
                )
                continue
            rows.append(
                [
                    *_case_label(case),
                    PEER_LABELS[name],
                    _num(peer["wall_s"]),
                    f"{peer['requests']:,}",
                    _num(peer["requests_per_s"], 2),
                    str(peer["throttled"]),
                    _num(peer["peak_rss_mb"], 0),
                    _num(peer.get("wall_ratio"), 2),
                    _num(peer.get("requests_per_s_ratio"), 2),
                ]
            )
    return _table(headers, rows) if rows else ""


def _targets_table(checks: list[dict[str, Any]]) -> str:
    rows = [[c["target"], c["measured"], "met" if c["met"] else "**not met**"] for c in checks]
    return _table(["target", "measured", "result"], rows)


def draw_chart(results: dict[str, Any], path: Path) -> None:
    """Three panels: req/s against the bound, wall time against peers, peak memory."""
    cases = [c for c in results["cases"] if c["ours"].get("returncode") == 0]
    figure, (rate, walls, memory) = plt.subplots(1, 3, figsize=(16, 5))
    _draw_rates(rate, cases)
    _draw_peers(walls, cases)
    _draw_memory(memory, cases)
    machine = results["machine"]
    figure.suptitle(
        f"impraise-elt against the API's bound of {RATE_LIMIT} requests/s "
        f"({machine['cpus']} CPUs, {machine['memory_gb']} GB, dlt {machine['dlt']})"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _latencies(cases: list[dict[str, Any]]) -> list[int]:
    return sorted({c["latency_ms"] for c in cases}, reverse=True)


def _draw_rates(axes: Any, cases: list[dict[str, Any]]) -> None:
    for latency in _latencies(cases):
        points = sorted(
            (c["records"], c["ours"]["requests_per_s"]) for c in cases if c["latency_ms"] == latency
        )
        axes.plot(*zip(*points, strict=True), marker="o", label=f"ours, {latency} ms")
        for name, label in PEER_LABELS.items():
            peer = [
                (c["records"], c["peers"][name].get("requests_per_s"))
                for c in cases
                if c["latency_ms"] == latency and name in c.get("peers", {})
            ]
            peer = [p for p in peer if p[1] is not None]
            if peer:
                axes.plot(
                    *zip(*peer, strict=True),
                    marker="s",
                    linestyle="none",
                    label=f"{label}, {latency} ms",
                )
    axes.axhline(RATE_LIMIT, color="black", linewidth=1, label="bound (6 req/s)")
    axes.axhline(0.95 * RATE_LIMIT, color="grey", linestyle="--", linewidth=1, label="target (95%)")
    axes.set(
        xscale="log",
        ylim=(0, RATE_LIMIT * 1.15),
        xlabel="records in the organisation",
        ylabel="requests per second (extract step)",
        title="Achieved request rate",
    )
    axes.legend(fontsize="small", loc="lower right")


def _draw_peers(axes: Any, cases: list[dict[str, Any]]) -> None:
    with_peers = [c for c in cases if "peers" in c]
    if not with_peers:
        axes.set_visible(False)
        return
    names = ["ours", *PEER_LABELS]
    width = 0.8 / len(names)
    for index, name in enumerate(names):
        values = [
            c["ours"]["wall_s"] if name == "ours" else c["peers"][name].get("wall_s", 0)
            for c in with_peers
        ]
        positions = [i + (index - (len(names) - 1) / 2) * width for i in range(len(with_peers))]
        bars = axes.bar(positions, values, width, label=PEER_LABELS.get(name, "ours"))
        axes.bar_label(bars, fmt="%.0f s", fontsize="small")
    bounds = [c["ours"]["bound_s"] for c in with_peers]
    for i, bound in enumerate(bounds):
        axes.hlines(
            bound, i - 0.45, i + 0.45, color="black", linewidth=1, label="bound" if i == 0 else None
        )
    axes.set_xticks(
        range(len(with_peers)),
        [f"{c['latency_ms']} ms\n{c['records']:,} records" for c in with_peers],
    )
    axes.set(ylabel="wall time of a first full load (s)", title="Ours against peers")
    axes.legend(fontsize="small")


def _draw_memory(axes: Any, cases: list[dict[str, Any]]) -> None:
    for latency in _latencies(cases):
        points = sorted(
            (c["records"], c["ours"]["peak_rss_mb"]) for c in cases if c["latency_ms"] == latency
        )
        axes.plot(*zip(*points, strict=True), marker="o", label=f"ours, {latency} ms")
    axes.axhline(1024, color="black", linewidth=1, label="target (1 GB)")
    axes.set(
        xscale="log",
        ylim=(0, 1200),
        xlabel="records in the organisation",
        ylabel="peak RSS of the pipeline's process tree (MB)",
        title="Peak memory",
    )
    axes.legend(fontsize="small")
