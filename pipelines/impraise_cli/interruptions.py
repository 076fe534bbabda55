"""What stops a run from outside: Ctrl-C (or SIGTERM), and a disk that fills up.

Neither loses data: dlt commits a bucket's cursor only with the load package that holds
its records, and the next run finishes the packages a stopped one left (load.py). So
each ends in one line that says so, with the exit code of its cause: 128 plus the
signal's number for a signal (130 for Ctrl-C), as shells do, and 1 for a full disk,
named with the place that is full.

dlt intercepts SIGINT and SIGTERM while it normalizes and loads, and raises
`SignalReceivedException` (a KeyboardInterrupt) at the next safe point; elsewhere Python
raises KeyboardInterrupt for SIGINT where the run happens to be, which may surface as
another error (a generator interrupted while it ran). A handler of our own notes the
signal, so any error that follows it is read as the interruption it is. SIGTERM
outside dlt's steps keeps its default: the process ends at once, and the next run
recovers as after a kill.
"""

from __future__ import annotations

import errno
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from dlt.common.exceptions import SignalReceivedException
from dlt.common.runtime.run_context import active as run_context
from dlt.pipeline.exceptions import PipelineStepFailed

from .destinations import duckdb_path

EXIT_FULL_DISK = 1
_DUCKDB = "IMPRAISE_DUCKDB_PATH"
_received: list[int] = []
# How DuckDB names the file it could not write (its errors carry no errno).
_DUCKDB_FILE = re.compile(
    r'(?:write|open|create) (?:to )?file "([^"]+)"[^"]*No space left on device'
)


def note_signals() -> None:
    """Remember a SIGINT before it interrupts the run as KeyboardInterrupt."""

    def interrupt(number: int, frame: FrameType | None) -> None:
        _received.append(number)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)


def interruption(error: BaseException) -> tuple[int, str] | None:
    """The exit code and line for an error a signal caused; None for any other error."""
    number = next(
        (e.signal_code for e in _chain(error) if isinstance(e, SignalReceivedException)),
        _received[0] if _received else None,
    )
    if number is None and any(isinstance(e, KeyboardInterrupt) for e in _chain(error)):
        number = signal.SIGINT
    if number is None:
        return None
    name = "Ctrl-C (SIGINT)" if number == signal.SIGINT else signal.Signals(number).name
    step = f" during the {error.step} step" if isinstance(error, PipelineStepFailed) else ""
    return 128 + number, (
        f"interrupted by {name}{step}: nothing is lost, the next run goes on from where "
        "this one stopped"
    )


def full_disk(error: BaseException) -> tuple[int, str] | None:
    """The exit code and line for a full disk, naming the file, or the place where the
    run writes that has no room left; None for any other error."""
    texts = [str(e) for e in _chain(error)]
    if not any(
        isinstance(e, OSError) and e.errno == errno.ENOSPC for e in _chain(error)
    ) and not any("No space left on device" in text for text in texts):
        return None
    where = next((e.filename for e in _chain(error) if getattr(e, "filename", None)), None)
    if where is None:
        where = next((m.group(1) for t in texts for m in [_DUCKDB_FILE.search(t)] if m), None)
    if where is None:
        # Nothing names the file (dlt's writers do not): the place with no room left.
        places = {Path(run_context().data_dir): "DLT_DATA_DIR", duckdb_path().parent: _DUCKDB}
        full = [p for p in places if p.exists() and shutil.disk_usage(p).free < 1 << 20]
        where = " or ".join(f"{p} ({places[p]})" for p in full or places)
    return EXIT_FULL_DISK, (
        f"no space left on device writing {where}: free space there and run again; the "
        "next run finishes what this one extracted"
    )


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what caused it, and what dlt's step failure wraps, once each."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "exception", None)]
