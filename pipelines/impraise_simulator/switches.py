"""The server's switches (standing behaviour) and one-shot faults.

Defaults give the API exactly as the contract's "Assumed" section describes it, except
`mixed_offsets`, which is on because varied timestamp renderings are allowed by the
contract and cost a correct client nothing. Each field's `help` is the CLI's help text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .moving import parse_moves

ROOT_SHAPES = (
    "routes",
    "array",
    "data",
    "bare",
    "urls",
    "objects_path",
    "objects_href",
    "objects_url",
    "objects_name",
)
# How `pagination.next` reads: every reading the vendor's own example allows.
NEXT_STYLES = (
    "offset",  # the offset of the next page, null on the last (the assumed reading)
    "offset_plus_len",  # offset + items served, on the last page too
    "remaining",  # how many items are still to come, 0 on the last page
    "absent",  # no `next` at all
)
FAULTS = (
    "500",
    "502",
    "503",
    "429",
    "reset",
    "slow",
    "truncated",
    "invalid_json",
    "html",
    "missing_data",
    "stuck_next",
    "401",
)
# Faults that alter a page of records, so only a bucket request can suffer them.
PAGE_FAULTS = ("missing_data", "stuck_next")
ROOT = "/"  # inject(fault, bucket=ROOT) targets the root listing


def _switch(default: Any, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass
class Switches:
    """How the simulated API behaves. Mutable: changes apply from the next request."""

    rate_limit: int = _switch(
        6, "requests allowed per sliding 1-second window per token; 0 disables the limit"
    )
    retry_after: bool = _switch(True, "send a Retry-After header (seconds) with every 429")
    latency_ms: float = _switch(0, "milliseconds every response is delayed")
    arrival_jitter_ms: float = _switch(
        0,
        "each request reaches the rate limit late by a random 0 to this many milliseconds, "
        "as over a real network (the latency then counts from there)",
    )
    error_rate: float = _switch(0, "share (0-1) of requests answered with a random 500/502/503")
    truncate_rate: float = _switch(
        0, "share (0-1) of 200 responses whose JSON body is cut short (Content-Length matches)"
    )
    root_shape: str = _switch(
        "routes",
        "shape of GET /: routes={'routes': ['/users', ...]}, array=bare list of paths, "
        "data={'data': [...]}, bare=names without '/', urls=absolute URLs, objects_path / "
        "objects_href / objects_url / objects_name=objects carrying the route in that key",
    )
    next_style: str = _switch(
        "offset",
        "how pagination.next reads: offset=next page's offset, null at the end; "
        "offset_plus_len=offset + items served, on the last page too; remaining=items "
        "still to come, 0 at the end; absent=no 'next'",
    )
    snake_case: bool = _switch(False, "serve record fields in snake_case (updated_at, sender_id)")
    hyphen_routes: bool = _switch(
        False, "list and serve routes with hyphens (/review-participants)"
    )
    renamed: tuple[str, ...] = _switch(
        (), "buckets listed and served under another name, as CANONICAL=LISTED (feedback=feedbacks)"
    )
    rate_limit_headers: bool = _switch(
        False, "send X-RateLimit-Limit and X-RateLimit-Remaining with every answer"
    )
    after_exclusive: bool = _switch(False, "treat 'after' as exclusive (updatedAt > after)")
    mixed_offsets: bool = _switch(
        True, "render timestamps in varied UTC offsets and precisions (same instants)"
    )
    shuffle: bool = _switch(
        False,
        "serve records in an arbitrary order (by a keyed hash of the id), stable for the same "
        "bucket and filters: an added record lands anywhere, the others keep their order",
    )
    updated_order: bool = _switch(
        False,
        "serve records in updatedAt order, as an API sorting by its cursor would: a record "
        "changed while a client pages jumps to the end",
    )
    moves: tuple[str, ...] = _switch(
        (),
        "data moving while a client pages, as KIND:BUCKET@N[,N...]: before the N-th page "
        "request of BUCKET, delete, update or insert one record (delete and update take one "
        "the request's offset has passed), e.g. delete:users@3,5",
    )
    change_during_paging: str | None = _switch(
        None,
        "bucket in which every page served at offset > 0 first bumps updatedAt of one "
        "record from an earlier page (a change made while a client pages)",
    )
    forbidden: tuple[str, ...] = _switch((), "buckets that answer 403")
    max_page: int = _switch(1000, "most records in one page, whatever maxItems asks")
    slow_seconds: float = _switch(5, "how long the 'slow' fault stalls before answering")
    seed: int = _switch(0, "seed of the random switches (error_rate, truncate_rate, ...)")

    def __post_init__(self) -> None:
        if self.root_shape not in ROOT_SHAPES:
            raise ValueError(f"root_shape must be one of {', '.join(ROOT_SHAPES)}")
        if self.arrival_jitter_ms < 0:
            raise ValueError("arrival_jitter_ms must not be negative")
        for name in ("error_rate", "truncate_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.max_page < 1:
            raise ValueError("max_page must be at least 1")
        if self.next_style not in NEXT_STYLES:
            raise ValueError(f"next_style must be one of {', '.join(NEXT_STYLES)}")
        self.forbidden = tuple(self.forbidden)
        self.renamed = tuple(self.renamed)
        self.moves = tuple(self.moves)
        parse_moves(self.moves)
        for entry in self.renamed:
            canonical, _, listed = entry.partition("=")
            if not canonical or not listed:
                raise ValueError(f"renamed entries are CANONICAL=LISTED, got {entry!r}")

    def listed_names(self, buckets: list[str]) -> dict[str, str]:
        """The name each bucket is listed and served under, by its canonical name."""
        renamed = dict(entry.partition("=")[::2] for entry in self.renamed)
        names = {bucket: renamed.get(bucket, bucket) for bucket in buckets}
        if self.hyphen_routes:
            names = {bucket: name.replace("_", "-") for bucket, name in names.items()}
        return names


@dataclass
class _Pending:
    fault: str
    bucket: str | None
    remaining: int


class FaultQueue:
    """One-shot faults waiting for the requests they will hit, in injection order."""

    def __init__(self) -> None:
        self._pending: list[_Pending] = []
        self._lock = threading.Lock()

    def inject(self, fault: str, bucket: str | None, count: int) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        if bucket == ROOT and fault in PAGE_FAULTS:
            raise ValueError(f"fault {fault!r} needs a page of records, not the root listing")
        with self._lock:
            self._pending.append(_Pending(fault, bucket, count))

    def take(self, target: str | None, is_page: bool) -> str | None:
        """The fault the request to `target` (a bucket, or ROOT) suffers, if any.

        A fault injected for no particular bucket hits any bucket request, not the root.
        """
        with self._lock:
            for pending in self._pending:
                if pending.bucket is None and target == ROOT:
                    continue
                if pending.bucket not in (None, target):
                    continue
                if pending.fault in PAGE_FAULTS and not is_page:
                    continue
                pending.remaining -= 1
                if pending.remaining <= 0:
                    self._pending.remove(pending)
                return pending.fault
            return None
