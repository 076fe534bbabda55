"""Noticing that records shifted under the offset, and finding where reading goes on.

Offsets move with the data. A record deleted while a run pages (or, when the API orders
by `updatedAt`, a record changed, which jumps to the end) moves every later record down
one offset, and a reader that only advances by the items it received skips one record.
So each page after the first is requested one record early: it must begin with the last
record of the page before, the anchor. When it does, nothing before it moved, and the
records after the anchor are exactly the ones still to read.

This holds in any order in which a record keeps its place relative to the others unless
it changes (creation order, `updatedAt` order, an order by id or by a hash of it), when
records are compared by id and `updatedAt`: a record that moved has changed, so it no
longer matches. (An order that reshuffles every record on any change cannot be paged
completely by offsets at all; the count reconciliation after the bucket catches it.)

When a page does not begin with its anchor, the reader rewinds: it reads the page that
ends where the stale page began and goes on after the last record it finds there of the
page read before (any of them: the anchor itself may be the record that was deleted).
One request per shift, more only when a page's worth of records shifted at once; at
offset 0 the reading is anchored by the start itself.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

from dlt.common import json
from dlt.common.utils import digest128

from .pagination import Page
from .schema import CURSOR_FIELD, warehouse_name

Record = dict[str, Any]
# Pages read back to find the place after a shift before reading starts over at 0: a
# shift of more than a page between two requests is rare, and walking back page by page
# to the start would cost as much as starting over, one request at a time.
MAX_REWINDS = 3
# What tells a record from every other, and from its own earlier versions.
Identity = Callable[[Record], Hashable]


def identity_by(id_field: str, cursor_fields: tuple[str, ...]) -> Identity:
    """A record's id and `updatedAt`, the latter under the first of `cursor_fields` the
    record has (the API may spell it `updated_at`)."""

    def identity(record: Record) -> Hashable:
        if not isinstance(record, dict):
            return (repr(record),)
        for name in cursor_fields:
            if name in record:
                return (record.get(id_field), _hashable(record[name]))
        return (record.get(id_field), None)

    return identity


def stored_key(identity: Hashable) -> str:
    """An identity as kept in pipeline state: a digest, so no id leaves the warehouse's
    own rules (the field policy may hash ids)."""
    return digest128(json.dumps(identity))


def served_identity(renamed: dict[str, str]) -> Identity:
    """The identity of a bucket's records as served, its fields renamed by `renamed`
    (the `fields` setting for the bucket: canonical name -> the API's)."""
    cursor = renamed.get(CURSOR_FIELD, CURSOR_FIELD)
    spellings = (cursor, CURSOR_FIELD, warehouse_name(CURSOR_FIELD))
    return identity_by(renamed.get("id", "id"), spellings)


@dataclass(frozen=True)
class Anchor:
    """Where the next page must go on from: the record expected at `offset`."""

    offset: int
    # The key of the last record read, which the next page must begin with.
    last: Hashable | None
    # The keys of the records of the page read last, in order: after a shift, reading
    # goes on after the last of them still found.
    recent: tuple[Hashable, ...]
    key: Identity
    # Pages read back since the last page that went on from its anchor: after
    # `MAX_REWINDS`, reading starts over at offset 0 rather than walking back further.
    rewinds: int = 0
    # Whether `recent` holds `stored_key`s (an anchor found again from state).
    stored: bool = False

    @property
    def rewound(self) -> bool:
        return self.rewinds > 0 or self.stored

    @classmethod
    def after(cls, page: Page, identity: Identity) -> Anchor | None:
        """The anchor the page after `page` must begin with; None when `page` has a
        single record, which cannot overlap the next page and still move on."""
        if len(page.records) < 2:
            return None
        recent = tuple(identity(record) for record in page.records)
        return cls(page.end - 1, recent[-1], recent, identity)

    @classmethod
    def resumed(cls, offset: int, stored: list[str], identity: Identity) -> Anchor:
        """The anchor a failed read left in state (`stored_key`s), found again."""
        return cls(
            offset,
            None,
            tuple(stored),
            lambda record: stored_key(identity(record)),
            stored=True,
        )

    def fresh(self, page: Page) -> list[Record] | None:
        """The records of `page` after the anchor; None when the page does not go on
        from it (records shifted)."""
        if not self.rewound:
            records = page.records
            return records[1:] if records and self.key(records[0]) == self.last else None
        keys = [self.key(record) for record in page.records]
        recent = set(self.recent)
        if page.offset > 0:
            found = [i for i, key in enumerate(keys) if key in recent]
            if not found:
                return None
            start = found[-1] + 1
        else:
            start = 0  # the start of the listing anchors itself
        kept = zip(page.records[start:], keys[start:], strict=True)
        return [record for record, key in kept if key not in recent]

    def rewind(self, page_size: int) -> Anchor:
        """The anchor for the page that ends where this one's page began; offset 0 once
        `MAX_REWINDS` pages back did not find the place."""
        back = self.offset - max(1, page_size - 1) if self.rewinds < MAX_REWINDS else 0
        return replace(self, offset=max(0, back), rewinds=self.rewinds + 1)

    def kept(self, most: int) -> dict[str, Any]:
        """What state keeps to resume here: the offset and the last `most` keys."""
        latest = self.recent[-most:]
        keys = list(latest) if self.stored else [stored_key(key) for key in latest]
        return {"offset": self.offset, "keys": keys}


def _hashable(value: Any) -> Hashable:
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
