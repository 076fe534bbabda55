"""The page reader against an in-memory API, in every reading of `pagination.next`."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from impraise_source.page_reader import PageReader
from impraise_source.pagination import ASSUMED_READING, Page, Reading, Readings

from tests.unit.fakes import PAGE, FakeApi

STYLES = ["offset", "offset_plus_len", "remaining", "absent", "stuck", "garbage"]
SIZES = [0, 1, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE, 3 * PAGE + 5]


def read(
    api: FakeApi, readings: Readings | None = None, prefetch: int = 3, bucket: str = "b"
) -> list[Page]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        reader = PageReader(
            api, pool, bucket, f"/{bucket}", {"maxItems": PAGE}, prefetch, readings or Readings()
        )
        return list(reader.pages())


def learnt(style: str) -> Readings:
    """Readings that already saw a short last page of another bucket in `style`."""
    readings = Readings()
    read(FakeApi(3, style), readings, bucket="other")
    return readings


@pytest.mark.parametrize(("style", "total"), list(itertools.product(STYLES, SIZES)))
@pytest.mark.parametrize("known", [False, True], ids=["first bucket", "reading learnt"])
def test_every_record_once_in_order_and_at_most_one_request_past_the_data(style, total, known):
    api = FakeApi(total, style)
    pages = read(api, learnt(style) if known else None)
    assert [r["id"] for p in pages for r in p.records] == [r["id"] for r in api.records]
    assert api.past_the_data <= 1
    assert api.requests <= max(1, -(-total // PAGE)) + 1


@pytest.mark.parametrize("style", ["offset", "remaining", "absent"])
def test_a_server_that_caps_its_pages_is_followed_by_the_items_received(style):
    api = FakeApi(47, style, cap=4)
    pages = read(api, learnt(style))
    assert [r["id"] for p in pages for r in p.records] == [r["id"] for r in api.records]
    assert {p.page_size for p in pages} == {4}
    assert api.past_the_data <= 1


@pytest.mark.parametrize("total", [PAGE + 3, 5 * PAGE - 1, 5 * PAGE])
def test_a_remaining_count_is_read_without_a_request_past_the_data(total):
    api = FakeApi(total, "remaining")
    read(api, learnt("remaining"))
    assert api.past_the_data == (1 if total % PAGE == 0 else 0)


def test_the_pages_after_a_short_page_are_never_requested():
    api = FakeApi(PAGE + 3, "offset_plus_len")
    read(api, learnt("offset_plus_len"))
    assert api.requests == 2 and api.past_the_data == 0


@pytest.mark.parametrize(
    ("style", "most"),
    [("offset", 2), ("remaining", 3), ("offset_plus_len", 1), ("absent", 1)],
)
def test_pages_are_fetched_ahead_only_as_far_as_the_hints_promise_data(style, most):
    """Known reading: null-at-end promises one more page, a remaining count all of them
    (up to the prefetch depth); the others promise nothing, so one page at a time."""
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
