"""What the fault suite did, counted across the session and printed at its end.

The fault, recovery, secrecy and drift tests report here; `pytest_terminal_summary`
prints one block, so the numbers that back "nothing lost, nothing leaked" are quotable
from any run's output.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any

import pytest


@dataclass
class Tally:
    # Faulty answers the simulator actually served (one-shot and random), not merely queued.
    faults_served: int = 0
    cli_runs: int = 0
    runs_killed: int = 0
    rows_compared: int = 0
    dbt_runs: int = 0
    secret_scans: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **increments: int) -> None:
        """Thread-safe: the simulator counts faults from its request threads."""
        with self._lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)

    def lines(self) -> list[str]:
        return [f"{name.replace('_', ' ')}: {value}" for name, value in self.as_dict().items()]

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


TALLY = Tally()
_WORKER_KEY = "impraise_tally"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker counts its own tests: send the counts home."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKER_KEY] = TALLY.as_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: add up a finished worker's counts."""
    TALLY.add(**getattr(node, "workeroutput", {}).get(_WORKER_KEY, {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not (TALLY.cli_runs or TALLY.rows_compared):
        return
    terminalreporter.write_sep("-", "nothing lost, nothing leaked: what the suite did")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
