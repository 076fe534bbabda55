"""Benchmark the Impraise pipeline against the API's rate-limit bound, and against peers.

    make bench                 # the full benchmark (~40 minutes)
    make bench ARGS=--quick    # a small smoke run (~2 minutes)

(`make bench` installs the project's `bench` extra, psutil and matplotlib, on first use;
it then runs `.venv/bin/python benchmarks/run.py $ARGS`.)

For every organisation size and API latency it starts the project's simulator as a
separate process (6 requests/s, like the real API), then runs the real command line,
`pipelines/impraise.py`, as a subprocess: a first full load, `dbt build` on the result,
and a second, incremental run that finds no changes. On one mid-size organisation it
also runs two peers on the same simulator: dlt's generic `rest_api` source and a plain
sequential `requests` loop. Results go to benchmarks/results/<timestamp>.json (and .md),
the chart to docs/benchmarks.png. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dlt
import psutil
from processes import PYTHON, REPO_ROOT, Measured, Simulator, clean_env, measure, pipeline_env
from report import draw_chart, markdown_report

# The API's contract: requests per second, and records per page at most.
RATE_LIMIT = 6
PAGE_SIZE = 1000
PIPELINE_NAME = "impraise"
CLI = REPO_ROOT / "pipelines" / "impraise.py"
BIN = PYTHON.parent
PEERS = {
    "rest_api": REPO_ROOT / "benchmarks" / "peer_rest_api.py",
    "requests_loop": REPO_ROOT / "benchmarks" / "peer_requests_loop.py",
}
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
CHART = REPO_ROOT / "docs" / "benchmarks.png"
MB = 1024 * 1024

_SUMMARY_HEADER = re.compile(r"^bucket\s+rows\s+pages\s+requests\s+retries\s+429s\s+seconds")


# What a full run and a --quick run measure, unless flags say otherwise.
FULL = {
    "sizes": [1000, 10000, 100000],
    "latencies": [400, 100],
    "max_users": ["100=10000"],
    "peer_users": 10000,
}
QUICK = {"sizes": [300, 1000], "latencies": [400], "max_users": [], "peer_users": 300}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=_ints,
        help="organisation sizes in simulator users, comma-separated, about 50 records each "
        "(default 1000,10000,100000; quick 300,1000)",
    )
    parser.add_argument(
        "--latencies",
        type=_ints,
        help="simulated API latencies in ms, comma-separated (default 400,100; quick 400)",
    )
    parser.add_argument(
        "--max-users",
        action="append",
        metavar="LATENCY=USERS",
        help="at this latency run only sizes up to USERS (repeatable; default 100=10000, "
        "which skips the largest organisation at 100 ms to save time)",
    )
    parser.add_argument(
        "--peer-users",
        type=int,
        help="organisation size on which the peers run, at every latency "
        "(default 10000; quick 300)",
    )
    parser.add_argument(
        "--jitter-ms",
        type=_ints,
        default=[0],
        help="requests reach the simulator's rate limit late by a random 0 to J ms, as over "
        "a real network; comma-separated, each J a round of its own (default 0)",
    )
    parser.add_argument(
        "--answer-rounds",
        type=int,
        default=1,
        metavar="N",
        help="review questionnaires N times longer, so that one bucket dominates every "
        "organisation (3: review answers hold 71%% of the pages; default 1: 45%%)",
    )
    parser.add_argument(
        "--shuffle",
        action="store_true",
        help="the simulator serves each bucket's records in an arbitrary (stable) order",
    )
    parser.add_argument("--no-peers", action="store_true", help="benchmark our pipeline only")
    parser.add_argument("--no-dbt", action="store_true", help="skip the dbt build phase")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="VAR=VALUE",
        help="extra environment for our pipeline, e.g. NORMALIZE__WORKERS=1 (repeatable)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of every phase on small organisations"
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="RESULTS",
        help="measure nothing: print the tables and redraw the chart of a saved results file",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        help=f"where to draw the chart (default {CHART.relative_to(REPO_ROOT)}; with --quick, "
        "beside the results)",
    )
    args = parser.parse_args(argv)
    for name, default in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def _ints(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def plan(args: argparse.Namespace) -> list[tuple[int, int, int]]:
    """The (latency, users, jitter) cases to run, largest latency first."""
    caps = dict(tuple(map(int, item.split("=", 1))) for item in args.max_users)
    sizes = sorted(set(args.sizes) | (set() if args.no_peers else {args.peer_users}))
    return [
        (latency, users, jitter)
        for jitter in args.jitter_ms
        for latency in sorted(args.latencies, reverse=True)
        for users in sizes
        if users <= caps.get(latency, users)
    ]


def machine() -> dict[str, Any]:
    """Where the figures come from."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "dlt": version("dlt"),
        "duckdb": version("duckdb"),
        "dbt_core": version("dbt-core"),
        "load_average_at_start": [round(x, 2) for x in psutil.getloadavg()],
    }


