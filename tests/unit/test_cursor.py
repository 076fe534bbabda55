"""One bucket's incremental window: the cursor it saves and the boundary digests it keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from impraise_source.buckets import (
    BOUNDARY_KEY,
    CURSOR_KEY,
    MAX_BOUNDARY_RECORDS,
    RESUME_KEY,
    ReadOptions,
    read_bucket,
)
from impraise_source.errors import BucketFailedError
from impraise_source.pagination import Readings
from impraise_source.routes import Bucket
from impraise_source.timestamps import parse_instant

from tests.unit.fakes import PAGE, FakeApi

BUCKET = Bucket("users", "users")


def record(number: int, updated: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"u{number}", "updatedAt": updated, **fields}


def options(api: FakeApi, **overrides: Any) -> ReadOptions:
    settings = {
        "client": api,
        "pool": None,
        "readings": Readings(),
        "max_items": PAGE,
        "prefetch_pages": 1,
        "cursor_lag": timedelta(0),
        "start_date": None,
        "full_refresh": False,
    }
    return ReadOptions(**{**settings, **overrides})


def run(api: FakeApi, state: dict, **overrides: Any) -> list[str]:
    """One run over the bucket: the ids it yields, in order."""
    pages = read_bucket(BUCKET, options(api, **overrides), state, prepare=lambda r: r)
    return [r["id"] for page in pages for r in page]


def test_the_cursor_is_the_newest_updated_at_with_the_digests_of_its_records():
    api = FakeApi(
        records=[
            record(1, "2025-01-01T00:00:00Z"),
            record(2, "2025-03-01T00:00:00+02:00"),  # the newest instant, twice
            record(3, "2025-02-28T22:00:00.000000Z"),
        ]
    )
    state: dict = {}
    assert run(api, state) == ["u1", "u2", "u3"]
    assert parse_instant(state[CURSOR_KEY]) == datetime(2025, 2, 28, 22, tzinfo=UTC)
    assert len(state[BOUNDARY_KEY]) == 2


def test_a_run_without_changes_yields_nothing_and_leaves_the_state_as_it_was():
    api = FakeApi(records=[record(n, f"2025-01-0{n}T00:00:00Z") for n in range(1, 5)])
    state: dict = {}
    run(api, state)
    saved = dict(state)
    assert run(api, state) == []
    assert state == saved


def test_a_boundary_record_changed_without_moving_updated_at_is_read_again():
    api = FakeApi(records=[record(1, "2025-01-01T00:00:00Z", name="Ann")])
    state: dict = {}
    run(api, state)
    api.records[0]["name"] = "Anne"
    assert run(api, state) == ["u1"]


def test_the_cursor_never_passes_the_run_start_less_the_lag():
    now = datetime.now(UTC)
    api = FakeApi(records=[record(1, (now + timedelta(hours=1)).isoformat())])
    state: dict = {}
    run(api, state, cursor_lag=timedelta(minutes=5))
    cursor = parse_instant(state[CURSOR_KEY])
    assert cursor <= now - timedelta(minutes=5) + timedelta(seconds=1)
    assert BOUNDARY_KEY not in state  # held back: the records at it are not the newest
    assert run(api, state) == ["u1"]  # so the next run reads them again


def test_a_bulk_change_at_one_instant_keeps_no_digests():
    same = "2025-05-05T05:05:05Z"
    api = FakeApi(records=[record(n, same) for n in range(MAX_BOUNDARY_RECORDS + 1)])
    state: dict = {}
    run(api, state, max_items=1000)
    assert BOUNDARY_KEY not in state and state[CURSOR_KEY]


def test_the_next_run_asks_from_the_cursor_and_a_full_refresh_from_the_start_date():
    api = FakeApi(records=[record(1, "2025-01-01T00:00:00Z"), record(2, "2025-06-01T00:00:00Z")])
    state: dict = {}
    run(api, state)
    api.records.append(record(3, "2025-07-01T00:00:00Z"))
    assert run(api, state) == ["u3"]
    start = datetime(2025, 5, 1, tzinfo=UTC)
    assert run(api, state, full_refresh=True, start_date=start) == ["u2", "u3"]


@pytest.mark.parametrize("style", ["offset", "remaining"])
def test_a_failed_bucket_keeps_its_cursor(style):
    class Failing(FakeApi):
        def get_json(self, path, params, bucket, offset, parse, priority=None):
            if offset > 0:
                raise BucketFailedError(bucket, offset, "HTTP 503")
            return super().get_json(path, params, bucket, offset, parse, priority)

    api = Failing(records=[record(n, f"2025-01-{n:02d}T00:00:00Z") for n in range(1, 25)])
    api.style = style
    state: dict = {"cursor": "2024-12-01T00:00:00.000000Z"}
    assert len(run(api, state)) == PAGE
    assert state[CURSOR_KEY] == "2024-12-01T00:00:00.000000Z" and BOUNDARY_KEY not in state
    assert state[RESUME_KEY]["offset"] == PAGE - 1
    assert "HTTP 503" in api.stats.failures["users"]


@pytest.mark.parametrize("moved", [0, 1, 3], ids=["unchanged", "one deleted", "three deleted"])
def test_a_failed_bucket_goes_on_next_run_from_where_it_stopped(moved):
    """The records it read were loaded: the next run reads the rest, finds its place
    again when records before it were deleted meanwhile, and only then moves the cursor,
    no later than the failed run's start."""

    class FailingOnce(FakeApi):
        failing = True

        def get_json(self, path, params, bucket, offset, parse, priority=None):
            if self.failing and offset > 2 * PAGE:
                raise BucketFailedError(bucket, offset, "HTTP 503")
            return super().get_json(path, params, bucket, offset, parse, priority)

    api = FailingOnce(records=[record(n, f"2025-01-01T00:{n:02d}:00Z") for n in range(45)])
    state: dict = {}
    before = datetime.now(UTC)
    first = run(api, state)
    # Pages at 0, 9 and 18 (each overlaps the one before by a record); 27 fails.
    assert first == [f"u{n}" for n in range(3 * PAGE - 2)] and CURSOR_KEY not in state
    del api.records[1 : 1 + moved]
    api.failing, api.requests = False, 0
    offsets = []
    api.moves = {n: (lambda _records, offset: offsets.append(offset)) for n in range(1, 9)}
    second = run(api, state)
    assert {r["id"] for r in api.records} <= set(first) | set(second)
    assert offsets[0] == 3 * PAGE - 3  # where the first run stopped, not offset 0
    assert api.requests <= 5
    assert RESUME_KEY not in state
    assert before <= parse_instant(state[CURSOR_KEY]) <= datetime.now(UTC) or (
        parse_instant(state[CURSOR_KEY]) == parse_instant(api.records[-1]["updatedAt"])
    )


def test_a_resumed_read_that_fails_at_once_keeps_its_resume_point():
    """A failure before the first page after resuming leaves the place as it was found,
    not a digest of its digests (which would send the next run back to offset 0)."""

    class Failing(FakeApi):
        fail_from = 2 * PAGE

        def get_json(self, path, params, bucket, offset, parse, priority=None):
            if offset >= self.fail_from:
                raise BucketFailedError(bucket, offset, "HTTP 503")
            return super().get_json(path, params, bucket, offset, parse, priority)

    api = Failing(records=[record(n, f"2025-01-01T00:{n:02d}:00Z") for n in range(45)])
    state: dict = {}
    run(api, state)
    kept = dict(state[RESUME_KEY])
    api.fail_from = 0
    assert run(api, state) == []
    assert state[RESUME_KEY] == kept
    api.fail_from, api.requests = 10**6, 0
    offsets = []
    api.moves = {1: lambda _records, offset: offsets.append(offset)}
    run(api, state)
    assert offsets == [kept["offset"]]
