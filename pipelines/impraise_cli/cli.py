"""The command line: `python pipelines/impraise.py`, from its arguments to its exit code."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
)
from dlt.pipeline.exceptions import PipelineStepFailed
from impraise_source import check_settings, probe
from impraise_source.errors import (
    ConfigurationError,
    ImpraiseError,
    IncompatibleApiError,
    setting_name,
)

from .arguments import check_selection, parse_args
from .check import as_json, format_report
from .destinations import destination_for
from .interruptions import full_disk, interruption, note_signals
from .load import demo_api, load
from .project import use_project_settings
from .runtime import check_runtime_settings
from .worker_processes import die_with_parent

EXIT_OK = 0
# The last line of a Python traceback: `module.ErrorClass: message`.
_RAISED = re.compile(r"^[A-Za-z_][\w.]*: ")
# What ends a run with a one-line error and its documented exit code (see `failure`).
HANDLED = (
    ImpraiseError,
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    PipelineStepFailed,
    KeyboardInterrupt,
    OSError,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns its exit code."""
    args = parse_args(argv)
    # dlt's normalize workers must not outlive a killed run (see worker_processes.py).
    die_with_parent()
    # Load packages, state and a new DuckDB file hold personal data: every file the run
    # creates is readable by its owner only, a killed run's leftovers included.
    os.umask(0o077)
    note_signals()
    logging.basicConfig(format="impraise: %(levelname)s: %(message)s", level=logging.WARNING)
    try:
        use_project_settings()
        check_selection(args)
        check_runtime_settings()
        with demo_api(args.demo) as overrides:
            if args.check:
                return run_check(args, overrides)
            # Every setting checked before a file is written or a request sent.
            check_settings(start_date=args.start_date, **overrides)
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
    stopped = interruption(error) or full_disk(error)
    if stopped:
        return stopped
    if isinstance(error, ImpraiseError):
        return error.exit_code, str(error)
    if isinstance(error, ConfigFieldMissingException):
        missing = ", ".join(f"{setting_name(field)} ({field})" for field in error.fields)
        return ConfigurationError.exit_code, f"missing configuration: {missing}; see --help"
    if isinstance(error, ConfigValueCannotBeCoercedException):
        name, value = setting_name(error.field_name), error.field_value
        return ConfigurationError.exit_code, f"{name} '{value}' is not valid"
    if isinstance(error, PipelineStepFailed):
        return ImpraiseError.exit_code, f"the {error.step} step failed: {_reason(error)}"
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return ImpraiseError.exit_code, f"{error.strerror or error}{where}"
    raise TypeError(f"no exit code for {type(error).__name__}")


def _reason(error: BaseException) -> str:
    """The cause of a failed step in one line. A message that quotes a traceback (a load
    job's last failure, say) is told by its head and the error the traceback ends in."""
    cause = error.__cause__ or error
    lines = [line.strip() for line in str(cause).strip().splitlines() if line.strip()]
    if not lines:
        return type(cause).__name__
    head, traceback, _ = lines[0].partition("Traceback (most recent call last):")
    raised = [line for line in lines if _RAISED.match(line)]
    return f"{head.strip()} {raised[-1]}" if traceback and raised else lines[0]
