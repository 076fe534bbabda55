"""What a page and its `pagination` say, and what a run learns from them."""

from __future__ import annotations

import pytest
from impraise_source.pagination import Page, Reading, Readings, parse_page

from tests.unit.fakes import PAGE


def test_a_full_page_alone_does_not_tell_offset_from_offset_plus_len():
    page = Page(0, [{}] * PAGE, PAGE, PAGE, PAGE)
    assert page.reading() is None
    assert Readings().pages_to_request(page, most=3) == 1


def test_a_remaining_count_says_how_many_pages_follow():
    page = Page(0, [{}] * PAGE, PAGE, PAGE, 25)
    readings = Readings()
    readings.observe("b", page)
    assert page.reading() is Reading.REMAINING
    assert readings.pages_to_request(page, most=5) == 3
    assert readings.pages_to_request(page, most=2) == 2


def test_a_capped_server_is_noticed():
    readings = Readings()
    readings.observe("b", Page(0, [{}] * 4, 4, PAGE, 4))
    assert readings.served_page_size == 4
    assert "at most 4 items a page" in (readings.notice() or "")


@pytest.mark.parametrize("value", [-5, True, "x", 1.5, [1], {"a": 1}])
def test_a_next_that_is_no_count_is_no_hint(value):
    page = Page(0, [{}] * PAGE, PAGE, PAGE, value)
    assert page.reading() is None or page.reading() is Reading.REMAINING
    assert page.next_number() in (None, 1)


@pytest.mark.parametrize("payload", [{"pagination": {}}, [], {"data": "x"}, None])
def test_pages_without_data_are_retried_as_malformed(payload):
    with pytest.raises(ValueError, match="no 'data' list"):
        parse_page(0, payload, PAGE)


@pytest.mark.parametrize(
    ("pagination", "size", "next_value"),
    [
        ({"maxItems": 4, "next": 4}, 4, 4),
        ({"maxItems": 5000}, PAGE, None),
        ({"maxItems": "x", "next": None}, PAGE, None),
        ("not a dict", PAGE, None),
    ],
)
def test_a_page_reads_the_served_size_and_next(pagination, size, next_value):
    page = parse_page(30, {"data": [{}], "pagination": pagination}, PAGE)
    assert (page.offset, page.page_size, page.requested_size) == (30, size, PAGE)
    absent = not isinstance(pagination, dict) or "next" not in pagination
    assert page.reading() is Reading.ABSENT if absent else page.next_value == next_value
