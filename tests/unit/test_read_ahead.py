"""Which pages a bucket keeps in flight (its guess far ahead), its pages read in a thread
of their own, and the estimate that orders buckets."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from impraise_source.pagination import Page
from impraise_source.read_ahead import BucketProgress, Plan, Scout, read_ahead


def test_items_come_in_order_and_all_of_them():
    assert list(read_ahead((n for n in range(10)), depth=2, name="t")) == list(range(10))


def test_an_error_reaches_the_caller_after_the_items_before_it():
    def failing():
        yield 1
        yield 2
        raise RuntimeError("page 3 failed")

    received = []
    with pytest.raises(RuntimeError, match="page 3 failed"):
        for item in read_ahead(failing(), depth=2, name="t"):
            received.append(item)
    assert received == [1, 2]


def test_the_thread_runs_at_most_depth_items_ahead():
    produced = []

    def counting():
        for n in range(100):
            produced.append(n)
            yield n

    items = read_ahead(counting(), depth=2, name="t")
    assert next(items) == 0
    time.sleep(0.3)
    # Two waiting in the hand-over and one in the thread's hand, besides the one taken.
    assert len(produced) == 4
    items.close()


def test_leaving_early_stops_the_thread_and_closes_the_source():
    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    items = read_ahead(endless(), depth=2, name="impraise-endless")
    assert next(items) == 0
    items.close()
    assert closed.wait(timeout=5)
    time.sleep(0.3)
    assert not [t for t in threading.enumerate() if t.name == "impraise-endless"]


NOW = datetime(2026, 1, 1, tzinfo=UTC)


def page(*created: datetime) -> list[dict]:
    return [{"createdAt": instant.isoformat().replace("+00:00", "Z")} for instant in created]


def test_a_bucket_read_halfway_through_time_has_as_many_pages_left_as_read():
    progress = BucketProgress(NOW.timestamp())
    start = NOW - timedelta(days=400)
    progress.observe(page(start, start + timedelta(days=100)))
    progress.observe(page(start + timedelta(days=100), start + timedelta(days=200)))
    assert progress.pages_left() == pytest.approx(2)


def test_pages_left_is_unknown_until_two_instants_are_seen():
    progress = BucketProgress(NOW.timestamp())
    assert progress.pages_left() == float("inf")
    progress.observe([{"id": "no-dates"}])
    progress.observe(page(NOW - timedelta(days=3), NOW - timedelta(days=3)))
    assert progress.pages_left() == float("inf")


def test_snake_case_creation_times_count_too():
    progress = BucketProgress(NOW.timestamp())
    progress.observe(
        [{"created_at": "2025-01-01T00:00:00Z"}, {"created_at": "2025-07-02T12:00:00Z"}]
    )
    assert progress.pages_left() == pytest.approx(1, rel=0.01)


def _page(index: int, records: int, next_value: object = 0) -> Page:
    return Page(index * 10, [{"id": i} for i in range(records)], 10, 10, next_value)


def test_a_guess_that_comes_back_full_proves_every_page_before_it():
    scout = Scout(depth=6)
    first = scout.plan(0, promised=1)  # page 1 promised: the guess goes past it
    assert first.run == 1 and first.guess is not None
    guessed_page = scout.guess
    scout.learn(_page(guessed_page, 10))
    after = scout.plan(1, promised=1)
    assert after.known >= guessed_page - 2 and after.run == min(guessed_page - 1, 5)


def test_after_a_guess_misses_no_more_guesses_and_a_null_next_ends_the_bucket():
    scout = Scout(depth=6)
    scout.plan(0, promised=1)
    scout.learn(_page(scout.guess, 0))
    assert scout.plan(1, promised=1).guess is None
    assert scout.ends_with(_page(2, 10, next_value=None))
    assert not scout.ends_with(_page(2, 10, next_value=30))


def test_no_guess_beside_a_next_page_nothing_promises_nor_where_the_count_is_exact():
    assert Scout(depth=6).plan(0, promised=0).guess is None
    assert Scout(depth=6).plan(0, promised=3, may_guess=False) == Plan(3, None, 2)
    assert Scout(depth=1).plan(0, promised=1).guess is None
