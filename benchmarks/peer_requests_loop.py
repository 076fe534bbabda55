"""Peer (b): the plain script people write today, one `requests` call after another.

Run by `run.py` as a subprocess: `peer_requests_loop.py BASE_URL DUCKDB_PATH` with the
token in IMPRAISE_BENCH_TOKEN. For every bucket of the root listing it pages with
`maxItems=1000` until `pagination.next` is null, keeps the records in a list, then
writes them to a JSON file and loads it into DuckDB with one `read_json`. Its one
courtesy to the API: on a 429 it sleeps for Retry-After (else one second) and asks
again. Prints one JSON line: requests, 429s, rows and the time of each phase.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import requests

PAGE_SIZE = 1000


class Counters:
    def __init__(self) -> None:
        self.requests = 0
        self.throttled = 0


def get(session: requests.Session, url: str, params: dict[str, Any], counters: Counters) -> Any:
    """GET one document, waiting out 429s."""
    while True:
        counters.requests += 1
        response = session.get(url, params=params, timeout=60)
        if response.status_code != 429:
            response.raise_for_status()
            return response.json()
        counters.throttled += 1
        time.sleep(float(response.headers.get("Retry-After") or 1))


def bucket_names(root: Any) -> list[str]:
    routes = root["routes"] if isinstance(root, dict) else root
    return [str(route).strip("/") for route in routes]


def read_bucket(
    session: requests.Session, base_url: str, bucket: str, counters: Counters
) -> list[dict]:
    records: list[dict] = []
    offset: int | None = 0
    while offset is not None:
        page = get(
            session, f"{base_url}/{bucket}", {"maxItems": PAGE_SIZE, "offset": offset}, counters
        )
        records.extend(page["data"])
        offset = page["pagination"]["next"]
    return records


def main(base_url: str, duckdb_path: str) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"bearer {os.environ['IMPRAISE_BENCH_TOKEN']}"
    counters = Counters()
    started = time.perf_counter()
    data = {
        bucket: read_bucket(session, base_url, bucket, counters)
        for bucket in bucket_names(get(session, base_url, {}, counters))
    }
    extracted = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect(duckdb_path) as connection:
        for bucket, records in data.items():
            path = Path(tmp) / f"{bucket}.json"
            path.write_text("\n".join(json.dumps(record) for record in records))
            connection.execute(
                f"CREATE OR REPLACE TABLE {bucket} AS "
                f"SELECT * FROM read_json('{path}', format = 'newline_delimited')"
            )
    loaded = time.perf_counter()
    print(
        json.dumps(
            {
                "requests": counters.requests,
                "throttled": counters.throttled,
                "rows": sum(len(records) for records in data.values()),
                "steps": {"extract": extracted - started, "load": loaded - extracted},
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
