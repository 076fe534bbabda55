"""Counts reconciled after each bucket: the API's against the warehouse's, window by
window of `updatedAt`, reading only the windows that differ.

After a bucket is read, the rows it will hold once loaded are the warehouse's live rows
(raw_view.py), their versions read by this run replaced by what it read. One request
compares that count with the API's (counting.py): when they are equal, that is all it
costs. A window that differs is split in two at the warehouse's median instant, down to
windows of at most half a page of rows, which are read whole and compared id by id:

- a record the API holds and the warehouse lacks was missed: it is read, here;
- a row the API no longer holds in its window may have changed since the run began
  reading the bucket (it moved to a later window) or been deleted. The records changed
  since then (`limit`) are read once (what the next run would read anyway), and the
  rows found in neither are deleted: they get `_deleted_at` (deletions.py).

So one deletion costs about two requests per halving of the bucket down to a leaf, plus
the leaf's page, and one page for what changed since; then the API's count of the
bucket is confirmed with one more small page, for the summary. Only records from
`since` (the start date) on are compared: the run reads nothing older.

A deletion and a record created after the bucket was read leave the counts equal; the
next run, which reads that record, finds the deletion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .counting import count_records, holds_exactly
from .page_reader import PageReader
from .raw_view import RawView, Window
from .settings import Record
from .timestamps import format_instant


@dataclass
class Reconciled:
    """What the reconciliation of one bucket found and cost."""

    api_count: int | None = None
    missed: list[Record] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)


@dataclass
class _Expected:
    """The rows the bucket will hold once this run's records are loaded, by window."""

    view: RawView
    read: dict[str, datetime]  # id -> updatedAt of every record this run read
    replaced: dict[str, datetime]  # id -> updatedAt of the live rows they replace

    def count(self, window: Window) -> int:
        replaced = sum(1 for instant in self.replaced.values() if window.holds(instant))
        read = sum(1 for instant in self.read.values() if window.holds(instant))
        return self.view.count(window) - replaced + read

    def ids(self, window: Window) -> set[str]:
        kept = self.view.ids(window) - set(self.read)
        return kept | {i for i, instant in self.read.items() if window.holds(instant)}


def reconcile(
    reader: Callable[[dict[str, Any]], PageReader],
    view: RawView,
    read: dict[str, datetime],
    limit: datetime,
    since: datetime | None,
    prepare: Callable[[Record], Record],
    page_size: int,
) -> Reconciled:
    """Compare, find what was missed and what was deleted (see the module's docstring).

    `reader(params)` reads the bucket with those parameters; `read` holds the id and
    `updatedAt` of every (prepared) record this run read; `prepare` makes a record as
    served one as loaded.
    """
    outcome = Reconciled()
    expected = _Expected(view, read, view.versions(read))
    sweep = _Sweep(reader, expected, prepare, outcome, max(1, page_size // 2))
    everything = Window(since, None)
    rows = expected.count(everything)
    if sweep.compare(everything, rows):
        outcome.api_count = rows
        return outcome
    if sweep.vanished:
        changed = {
            _id(record) for record in sweep.read_window(Window(max(limit, since or limit), None))
        }
        outcome.deleted = sweep.vanished - changed
    guess = rows - len(outcome.deleted) + len(outcome.missed)
    outcome.api_count = count_records(sweep.fetch_in(everything), guess, page_size)
    return outcome


class _Sweep:
    def __init__(
        self,
        reader: Callable[[dict[str, Any]], PageReader],
        expected: _Expected,
        prepare: Callable[[Record], Record],
        outcome: Reconciled,
        leaf_rows: int,
    ) -> None:
        self._leaf_rows = leaf_rows
        self._reader = reader
        self._expected = expected
        self._prepare = prepare
        self._outcome = outcome
        self.vanished: set[str] = set()

    def compare(self, window: Window, rows: int | None = None) -> bool:
        """Whether the API holds the expected records of `window`; where it does not,
        what differs is found (missed records, vanished rows)."""
        rows = self._expected.count(window) if rows is None else rows
        if holds_exactly(self.fetch_in(window), rows):
            return True
        middle = self._expected.view.split(window, rows) if rows > self._leaf_rows else None
        if middle is None:
            self._compare_ids(window)
        else:
            self.compare(Window(window.after, middle))
            self.compare(Window(middle, window.before))
        return False

    def _compare_ids(self, window: Window) -> None:
        served = {_id(record): record for record in self.read_window(window)}
        expected = self._expected.ids(window)
        self._outcome.missed += [served[i] for i in sorted(set(served) - expected)]
        self.vanished |= expected - set(served)

    def read_window(self, window: Window) -> Iterator[Record]:
        """Every record the API holds in `window`, prepared."""
        for page in self._reader(_params(window)).records():
            yield from (self._prepare(record) for record in page)

    def fetch_in(self, window: Window) -> Callable[[int, int], Any]:
        reader = self._reader(_params(window))
        return lambda offset, max_items: reader.fetch(offset, maxItems=max_items)


def _params(window: Window) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if window.after is not None:
        params["after"] = format_instant(window.after)
    if window.before is not None:
        params["before"] = format_instant(window.before)
    return params


def _id(record: Record) -> str:
    return str(record.get("id"))
