"""Data that moves while a client pages: deletions, updates and inserts at chosen points.

`Switches.moves` lists them as `KIND:BUCKET@N[,N...]`: before the N-th page request of
BUCKET is answered (counted from the server's start), one record is deleted, updated
(its `updatedAt` moves to now: in `updatedAt` order it jumps to the end) or inserted (a
copy of a record under a new id, created now). The record deleted or updated is one of
those the request's offset has passed, so every later record's offset shifts under a
client that is paging; at offset 0 it is the first record.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass

from . import codec
from .organisation import Organisation
from .store import Window

KINDS = ("delete", "update", "insert")


@dataclass(frozen=True)
class Move:
    kind: str
    bucket: str
    requests: frozenset[int]


def parse_moves(entries: tuple[str, ...]) -> list[Move]:
    """`KIND:BUCKET@N[,N...]` entries as moves; ValueError names a malformed one."""
    moves = []
    for entry in entries:
        kind, _, rest = entry.partition(":")
        bucket, _, numbers = rest.partition("@")
        try:
            requests = frozenset(int(n) for n in numbers.split(","))
        except ValueError:
            requests = frozenset()
        if kind not in KINDS or not bucket or not requests or min(requests) < 1:
            raise ValueError(
                f"moves entries are KIND:BUCKET@N[,N...] with KIND one of {', '.join(KINDS)} "
                f"and N from 1, got {entry!r}"
            )
        moves.append(Move(kind, bucket, requests))
    return moves


class MovingData:
    """Counts each bucket's page requests and makes the moves due before one is served."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(f"moves:{seed}")
        self._requests: dict[str, int] = {}
        self._lock = threading.Lock()
        # What was moved, in order, for tests to check the truth against: (kind, id).
        self.moved: list[tuple[str, str]] = []

    def before_page(
        self,
        org: Organisation,
        moves: list[Move],
        bucket: str,
        window: Window,
        offset: int,
        order: dict,
    ) -> None:
        """Count a page request of `bucket` at `offset`; make the moves due before it.

        `order` holds the selection's ordering arguments (`shuffle_seed`, `by_updated`).
        """
        with self._lock:
            number = self._requests[bucket] = self._requests.get(bucket, 0) + 1
            for move in moves:
                if move.bucket == bucket and number in move.requests:
                    self._make(org, move.kind, bucket, window, offset, order)

    def _make(
        self, org: Organisation, kind: str, bucket: str, window: Window, offset: int, order: dict
    ) -> None:
        position = self._random.randrange(max(1, offset))
        served = org.page(bucket, window, position, 1, **order).bodies
        if not served:
            return
        record = codec.decode(served[0])
        if kind == "delete":
            org.delete(bucket, record["id"])
        elif kind == "update":
            org.update(bucket, record["id"])
        else:
            # A copy under a new id, created now (add fills in both instants).
            new_id = uuid.UUID(int=self._random.getrandbits(128)).hex
            copy = {k: v for k, v in record.items() if k not in ("createdAt", "updatedAt")}
            record = org.add(bucket, {**copy, "id": new_id})
        self.moved.append((kind, record["id"]))
