"""The command line: `python pipelines/impraise.py`, from its arguments to its exit code."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
)
from dlt.pipeline.exceptions import PipelineStepFailed
from impraise_source import probe
from impraise_source.errors import (
    ConfigurationError,
    ImpraiseError,
    IncompatibleApiError,
    setting_name,
)

from .arguments import parse_args
from .check import as_json, format_report
from .destinations import destination_for
from .load import demo_api, load
from .worker_processes import die_with_parent

EXIT_OK = 0
# What ends a run with a one-line error and its documented exit code (see `failure`).
HANDLED = (
    ImpraiseError,
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    PipelineStepFailed,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns its exit code."""
    args = parse_args(argv)
    # dlt's normalize workers must not outlive a killed run (see worker_processes.py).
    die_with_parent()
    logging.basicConfig(format="impraise: %(levelname)s: %(message)s", level=logging.WARNING)
    try:
        with demo_api(args.demo) as overrides:
            if args.check:
                return run_check(args, overrides)
            return load(args, overrides)
    except HANDLED as error:
        code, message = failure(error)
        print(f"impraise: error: {message}", file=sys.stderr)
        return code


def run_check(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """--check: probe the API and print the compatibility report; writes nothing."""
    destination_for(args.destination)  # a bad name fails here as it would in a run
    report = probe(
        buckets=args.buckets, exclude=args.exclude, start_date=args.start_date, **overrides
    )
    print(as_json(report) if args.json else format_report(report))
    return EXIT_OK if report.compatible else IncompatibleApiError.exit_code


def failure(error: BaseException) -> tuple[int, str]:
    """The exit code and the one line to print for an error in HANDLED."""
    if isinstance(error, ImpraiseError):
        return error.exit_code, str(error)
    if isinstance(error, ConfigFieldMissingException):
        missing = ", ".join(f"{setting_name(field)} ({field})" for field in error.fields)
        return ConfigurationError.exit_code, f"missing configuration: {missing}; see --help"
    if isinstance(error, ConfigValueCannotBeCoercedException):
        name, value = setting_name(error.field_name), error.field_value
        return ConfigurationError.exit_code, f"{name} '{value}' is not valid"
    if isinstance(error, PipelineStepFailed):
        return ImpraiseError.exit_code, f"the {error.step} step failed: {_first_line(error)}"
    raise TypeError(f"no exit code for {type(error).__name__}")


def _first_line(error: BaseException) -> str:
    cause = error.__cause__ or error
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
