"""One bucket's records, stored compactly and selectable by updatedAt window.

Millions of records must fit in memory and pages must be cheap, so a bucket keeps
parallel columns in creation order (id, encoded JSON, updatedAt instant) instead of
dicts, and an index of positions sorted by updatedAt. A filtered selection is computed
once from that index (bisect, then sort the matching positions back into creation order)
and cached, so paging through it costs a slice; single-record changes keep the cached
selections current instead of throwing them away. Not thread-safe: the Organisation
serialises access.
"""

from __future__ import annotations

import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

# A handful of distinct windows are in use at any time (one per run and bucket);
# each cached selection of a large bucket costs 8 bytes per record.
_CACHED_SELECTIONS = 16


@dataclass(frozen=True)
class Window:
    """An updatedAt filter: `after` (inclusive unless `after_exclusive`), `before` (exclusive)."""

    after: int | None = None
    before: int | None = None
    after_exclusive: bool = False

    def contains(self, updated: int) -> bool:
        if self.after is not None and (
            updated <= self.after if self.after_exclusive else updated < self.after
        ):
            return False
        return self.before is None or updated < self.before


@dataclass(frozen=True)
class _SelectionKey:
    window: Window
    shuffle_seed: str | None
    by_updated: bool = False

    @property
    def moves_on_change(self) -> bool:
        """Whether a record's place in the selection depends on more than its creation:
        such selections are computed again after a change."""
        return self.shuffle_seed is not None or self.by_updated


class BucketStore:
    """Records of one bucket in creation order: ids, encoded bodies, updatedAt instants."""

    def __init__(self, ids: list[str], bodies: list[bytes], updated: Sequence[int]) -> None:
        self.ids = ids
        self.bodies = bodies
        self.updated = array("q", updated)
        self._rebuild()

    def __len__(self) -> int:
        return len(self.ids)

    def copy(self) -> BucketStore:
        """An independent store; the encoded bodies are immutable, so they are shared."""
        return BucketStore(list(self.ids), list(self.bodies), self.updated)

    def position(self, record_id: str) -> int:
        """The creation-order position of a record; KeyError when it does not exist."""
        return self._id_positions()[record_id]

    def append(self, record_id: str, body: bytes, updated: int) -> None:
        positions = self._id_positions()
        if record_id in positions:
            raise ValueError(f"a record with id {record_id!r} already exists")
        position = len(self.ids)
        self.ids.append(record_id)
        self.bodies.append(body)
        self.updated.append(updated)
        positions[record_id] = position
        self._index_insert(updated, position)
        for key, selection in list(self._selections.items()):
            if key.window.contains(updated):
                if not key.moves_on_change:
                    selection.append(position)  # the newest position sorts last
                else:
                    del self._selections[key]

    def replace(self, position: int, body: bytes, updated: int) -> None:
        old = self.updated[position]
        self.bodies[position] = body
        self.updated[position] = updated
        self._index_remove(old, position)
        self._index_insert(updated, position)
        for key, selection in list(self._selections.items()):
            was_in, is_in = key.window.contains(old), key.window.contains(updated)
            if key.by_updated and (was_in or is_in):
                del self._selections[key]  # the record moves to its new updatedAt's place
                continue
            if was_in == is_in:
                continue
            if key.shuffle_seed is not None:
                del self._selections[key]
            elif is_in:
                selection.insert(bisect_left(selection, position), position)
            else:
                del selection[bisect_left(selection, position)]

    def remove(self, position: int) -> None:
        # Positions after the removed one all shift, so everything derived is rebuilt;
        # deletions are rare (tests), so simplicity wins over speed here.
        del self.ids[position]
        del self.bodies[position]
        del self.updated[position]
        self._rebuild()

    def replace_all(self, bodies: list[bytes], updated: Sequence[int]) -> None:
        self.bodies = bodies
        self.updated = array("q", updated)
        self._rebuild()

    def select(
        self, window: Window, shuffle_seed: str | None = None, by_updated: bool = False
    ) -> Sequence[int]:
        """Positions of the records in `window`: creation order, `updatedAt` order (ties
        in creation order), or a stable shuffle."""
        if window == Window() and shuffle_seed is None and not by_updated:
            return range(len(self.ids))
        key = _SelectionKey(window, shuffle_seed, by_updated)
        selection = self._selections.get(key)
        if selection is None:
            selection = self._compute(window, shuffle_seed, by_updated)
            self._selections[key] = selection
            if len(self._selections) > _CACHED_SELECTIONS:
                self._selections.popitem(last=False)
        self._selections.move_to_end(key)
        return selection

    def _compute(self, window: Window, shuffle_seed: str | None, by_updated: bool) -> array:
        low, high = 0, len(self._by_updated)
        if window.after is not None:
            find = bisect_right if window.after_exclusive else bisect_left
            low = find(self._by_updated, window.after)
        if window.before is not None:
            high = bisect_left(self._by_updated, window.before)
        if by_updated:
            return array("q", self._positions_by_updated[low:high])
        if high - low == len(self.ids):
            positions = array("q", range(len(self.ids)))
        else:
            positions = array("q", sorted(self._positions_by_updated[low:high]))
        if shuffle_seed is not None:
            # Ordered by a keyed hash of the id: arbitrary, yet a record keeps its place
            # relative to the others whatever is added, changed or deleted.
            rank = {p: zlib.crc32(f"{shuffle_seed}/{self.ids[p]}".encode()) for p in positions}
            positions = array("q", sorted(positions, key=rank.__getitem__))
        return positions

    def _rebuild(self) -> None:
        self._positions: dict[str, int] | None = None
        # sorted() is stable, so records with equal updatedAt stay in creation order:
        # _index_insert/_index_remove rely on that tie order.
        order = sorted(range(len(self.updated)), key=self.updated.__getitem__)
        self._positions_by_updated = array("q", order)
        self._by_updated = array("q", (self.updated[i] for i in order))
        self._selections: OrderedDict[_SelectionKey, array] = OrderedDict()

    def _id_positions(self) -> dict[str, int]:
        if self._positions is None:
            # Built on first use: most buckets are only ever served, never looked up by id.
            self._positions = {record_id: i for i, record_id in enumerate(self.ids)}
        return self._positions

    def _index_slot(self, updated: int, position: int) -> int:
        low = bisect_left(self._by_updated, updated)
        high = bisect_right(self._by_updated, updated, low)
        return bisect_left(self._positions_by_updated, position, low, high)

    def _index_insert(self, updated: int, position: int) -> None:
        slot = self._index_slot(updated, position)
        self._by_updated.insert(slot, updated)
        self._positions_by_updated.insert(slot, position)

    def _index_remove(self, updated: int, position: int) -> None:
        slot = self._index_slot(updated, position)
        del self._by_updated[slot]
        del self._positions_by_updated[slot]
