"""The threads and connections the buckets of one run share, owned by that run.

Each bucket's pages are fetched ahead by the threads of one pool (page_reader.py),
over the client's kept-alive HTTP connections (client.py). Both belong to the run, not to the
process: the first bucket that starts reading opens the pool, and the last one to stop
(read to its end, failed, or closed by dlt or the caller) shuts the pool down and closes
the connections. A long-lived worker (Airflow, Dagster) that runs the source again and
again, even one that keeps the source objects, is left no idle thread and no open socket.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import ImpraiseClient


class ReadingPool:
    """The run's read-ahead threads, open while any of its buckets reads."""

    def __init__(self, client: ImpraiseClient, threads: int) -> None:
        self._client = client
        self._threads = threads
        self._lock = threading.Lock()
        self._readers = 0
        self._executor: ThreadPoolExecutor | None = None

    @contextmanager
    def reading(self) -> Iterator[Executor]:
        """The pool, for as long as one bucket reads."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._threads, thread_name_prefix="impraise-page"
                )
            self._readers += 1
            executor = self._executor
        try:
            yield executor
        finally:
            with self._lock:
                self._readers -= 1
                last = self._readers == 0
                if last:
                    self._executor = None
            if last:
                # Pages still queued belong to buckets that stopped: they are never sent.
                executor.shutdown(wait=False, cancel_futures=True)
                # A page already in flight (queued at the limiter, or retrying) finishes
                # in its thread; the connections close after it, without holding up the
                # reader (dlt, or the caller's loop) until then.
                closer = threading.Thread(
                    target=self._close_after, args=(executor,), name="impraise-close"
                )
                closer.start()

    def _close_after(self, executor: ThreadPoolExecutor) -> None:
        executor.shutdown(wait=True)
        self._client.close()
