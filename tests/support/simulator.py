"""Fixtures for the Impraise API simulator: organisations and running servers."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from impraise_simulator import Organisation, SimulatorServer, Switches
from impraise_simulator.switches import FaultQueue

from tests.support.tally import TALLY

SIMULATOR_TOKEN = "simulator-test-token-3f9a"  # a test-only token the simulators accept
SMALL_ORG_USERS = 60
SMALL_ORG_SEED = 7

StartSimulator = Callable[..., "FaultSimulator"]


class _CountingFaultQueue(FaultQueue):
    """The simulator's one-shot fault queue, counting the faults it hands out."""

    def take(self, target: str | None, is_page: bool) -> str | None:
        fault = super().take(target, is_page)
        if fault is not None:
            TALLY.add(faults_served=1)
        return fault


@dataclass(frozen=True)
class _Armed:
    fault: str
    bucket: str
    offset: int
    count: int


class FaultSimulator(SimulatorServer):
    """The simulator, plus faults armed for a later page, and a count of faults served.

    `inject` only reaches the next requests to a bucket, which is its first page; a
    failure after some pages were read (the case where a cursor could run ahead of the
    data) needs `inject_at`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._faults = _CountingFaultQueue()
        self._armed: list[_Armed] = []
        self._armed_lock = threading.Lock()

    def inject_at(self, fault: str, bucket: str, offset: int, count: int = 1) -> None:
        """Inject `fault` (`count` times) when the first request for `bucket` at `offset`
        or later arrives; that request is the first to suffer it."""
        with self._armed_lock:
            self._armed.append(_Armed(fault, bucket, offset, count))

    def clear_faults(self) -> None:
        """Drop every fault still queued or armed (e.g. the rest of a storm)."""
        with self._armed_lock:
            self._armed.clear()
            self._faults = _CountingFaultQueue()

    def serve(self, handler: Any) -> None:
        url = urlsplit(handler.path)
        bucket = url.path.strip("/")
        offset = parse_qs(url.query).get("offset", ["0"])[0]
        with self._armed_lock:
            for armed in list(self._armed):
                if armed.bucket == bucket and offset.isdigit() and int(offset) >= armed.offset:
                    self._armed.remove(armed)
                    self.inject(armed.fault, armed.bucket, armed.count)
        super().serve(handler)

    def _random_fault(self, switches: Switches) -> str | None:
        fault = super()._random_fault(switches)
        if fault is not None:
            TALLY.add(faults_served=1)
        return fault


def is_count_probe(entry: Any) -> bool:
    """Whether a logged request is one of the count reconciliation's (or `--check`'s):
    a page of one or two records, or one of a `before` window (impraise_source's
    counting.py and reconcile.py), rather than one reading the bucket's changes."""
    return entry.params.get("maxItems") in ("1", "2") or "before" in entry.params


def reading_requests(server: SimulatorServer, bucket: str | None = None) -> list[Any]:
    """The requests that read buckets (or `bucket`), without the count probes."""
    return [
        entry
        for entry in server.request_log
        if entry.bucket and (bucket is None or entry.bucket == bucket) and not is_count_probe(entry)
    ]


def pages_to_read(records: int, page_size: int) -> int:
    """The pages that hold records not read before, each page after the first
    overlapping the one before by a record (impraise_source's anchoring.py)."""
    return 1 + max(0, -(-(records - page_size) // (page_size - 1)))


@functools.cache
def _generated_small_org() -> Organisation:
    return Organisation.generate(users=SMALL_ORG_USERS, seed=SMALL_ORG_SEED)


def fresh_small_org() -> Organisation:
    """A new copy of the 60-user organisation: generated once per session, then copied."""
    return _generated_small_org().copy()


@pytest.fixture
def small_org() -> Organisation:
    """A fresh organisation of 60 users (about 3,500 records); tests may mutate it."""
    return fresh_small_org()


@pytest.fixture
def simulator() -> Iterator[StartSimulator]:
    """A factory: simulator(org=None, token=..., **switches) -> a started SimulatorServer.

    It listens on 127.0.0.1 on a free port and stops at teardown. Without `org` it serves
    a fresh small organisation; keyword arguments are `Switches` fields.
    """
    servers: list[FaultSimulator] = []

    def start(
        org: Organisation | None = None, token: str = SIMULATOR_TOKEN, **switches: Any
    ) -> FaultSimulator:
        server = FaultSimulator(
            fresh_small_org() if org is None else org, token=token, switches=Switches(**switches)
        )
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
