"""An in-memory stand-in for the API client, for the fast tier."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

from impraise_source.stats import RunStats
from impraise_source.timestamps import parse_instant

PAGE = 10


class FakeApi:
    """One bucket of `total` records, paged the way `style` writes `next`.

    Stands in for ImpraiseClient.get_json: it answers `parse(payload)` and counts the
    requests, those past the data, and the most in flight at once.
    """

    def __init__(
        self,
        total: int = 0,
        style: str = "offset",
        cap: int | None = None,
        delay: float = 0.0,
        records: list[dict[str, Any]] | None = None,
        moves: dict[int, Callable[[list[dict[str, Any]], int], None]] | None = None,
    ):
        """`moves` changes the records before the request of that number (1 is the
        first) is answered: move(records, offset) may delete, add or move records."""
        self.records = records if records is not None else [{"id": f"r{i}"} for i in range(total)]
        self.moves = dict(moves or {})
        self.stats = RunStats()
        self.style, self.cap, self.delay = style, cap, delay
        self.requests = 0
        self.past_the_data = 0
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    def get_json(self, path, params, bucket, offset, parse, priority=None):
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            move = self.moves.pop(self.requests, None)
            if move is not None:
                move(self.records, offset)
            size = min(params["maxItems"], self.cap or params["maxItems"])
            selected = self._selected(params.get("after"))
            data = selected[offset : offset + size]
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1
            # Past the data: a page with no record, or only the one it overlaps.
            self.past_the_data += not data or (0 < offset == len(selected) - 1)
        pagination = self._pagination(offset, size, len(data), len(selected))
        return parse({"data": copy.deepcopy(data), "pagination": pagination})

    def _selected(self, after: str | None) -> list[dict[str, Any]]:
        """The records `after` selects (inclusive, compared as instants)."""
        if after is None:
            return self.records
        since = parse_instant(after)
        return [r for r in self.records if parse_instant(r["updatedAt"]) >= since]

    def _pagination(self, offset: int, size: int, served: int, total: int) -> dict[str, Any]:
        pagination = {"maxItems": size, "offset": offset}
        end = offset + served
        if self.style == "offset":
            pagination["next"] = end if end < total else None
        elif self.style == "offset_plus_len":
            pagination["next"] = end
        elif self.style == "remaining":
            pagination["next"] = max(0, total - end)
        elif self.style == "stuck":
            pagination["next"] = offset
        elif self.style == "garbage":
            pagination["next"] = "soon"
        return pagination
