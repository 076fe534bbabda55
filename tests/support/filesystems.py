"""Places a run cannot write: read-only files and directories, and a disk that fills up.

Both are made for real, not patched: a read-only path is a read-only bind mount when the
tests run as root (root ignores file modes, and CI runs as root) and a mode without
write bits otherwise; a full disk is a tmpfs of a few hundred kilobytes. Mounting needs
CAP_SYS_ADMIN; where it is missing, the test that needs it is skipped, saying why.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here ({result.stderr.strip() or result.returncode})")


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=True)


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` (a file or a directory) read-only for the duration."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield path
        finally:
            path.chmod(mode)
        return
    _mount("--bind", str(path), str(path))
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
        yield path
    finally:
        _umount(path)


@contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "256k") mounted at `path`, which it creates; `resize`
    it with `grow(path, size)` to free space while mounted."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)


def grow(path: Path, size: str) -> None:
    """Give the tmpfs at `path` more room, keeping what it holds (a disk freed up)."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)