def parse_summary(stdout: str) -> dict[str, dict[str, Any]]:
    """The per-bucket table the CLI prints: {bucket: {rows, pages, requests, ...}}, read
    by its header, so a column added to it is read too (unknown values: None)."""
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if _SUMMARY_HEADER.match(line)), None)
    if start is None:
        return {}
    names = ["throttled" if name == "429s" else name for name in lines[start].split()]
    table = {}
    for line in lines[start + 1 :]:
        cells = line.split()
        if len(cells) != len(names):
            break
        row = dict(zip(names, cells, strict=True))
        name = row.pop("bucket")
        table[name] = {key: _summary_value(key, value) for key, value in row.items()}
    return table


def _summary_value(key: str, value: str) -> Any:
    if key == "result":
        return value
    if value == "-":
        return None
    return float(value) if key == "seconds" else int(value)


def step_windows(pipelines_dir: Path, pipeline_name: str) -> dict[str, tuple[float, float]]:
    """When each step (extract, normalize, load) of the pipeline's last run began and ended,
    as time.time() instants, from the trace dlt keeps in its working directory."""
    pipeline = dlt.attach(pipeline_name=pipeline_name, pipelines_dir=str(pipelines_dir))
    trace = pipeline.last_trace
    if trace is None:
        return {}
    return {
        step.step: (step.started_at.timestamp(), step.finished_at.timestamp())
        for step in trace.steps
        if step.started_at and step.finished_at and step.step != "run"
    }


def bound_seconds(bucket_rows: dict[str, int]) -> float:
    """The fastest any client could read these buckets: every page at 6 per second.

    One request per started page of 1000 (an empty bucket still costs one), plus the root.
    """
    pages = sum(max(1, math.ceil(rows / PAGE_SIZE)) for rows in bucket_rows.values()) + 1
    return pages / RATE_LIMIT


