"""The page reader against an in-memory API, in every reading of `pagination.next`."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from impraise_source.page_reader import PageReader
from impraise_source.pagination import ASSUMED_READING, Reading, Readings

from tests.unit.fakes import PAGE, FakeApi

STYLES = ["offset", "offset_plus_len", "remaining", "absent", "stuck", "garbage"]
SIZES = [0, 1, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE, 3 * PAGE + 5]


def read(
    api: FakeApi, readings: Readings | None = None, prefetch: int = 3, bucket: str = "b"
) -> list[str]:
    """The ids of every record read, in the order read."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        reader = PageReader(
            api, pool, bucket, f"/{bucket}", {"maxItems": PAGE}, prefetch, readings or Readings()
        )
        return [record["id"] for page in reader.records() for record in page]


def pages_with_data(total: int, size: int = PAGE) -> int:
    """Pages that bring a record not read before, each after the first overlapping the
    one before by a record."""
    return 1 + max(0, -(-(total - size) // (size - 1)))


def learnt(style: str) -> Readings:
    """Readings that already saw a short last page of another bucket in `style`."""
    readings = Readings()
    read(FakeApi(3, style), readings, bucket="other")
    return readings


@pytest.mark.parametrize(("style", "total"), list(itertools.product(STYLES, SIZES)))
@pytest.mark.parametrize("known", [False, True], ids=["first bucket", "reading learnt"])
def test_every_record_once_in_order_and_at_most_one_request_past_the_data(style, total, known):
    api = FakeApi(total, style)
    assert read(api, learnt(style) if known else None) == [r["id"] for r in api.records]
    assert api.past_the_data <= 1
    assert api.requests <= pages_with_data(total) + 1


@pytest.mark.parametrize("style", ["offset", "remaining", "absent"])
def test_a_server_that_caps_its_pages_is_followed_by_the_items_received(style):
    api = FakeApi(47, style, cap=4)
    readings = learnt(style)
    assert read(api, readings) == [r["id"] for r in api.records]
    assert readings.served_page_size == 4
    assert api.past_the_data <= 1


@pytest.mark.parametrize("total", [PAGE + 3, 5 * PAGE - 1, 5 * PAGE, PAGE + 4 * (PAGE - 1)])
def test_a_remaining_count_is_read_without_a_request_past_the_data(total):
    """Only when the last full page ends the data does one more page hold nothing new."""
    api = FakeApi(total, "remaining")
    read(api, learnt("remaining"))
    assert api.past_the_data == (1 if (total - PAGE) % (PAGE - 1) == 0 else 0)


def test_the_pages_after_a_short_page_are_never_requested():
    api = FakeApi(PAGE + 3, "offset_plus_len")
    read(api, learnt("offset_plus_len"))
    assert api.requests == 2 and api.past_the_data == 0


@pytest.mark.parametrize(
    ("style", "most"),
    [("offset", 3), ("remaining", 3), ("offset_plus_len", 1), ("absent", 1)],
)
def test_pages_are_fetched_ahead_only_as_far_as_the_hints_promise_data(style, most):
    """Known reading: null-at-end promises one more page, and a guess far ahead that
    comes back full the pages before it; a remaining count promises all of them (up to
    the prefetch depth either way); the others promise nothing, so one page at a time."""
    api = FakeApi(8 * PAGE + 1, style, delay=0.02)
    read(api, learnt(style), prefetch=3)
    assert api.most_in_flight == most
    assert api.past_the_data <= 1


def test_prefetch_depth_one_reads_strictly_in_sequence():
    api = FakeApi(5 * PAGE, "remaining", delay=0.01)
    read(api, learnt("remaining"), prefetch=1)
    assert api.most_in_flight == 1


@pytest.mark.parametrize(
    ("style", "reading"),
    [
        ("offset", Reading.NEXT_OFFSET),
        ("offset_plus_len", Reading.OFFSET_PLUS_LEN),
        ("remaining", Reading.REMAINING),
        ("absent", Reading.ABSENT),
    ],
)
def test_the_reading_is_learnt_from_a_short_last_page(style, reading):
    readings = learnt(style)
    assert list(readings.detected()) == [reading]
    notice = readings.notice()
    assert (notice is None) == (reading is ASSUMED_READING)
    if notice:
        assert reading.value in notice and "seen on other" in notice


def delete_before(count: int):
    """A move: delete `count` records among those before the requested offset."""

    def move(records, offset):
        del records[max(0, offset - count - 2) : max(0, offset - 2)]

    return move


def change_before(records, offset):
    """A move, as an API ordering by `updatedAt` makes it: a record read before changes
    and jumps to the end."""
    changed = records.pop(max(0, offset - 3))
    records.append({**changed, "updatedAt": f"changed-{len(records)}"})


def insert_before(records, offset):
    records.insert(max(0, offset - 3), {"id": f"new-{offset}", "updatedAt": "new"})


MOVES = {
    "one deleted": delete_before(1),
    "three deleted": delete_before(3),
    "a page deleted": delete_before(PAGE + 2),
    "moved to the end": change_before,
    "inserted": insert_before,
}


@pytest.mark.parametrize("style", STYLES[:4])
@pytest.mark.parametrize("move", list(MOVES))
@pytest.mark.parametrize("prefetch", [1, 3])
def test_records_that_stay_are_read_whatever_moves_meanwhile(style, move, prefetch):
    """Records move under the offset before the 3rd, 5th and 6th requests: every record
    there from start to end is read, at a bounded cost in requests."""
    records = [{"id": f"r{i}", "updatedAt": "old"} for i in range(12 * PAGE)]
    moves = {n: MOVES[move] for n in (3, 5, 6)}
    api = FakeApi(records=records, style=style, moves=moves)
    ids = read(api, learnt(style), prefetch=prefetch)
    stayed = {r["id"] for r in api.records if r["updatedAt"] == "old"}
    assert stayed <= set(ids)
    # A move while reading rewinds may be noticed with the shift before it; one before
    # a page fetched ahead is noticed there too.
    assert 1 <= api.stats.buckets["b"].shifts <= 3 * (1 + (prefetch > 1))
    # Each shift costs a request or two (more when a page's worth moved at once), and
    # the pages already fetched ahead of it.
    per_shift = 4 + prefetch if move == "a page deleted" else 2 + prefetch
    assert api.requests <= pages_with_data(len(api.records)) + 1 + 3 * per_shift


def test_nothing_moving_costs_no_request_more_than_the_overlap():
    api = FakeApi(records=[{"id": f"r{i}", "updatedAt": "t"} for i in range(40 * PAGE)])
    read(api, learnt("offset"))
    assert api.requests <= pages_with_data(40 * PAGE) + 1
    assert "b" not in api.stats.buckets  # no shift, no re-read


def test_a_deleted_anchor_is_found_around_it():
    """The record a page should begin with is itself deleted: reading goes on after the
    one before it."""
    records = [{"id": f"r{i}", "updatedAt": "t"} for i in range(3 * PAGE)]

    def delete_the_anchor(records, offset):
        del records[offset]

    everything = [r["id"] for r in records]
    api = FakeApi(records=records, moves={2: delete_the_anchor})
    assert read(api, learnt("offset"), prefetch=1) == everything
    assert api.stats.buckets["b"].rereads == 1


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("pages", range(0, 16))
def test_guessing_far_ahead_never_costs_more_than_one_request_past_the_data(style, pages):
    """With a deep prefetch the one guess lands far ahead: every size of bucket, around
    every multiple of the page, still reads each record once and misses at most once
    (after a miss, a full last page's null `next` ends the bucket)."""
    for total in (pages * PAGE - 1, pages * PAGE, pages * PAGE + 1):
        if total < 0:
            continue
        api = FakeApi(total, style)
        assert read(api, learnt(style), prefetch=6) == [r["id"] for r in api.records]
        assert api.past_the_data <= 1, total


def test_a_bucket_alone_keeps_more_than_two_pages_in_flight_where_next_promises_one():
    """`next` promises only the page after the one read; guesses that come back full
    prove the pages before them, so a deep prefetch is used, within the budget."""
    api = FakeApi(40 * PAGE + 7, "offset", delay=0.02)
    read(api, learnt("offset"), prefetch=6)
    assert api.most_in_flight >= 3
    assert api.past_the_data <= 1
