"""Worker processes die with the run that forked them.

Works around python/cpython#111873 (pool workers outlive a killed parent).

dlt normalizes in a pool of forked processes (`[normalize] workers` in .dlt/config.toml).
When a run is killed with SIGKILL (the OOM killer, a CI timeout, `kill -9`), nothing
stops those workers: they block forever on the dead pool's queue, they keep the run
lock they inherited (so every later run refuses with "another run is in progress"),
and a worker caught mid-file goes on writing into the load package that the next run
normalizes again, which loads rows twice. Linux lets a child ask to be signalled when
its parent dies (PR_SET_PDEATHSIG); every child forked after `die_with_parent()` does.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
_forking_pid: int | None = None


def die_with_parent() -> None:
    """Make every process forked from now on die by SIGKILL when its parent dies.

    Linux only; elsewhere a no-op. Safe to call more than once.
    """
    if not sys.platform.startswith("linux") or getattr(die_with_parent, "_armed", False):
        return
    libc = ctypes.CDLL(None, use_errno=True)

    def before_fork() -> None:
        global _forking_pid
        _forking_pid = os.getpid()

    def in_child() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        # The parent may have died between fork and prctl: no signal would come then.
        if os.getppid() != _forking_pid:
            os._exit(1)

    os.register_at_fork(before=before_fork, after_in_child=in_child)
    die_with_parent._armed = True  # type: ignore[attr-defined]
