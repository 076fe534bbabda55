"""Requests and time per reading of `pagination`, against the fewest that could do.

    .venv/bin/python benchmarks/paging.py [--users 1000] [--latency-ms 400]

For each way the live API may write `pagination.next` (and a server that caps its pages
below what is asked), the simulator serves one organisation in this process, at the
API's 6 requests/s, and the real command line loads it twice: a first full load, then,
after changes (a few users, and one field added to every feedback item), an incremental
load. Per run it prints the requests made, the requests that held data, the minimum (one
request per page that holds data, one for each bucket with none, and the root listing)
and the wall time. The budget allows one request per bucket beyond the minimum.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections import Counter
from pathlib import Path

from impraise_simulator import Organisation, SimulatorServer, Switches
from processes import PYTHON, REPO_ROOT, clean_env, measure

CLI = REPO_ROOT / "pipelines" / "impraise.py"
RATE_LIMIT = 6
READINGS = {
    "offset": {},  # the next page's offset, null at the end: the assumed reading
    "offset_plus_len": {"next_style": "offset_plus_len"},
    "remaining": {"next_style": "remaining"},
    "absent": {"next_style": "absent"},
    "capped": {"max_page": 250},  # the server serves at most 250 items a page
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=400)
    parser.add_argument("--readings", default=",".join(READINGS), help="comma-separated")
    args = parser.parse_args()
    header = (
        "| reading | load | requests | with data | minimum | over minimum | buckets "
        "| seconds | req/s |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for name in args.readings.split(","):
        switches = READINGS[name]
        org = Organisation.generate(users=args.users, seed=1)
        token = secrets.token_urlsafe(16)
        server = SimulatorServer(
            org,
            token=token,
            switches=Switches(rate_limit=RATE_LIMIT, latency_ms=args.latency_ms, **switches),
        )
        with server, tempfile.TemporaryDirectory(prefix="impraise-paging-") as tmp:
            for load in ("full", "incremental"):
                server.clear_log()
                started = time.perf_counter()
                env = _env(server, token, Path(tmp))
                run = measure([str(PYTHON), str(CLI)], env, Path(tmp), load)
                seconds = time.perf_counter() - started
                if not run.ok:
                    print(f"| {name} | {load} | failed: {run.stderr.strip()[-200:]} |")
                    break
                print(_row(name, load, server.request_log, len(org.buckets), seconds))
                org.mutate_users(5, seed=1)
                org.add_field("feedback", f"drift_{load}", lambda record: 1)


def _env(server: SimulatorServer, token: str, workdir: Path) -> dict[str, str]:
    return clean_env(
        {
            "SOURCES__IMPRAISE__API_TOKEN": token,
            "SOURCES__IMPRAISE__BASE_URL": server.url,
            "SOURCES__IMPRAISE__REQUESTS_PER_SECOND": str(RATE_LIMIT),
            "IMPRAISE_DUCKDB_PATH": str(workdir / "bench.duckdb"),
            "DLT_DATA_DIR": str(workdir / "dlt"),
        }
    )


def _row(name: str, load: str, log: list, buckets: int, seconds: float) -> str:
    pages = [entry for entry in log if entry.bucket]
    with_data = Counter(entry.bucket for entry in pages if entry.records)
    minimum = sum(with_data.values()) + (buckets - len(with_data)) + 1
    requests = len(log)
    per_bucket = Counter(entry.bucket for entry in pages)
    worst = max((per_bucket[b] - with_data[b] for b in per_bucket), default=0)
    return (
        f"| {name} | {load} | {requests} | {sum(with_data.values())} | {minimum} "
        f"| {requests - minimum} | at most {worst} past the data | {seconds:.1f} "
        f"| {requests / seconds:.2f} |"
    )


if __name__ == "__main__":
    main()
