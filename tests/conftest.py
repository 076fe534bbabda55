"""Shared pytest fixtures live in tests/support/, one module per boundary."""

pytest_plugins = [
    "tests.support.tally",
    "tests.support.simulator",
    "tests.support.postgres",
    "tests.support.pipeline",
    "tests.support.semantic",
]
