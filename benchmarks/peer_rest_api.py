"""Peer (a): dlt's generic `rest_api` source, configured for the Impraise API.

Run by `run.py` as a subprocess: `peer_rest_api.py BASE_URL DUCKDB_PATH` with the token
in IMPRAISE_BENCH_TOKEN and dlt's working directory in DLT_DATA_DIR. It loads every
bucket the way a careful user of the generic source would (bearer auth, `data`
selector, offset paging at 1000 items, `updatedAt` incremental sent as `after`, merge on
`id`, parquet into DuckDB), then prints one JSON line: requests and statuses as sent
and seen by the client, and dlt's step timings. It has no rate limiter and reads one
page at a time; dlt retries the 429s it gets, honouring Retry-After.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from typing import Any

import dlt
import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.rest_api import rest_api_source
from impraise_simulator import BUCKETS
from requests.adapters import HTTPAdapter

PAGE_SIZE = 1000


class CountingAdapter(HTTPAdapter):
    """Counts the status of every response it receives, retried attempts included."""

    def __init__(self, statuses: Counter[int]) -> None:
        super().__init__()
        self.statuses = statuses

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        self.statuses[response.status_code] += 1
        return response


def counting_session(statuses: Counter[int]) -> requests.Session:
    """dlt's retrying session (what rest_api uses by default), counting every response."""
    session = Client(raise_for_status=False).session
    session.mount("http://", CountingAdapter(statuses))
    return session


def source_config(base_url: str, token: str, session: requests.Session) -> dict[str, Any]:
    """The rest_api configuration: one merge resource per bucket."""
    return {
        "client": {
            "base_url": base_url,
            "auth": {"type": "bearer", "token": token},
            "paginator": {
                "type": "offset",
                "limit": PAGE_SIZE,
                "offset_param": "offset",
                "limit_param": "maxItems",
                # The API reports no total: stop on the first empty page.
                "total_path": None,
                "stop_after_empty_page": True,
            },
            "session": session,
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {
                "data_selector": "data",
                "incremental": {
                    "cursor_path": "updatedAt",
                    "start_param": "after",
                    "initial_value": "1970-01-01T00:00:00Z",
                },
            },
        },
        "resources": [{"name": bucket, "endpoint": {"path": bucket}} for bucket in BUCKETS],
    }


def main(base_url: str, duckdb_path: str) -> None:
    statuses: Counter[int] = Counter()
    session = counting_session(statuses)
    source = rest_api_source(source_config(base_url, os.environ["IMPRAISE_BENCH_TOKEN"], session))
    pipeline = dlt.pipeline(
        pipeline_name="impraise_rest_api_peer",
        destination=dlt.destinations.duckdb(duckdb_path),
        dataset_name="impraise_raw",
    )
    info = pipeline.run(source, loader_file_format="parquet")
    steps = {
        step.step: (step.finished_at - step.started_at).total_seconds()
        for step in pipeline.last_trace.steps
        if step.started_at and step.finished_at
    }
    row_counts = pipeline.last_trace.last_normalize_info.row_counts
    rows = sum(count for table, count in row_counts.items() if table in BUCKETS)
    print(
        json.dumps(
            {
                "requests": sum(statuses.values()),
                "throttled": statuses[429],
                "statuses": {str(code): n for code, n in sorted(statuses.items())},
                "rows": rows,
                "steps": steps,
                "has_failed_jobs": info.has_failed_jobs,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
