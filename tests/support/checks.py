"""Run every check of a test against one expensive build, and report every failure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def assert_every_check(checks: Iterable[Callable[..., None]], *arguments: Any) -> None:
    """Call each check with `arguments`; fail once, naming every check that failed."""
    failures = []
    for check in checks:
        try:
            check(*arguments)
        except AssertionError as error:
            failures.append(f"{check.__name__}: {error}")
    assert not failures, "\n\n".join(failures)
