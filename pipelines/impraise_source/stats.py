"""Per-bucket counters for the end-of-run summary, safe to update from many threads."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import TokenRefusedError, UpstreamError

ROOT = "(root)"


@dataclass
class BucketStats:
    rows: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    # Times records shifted under the offset while the bucket was read, and the requests
    # spent finding where reading goes on (anchoring.py).
    shifts: int = 0
    rereads: int = 0
    # The records the API holds after the bucket was read, and the raw table's rows not
    # marked deleted after the load; None when not known (reconcile.py).
    api_count: int | None = None
    live_rows: int | None = None
    # What the reconciliation found: records missed and read, rows found deleted, and
    # the requests it took.
    missed: int = 0
    found_deleted: int = 0
    reconcile_requests: int = 0
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    # The exit code of the error that stopped the bucket (errors.py).
    exit_code: int = 0

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started


@dataclass
class RunStats:
    """Counters by bucket name; the root listing counts under `ROOT`."""

    buckets: dict[str, BucketStats] = field(default_factory=dict)
    # One line on how the API's pagination reads, when not as assumed (see pagination.py).
    paging_notice: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, bucket: str, **increments: int) -> None:
        with self._lock:
            stats = self.buckets.setdefault(bucket, BucketStats())
            for name, value in increments.items():
                setattr(stats, name, getattr(stats, name) + value)

    def start(self, bucket: str) -> None:
        with self._lock:
            self.buckets.setdefault(bucket, BucketStats()).started = time.monotonic()

    def finish(self, bucket: str, error: str | None = None, exit_code: int = 0) -> None:
        with self._lock:
            stats = self.buckets.setdefault(bucket, BucketStats())
            stats.finished = time.monotonic()
            stats.error = error
            stats.exit_code = exit_code if error else 0

    def reconciled(self, bucket: str, outcome: Any, requests: int) -> None:
        """Note what the count reconciliation of `bucket` found (reconcile.Reconciled)."""
        with self._lock:
            stats = self.buckets.setdefault(bucket, BucketStats())
            stats.api_count = outcome.api_count
            stats.missed = len(outcome.missed)
            stats.found_deleted = len(outcome.deleted)
            stats.reconcile_requests = requests

    @property
    def failures(self) -> dict[str, str]:
        """Buckets that failed, with their one-line reason."""
        return {name: s.error for name, s in self.buckets.items() if s.error}

    @property
    def exit_code(self) -> int:
        """The run's exit code: 0, 4 when a bucket failed, 3 when the API refused the
        token (in the middle of a run, say: every bucket after it fails the same way)."""
        codes = {s.exit_code or UpstreamError.exit_code for s in self.buckets.values() if s.error}
        if TokenRefusedError.exit_code in codes:
            return TokenRefusedError.exit_code
        return UpstreamError.exit_code if codes else 0

    @property
    def loaded(self) -> list[str]:
        """Buckets that yielded rows in this run."""
        return [name for name, s in self.buckets.items() if s.rows and name != ROOT]
