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
    latency = f"{case['latency_ms']} ms"
    if case.get("jitter_ms"):
        latency += f", jitter {case['jitter_ms']} ms"
    records = f"{case['records']:,}"
    if case.get("answer_rounds", 1) > 1:
        records += f" ({case['answer_rounds']} answer rounds)"
    if case.get("shuffle"):
        records += " (shuffled)"
    return [latency, records]


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
        "tightest window s",
        "median window s",
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
                _num(ours.get("tightest_window_s"), 3),
                _num(ours.get("median_window_s"), 3),
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
        "peak RSS MB in extract / normalize / load",
        "dbt peak RSS MB",
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
                _step_peaks(ours.get("step_peak_rss_mb", {})),
                _num(dbt["peak_rss_mb"], 0) if dbt_ok else MISSING,
                _num(incremental.get("wall_s")),
                _num(incremental.get("over_requests_s")),
            ]
        )
    return _table(headers, rows)


def _step_peaks(peaks: dict[str, float]) -> str:
    return " / ".join(_num(peaks.get(step), 0) for step in ("extract", "normalize", "load"))


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


# One colour per client, one marker and line style per latency, the same in every panel.
COLOURS = {"ours": "C0", "rest_api": "C1", "requests_loop": "C2"}
LATENCY_STYLES = [("o", "-"), ("s", "--"), ("^", ":")]


def _latencies(cases: list[dict[str, Any]]) -> list[int]:
    return sorted({c["latency_ms"] for c in cases}, reverse=True)


def _series(cases: list[dict[str, Any]], latency: int, client: str, field: str) -> list[tuple]:
    """(records, value) points of one client at one latency, by organisation size."""
    points = []
    for case in cases:
        run = case["ours"] if client == "ours" else case.get("peers", {}).get(client, {})
        if case["latency_ms"] == latency and run.get(field) is not None:
            points.append((case["records"], run[field]))
    return sorted(points)


def _plot_by_latency(axes: Any, cases: list[dict[str, Any]], field: str) -> None:
    for (marker, line), latency in zip(LATENCY_STYLES, _latencies(cases), strict=False):
        for client, colour in COLOURS.items():
            points = _series(cases, latency, client, field)
            if points:
                label = "ours" if client == "ours" else PEER_LABELS[client]
                axes.plot(
                    *zip(*points, strict=True),
                    marker=marker,
                    linestyle=line if client == "ours" else "none",
                    color=colour,
                    label=f"{label}, {latency} ms",
                )


def _draw_rates(axes: Any, cases: list[dict[str, Any]]) -> None:
    _plot_by_latency(axes, cases, "requests_per_s")
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
    width = 0.8 / len(COLOURS)
    tallest = 0.0
    for index, (client, colour) in enumerate(COLOURS.items()):
        values = [
            c["ours"]["wall_s"] if client == "ours" else c["peers"][client].get("wall_s", 0)
            for c in with_peers
        ]
        tallest = max(tallest, *values)
        offset = (index - (len(COLOURS) - 1) / 2) * width
        positions = [i + offset for i in range(len(with_peers))]
        label = "ours" if client == "ours" else PEER_LABELS[client]
        bars = axes.bar(positions, values, width, color=colour, label=label)
        axes.bar_label(bars, fmt="%.0f s", fontsize="small")
    for i, case in enumerate(with_peers):
        axes.hlines(
            case["ours"]["bound_s"],
            i - 0.45,
            i + 0.45,
            color="black",
            linewidth=1,
            label="bound" if i == 0 else None,
        )
    axes.set_xticks(
        range(len(with_peers)),
        [f"{c['latency_ms']} ms\n{c['records']:,} records" for c in with_peers],
    )
    axes.set(
        ylim=(0, tallest * 1.3),
        ylabel="wall time of a first full load (s)",
        title="Ours against peers",
    )
    axes.legend(fontsize="small", loc="upper left", ncols=2)


def _draw_memory(axes: Any, cases: list[dict[str, Any]]) -> None:
    _plot_by_latency(axes, cases, "peak_rss_mb")
    peaks = [c["ours"]["peak_rss_mb"] for c in cases]
    axes.axhline(1024, color="black", linewidth=1, label="target (1 GB)")
    axes.set(
        xscale="log",
        ylim=(0, max(1200, *peaks) * 1.1),
        xlabel="records in the organisation",
        ylabel="peak RSS of the process tree (MB)",
        title="Peak memory",
    )
    axes.legend(fontsize="small", loc="upper left")