def run_ours(
    simulator: Simulator, workdir: Path, token: str, extra_env: dict[str, str], name: str
) -> dict[str, Any]:
    """One run of our CLI against `simulator`; the pipeline state lives in `workdir`."""
    env = pipeline_env(simulator.url, token, workdir, RATE_LIMIT) | extra_env
    cpu_before, arrivals_before = simulator.cpu_seconds(), simulator.arrivals_mark()
    run = measure([str(PYTHON), str(CLI)], env, workdir, name)
    result = _process_figures(run)
    result["simulator_cpu_s"] = round(simulator.cpu_seconds() - cpu_before, 1)
    # Seven arrivals closer than a second make a 429: the margin the server saw.
    windows = simulator.windows(arrivals_before, RATE_LIMIT + 1)
    if windows:
        result["tightest_window_s"] = windows[0]
        result["median_window_s"] = windows[len(windows) // 2]
    if not run.ok:
        result["error"] = _tail(run.stderr or run.stdout)
        return result
    summary = parse_summary(run.stdout)
    total = summary.pop("total", {})
    windows = step_windows(workdir / "dlt" / "pipelines", PIPELINE_NAME)
    steps = {step: end - start for step, (start, end) in windows.items()}
    extract = steps.get("extract") or run.seconds
    bound = bound_seconds({bucket: row["rows"] for bucket, row in summary.items()})
    result.update(
        rows=total.get("rows", 0),
        requests=total.get("requests", 0),
        pages=total.get("pages", 0),
        retries=total.get("retries", 0),
        throttled=total.get("throttled", 0),
        buckets=summary,
        steps=steps,
        step_peak_rss_mb={
            step: run.peak_rss_between(start, end) / MB for step, (start, end) in windows.items()
        },
        # Interpreter start, imports, the root request, state and the trace, exit.
        other_s=round(run.seconds - sum(steps.values()), 2),
        requests_per_s=total.get("requests", 0) / extract,
        rows_per_s=total.get("rows", 0) / extract,
        bound_s=bound,
        extract_vs_bound=extract / bound,
        wall_vs_bound=run.seconds / bound,
    )
    return result


def run_dbt(workdir: Path) -> dict[str, Any]:
    """`dbt build` on the run's warehouse; its target and logs stay in `workdir`."""
    env = clean_env(
        {
            "DBT_PROJECT_DIR": "dbt_project",
            "DBT_PROFILES_DIR": "profiles",
            "DBT_TARGET_PATH": str(workdir / "dbt_target"),
            "DBT_LOG_PATH": str(workdir / "dbt_logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_USE_COLORS": "false",
            "IMPRAISE_DUCKDB_PATH": str(workdir / "bench.duckdb"),
        }
    )
    run = measure([str(BIN / "dbt"), "build"], env, workdir, "dbt-build")
    result = _process_figures(run)
    if not run.ok:
        result["error"] = _tail(run.stdout + run.stderr, lines=8)
    return result


def run_peer(
    name: str, simulator: Simulator, workdir: Path, token: str, ours: dict[str, Any]
) -> dict[str, Any]:
    """One peer's first full load on `simulator`, with its ratios to ours."""
    env = clean_env({"IMPRAISE_BENCH_TOKEN": token, "DLT_DATA_DIR": str(workdir / "dlt")})
    command = [str(PYTHON), str(PEERS[name]), simulator.url, str(workdir / f"{name}.duckdb")]
    cpu_before = simulator.cpu_seconds()
    run = measure(command, env, workdir, name)
    result = _process_figures(run)
    result["simulator_cpu_s"] = round(simulator.cpu_seconds() - cpu_before, 1)
    if not run.ok:
        result["error"] = _tail(run.stderr or run.stdout)
        return result
    result.update(json.loads(run.stdout.strip().splitlines()[-1]))
    extract = result["steps"].get("extract") or run.seconds
    result["requests_per_s"] = result["requests"] / extract
    result["rows_per_s"] = result["rows"] / extract
    if ours.get("returncode") == 0:
        result["wall_ratio"] = run.seconds / ours["wall_s"]
        result["requests_per_s_ratio"] = ours["requests_per_s"] / result["requests_per_s"]
    return result


def run_case(latency: int, users: int, jitter: int, args: argparse.Namespace) -> dict[str, Any]:
    """Everything measured on one organisation at one latency and jitter, on one simulator."""
    token = secrets.token_urlsafe(24)
    extra_env = dict(item.split("=", 1) for item in args.set)
    workdir = Path(tempfile.mkdtemp(prefix=f"impraise-bench-{users}-{latency}ms-"))
    # Other work on the machine skews timings: keep a note of how busy it was.
    case: dict[str, Any] = {
        "users": users,
        "latency_ms": latency,
        "jitter_ms": jitter,
        "answer_rounds": args.answer_rounds,
        "shuffle": args.shuffle,
        "load_average": [round(x, 2) for x in psutil.getloadavg()],
    }
    try:
        _log(f"{latency} ms, jitter {jitter} ms, {users} users: generating the organisation")
        simulator = Simulator(
            users,
            latency,
            token,
            workdir,
            jitter_ms=jitter,
            answer_rounds=args.answer_rounds,
            shuffle=args.shuffle,
        )
        with simulator:
            case.update(
                records=simulator.records,
                simulator_startup_s=simulator.startup_seconds,
                simulator_niceness=simulator.niceness,
            )
            _log(f"  {simulator.records} records, ready in {simulator.startup_seconds:.0f} s")
            ours = case["ours"] = run_ours(simulator, workdir, token, extra_env, "first-run")
            _log(f"  our first run: {_brief(ours)}")
            if not args.no_dbt and ours.get("returncode") == 0:
                case["dbt"] = run_dbt(workdir)
                _log(f"  dbt build: {_brief(case['dbt'])}")
            incremental = run_ours(simulator, workdir, token, extra_env, "incremental-run")
            if incremental.get("returncode") == 0:
                incremental["over_requests_s"] = (
                    incremental["wall_s"] - incremental["requests"] / RATE_LIMIT
                )
            case["incremental"] = incremental
            _log(f"  incremental run: {_brief(incremental)}")
            if not args.no_peers and users == args.peer_users:
                case["peers"] = {}
                for name in PEERS:
                    case["peers"][name] = run_peer(name, simulator, workdir, token, ours)
                    _log(f"  peer {name}: {_brief(case['peers'][name])}")
            case["simulator_rss_mb"] = simulator.rss_bytes() / MB
            # Other work on the machine skews timings: how busy it was over the case.
            case["load_average_at_end"] = [round(x, 2) for x in psutil.getloadavg()]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return case


def targets(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    ok = [c for c in cases if c["ours"].get("returncode") == 0]
    if not ok:
        return []
    largest = max(ok, key=lambda c: (c["records"], c["latency_ms"]))
    steady = [c for c in ok if not c.get("jitter_ms")]
    jittered = [c for c in ok if c.get("jitter_ms")]
    checks = [
        _rate_check(steady),
        _throttle_check(steady) if steady else None,
        *_jitter_checks(jittered),
        _end_to_end_check(largest),
        *_memory_checks(ok, largest),
        _incremental_check(ok),
    ]
    return [check for check in checks if check]


def _rate_check(ok: list[dict[str, Any]]) -> dict[str, Any] | None:
    rates = [c["ours"]["requests_per_s"] for c in ok if c["latency_ms"] == 400]
    if not rates:
        return None
    worst = min(rates)
    return _check(
        "≥ 95% of the bound (5.7 req/s) at 400 ms",
        f"{worst:.2f} req/s (slowest 400 ms run)",
        worst >= 0.95 * RATE_LIMIT,
    )


def _jitter_checks(jittered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """With arrivals late by up to J: ≥ 97% of 6 / (1 + J) req/s, the fastest rate at which
    no 429 can happen, and at most one 429 in a run."""
    checks = []
    for jitter in sorted({c["jitter_ms"] for c in jittered}):
        cases = [c for c in jittered if c["jitter_ms"] == jitter]
        limit = RATE_LIMIT / (1 + jitter / 1000)
        worst = min(c["ours"]["requests_per_s"] for c in cases)
        most = max(c["ours"]["throttled"] for c in cases)
        checks += [
            _check(
                f"jitter {jitter} ms: ≥ 97% of 6/(1+J) = {limit:.2f} req/s",
                f"{worst:.2f} req/s, {worst / limit:.1%} (slowest of {len(cases)} runs)",
                worst >= 0.97 * limit,
            ),
            _check(
                f"jitter {jitter} ms: at most one 429 in a run",
                f"{most} (most in one of {len(cases)} runs)",
                most <= 1,
            ),
        ]
    return checks


def _throttle_check(ok: list[dict[str, Any]]) -> dict[str, Any]:
    runs = [c["ours"] for c in ok] + [
        c["incremental"] for c in ok if "throttled" in c["incremental"]
    ]
    throttled = sum(run["throttled"] for run in runs)
    return _check("no 429s", f"{throttled} in {len(runs)} runs of ours", throttled == 0)


def _end_to_end_check(largest: dict[str, Any]) -> dict[str, Any]:
    target = "run + dbt build ≤ 1.25x the bound (largest organisation)"
    if "dbt" not in largest:
        return _check(target, "dbt build not run", False)
    dbt = largest["dbt"]
    if dbt.get("returncode") != 0:
        return _check(target, "dbt build did not succeed", False)
    ratio = (largest["ours"]["wall_s"] + dbt["wall_s"]) / largest["ours"]["bound_s"]
    return _check(target, f"{ratio:.2f}x at {largest['records']:,} records", ratio <= 1.25)


def _memory_checks(ok: list[dict[str, Any]], largest: dict[str, Any]) -> list[dict[str, Any]]:
    """At most 1 GB, and flat: the largest organisation's peak against the next size down.

    The next size down, not the smallest: below about half a million records DuckDB's
    buffers have not yet filled to its memory limit, so a tiny organisation's peak says
    how much a small load needs, not whether memory grows with size.
    """
    series = sorted(
        (
            c
            for c in ok
            if (c["latency_ms"], c.get("jitter_ms"))
            == (largest["latency_ms"], largest.get("jitter_ms"))
        ),
        key=lambda c: c["records"],
    )
    peaks = [c["ours"]["peak_rss_mb"] for c in series]
    growth = (
        " → ".join(f"{peak:.0f}" for peak in peaks)
        + " MB at "
        + " → ".join(f"{c['records']:,}" for c in series)
        + " records"
    )
    checks = [
        _check(
            "peak memory ≤ 1 GB (largest organisation)", f"{peaks[-1]:.0f} MB", peaks[-1] <= 1024
        )
    ]
    if len(peaks) > 1:
        ratio = peaks[-1] / peaks[-2]
        checks.append(
            _check(
                "peak memory flat in size (largest ≤ 1.5x the next size down)",
                f"{growth}: {ratio:.2f}x over the last step",
                ratio <= 1.5,
            )
        )
    return checks


def _incremental_check(ok: list[dict[str, Any]]) -> dict[str, Any]:
    target = "incremental run with no changes ≤ 3 s over its requests"
    overheads = [c["incremental"].get("over_requests_s") for c in ok]
    if None in overheads:
        return _check(target, "an incremental run failed", False)
    return _check(target, f"{max(overheads):.1f} s (worst)", max(overheads) <= 3)


def _check(target: str, measured: str, met: bool) -> dict[str, Any]:
    return {"target": target, "measured": measured, "met": met}


def _process_figures(run: Measured) -> dict[str, Any]:
    return {
        "returncode": run.returncode,
        "wall_s": run.seconds,
        "peak_rss_mb": run.peak_rss_bytes / MB,
    }


def _brief(result: dict[str, Any]) -> str:
    text = f"{result['wall_s']:.1f} s, peak {result['peak_rss_mb']:.0f} MB"
    if "requests_per_s" in result:
        text += f", {result['requests']} requests at {result['requests_per_s']:.2f}/s"
    if result.get("tightest_window_s"):
        text += (
            f", {RATE_LIMIT + 1}-request windows {result['tightest_window_s']:.3f} s tightest, "
            f"{result['median_window_s']:.3f} s median"
        )
    if result.get("throttled"):
        text += f", {result['throttled']} 429s"
    if "error" in result:
        text += f", FAILED (exit {result['returncode']}): {result['error']}"
    return text


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        # Judged again, so a saved run is read against the checks as they are now.
        results["targets"] = targets(results["cases"])
        draw_chart(results, args.chart or CHART)
        print(markdown_report(results))
        return 0
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "benchmarks/run.py", *sys.argv[1:]]),
        "machine": machine(),
        "cases": [],
    }
    _log(f"machine: {results['machine']}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = RESULTS_DIR / f"{started:%Y%m%dT%H%M%S}{'-quick' if args.quick else ''}"
    clock = time.perf_counter()
    for latency, users, jitter in plan(args):
        results["cases"].append(run_case(latency, users, jitter, args))
        # Saved after every case, so a long run that breaks off keeps what it measured.
        results["total_minutes"] = (time.perf_counter() - clock) / 60
        stem.with_suffix(".json").write_text(json.dumps(results, indent=2))
    results["targets"] = targets(results["cases"])
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2))
    report = markdown_report(results)
    stem.with_suffix(".md").write_text(report)
    chart = args.chart or (stem.with_suffix(".png") if args.quick else CHART)
    draw_chart(results, chart)
    print(report)
    _log(f"results: {stem}.json, chart: {chart}")
    return 0 if all(c["ours"].get("returncode") == 0 for c in results["cases"]) else 1


if __name__ == "__main__":
    sys.exit(main())
