"""One run at a time per pipeline: a second run refuses instead of corrupting state."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from impraise_source.errors import RunInProgressError


@contextmanager
def exclusive_run(lock_path: Path) -> Iterator[None]:
    """Hold an advisory lock on `lock_path` for the duration of a run.

    The kernel releases the lock when the process dies, even by SIGKILL, so a killed
    run never leaves a stale lock behind.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgressError(
                f"another run of this pipeline is in progress (lock {lock_path}); "
                "try again when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
