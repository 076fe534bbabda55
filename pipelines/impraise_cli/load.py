"""One load: lock, check the warehouse, finish what a killed run left, run the pipeline,
finish it, report."""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination import Destination
from dlt.common.runtime.run_context import active as run_context
from impraise_source import FinishedLoad, RunStats, finish_load, impraise
from impraise_source.errors import ConfigurationError

from .datasets import dataset_name, pipeline_name
from .destinations import destination_for, destination_name, duckdb_path, file_format_for
from .locking import exclusive_run
from .summary import format_summary
from .warehouse import check_dataset, check_destination

DEMO_USERS = 300


def load(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """Extract and load what the arguments ask for; returns the exit code.

    Every setting was checked before (cli.py). Here the pipeline is locked and its
    warehouse checked before the first request, so a second run, or a warehouse the run
    could not write, costs no request (and no share of the token's quota).
    """
    destination = destination_for(args.destination, demo=args.demo)
    dataset = dataset_name(args.dataset)
    if dataset != args.dataset:
        print(f"dataset '{args.dataset}' is named {dataset} in the warehouse (dlt's normal form)")
    where = check_destination(destination, demo=args.demo)
    pipeline = open_pipeline(pipeline_name(dataset, args.demo), destination, dataset)
    with exclusive_run(Path(pipeline.pipelines_dir) / f"{pipeline.pipeline_name}.lock"):
        if where is not None:
            check_dataset(pipeline, demo=args.demo, where=where)
        finish_pending(pipeline)
        stats = RunStats()
        source = impraise(
            buckets=args.buckets,
            exclude=args.exclude,
            start_date=args.start_date,
            full_refresh=args.full_refresh,
            stats=stats,
            **overrides,
        )
        # A full collection walks every object dlt's imports and setup created while
        # holding the GIL (tens of milliseconds, docs/benchmarks.md); one between the
        # limiter's grant and the send makes the request late and the next window short:
        # a 429. Frozen, those are never walked again; what the run allocates is
        # collected as usual.
        gc.freeze()
        pipeline.run(source, loader_file_format=file_format_for(destination))
        finished = finish_load(pipeline)
        for bucket, rows in finished.live_rows.items():
            if bucket in stats.buckets:
                stats.buckets[bucket].live_rows = rows
        if stats.paging_notice:
            print(stats.paging_notice)
        print(format_summary(stats))
        report_finished(finished)
        report_reconciled(stats)
        print(f"loaded into {pipeline.destination.destination_name} dataset {dataset}")
        if destination_name(args.destination) == "spark":
            from .spark import publish_raw_tables

            published = publish_raw_tables(duckdb_path(demo=args.demo), dataset)
            print(
                f"published to spark: {published.tables} tables, {published.rows} rows, "
                f"as parquet in {published.where}"
            )
    for reason in sorted(stats.failures.values()):
        print(f"impraise: error: {reason}", file=sys.stderr)
    return stats.exit_code


def open_pipeline(name: str, destination: Destination, dataset: str) -> dlt.Pipeline:
    """The dlt pipeline, its working directory (under DLT_DATA_DIR) made or reached.

    The directory holds load packages, which hold personal data: only its owner may
    enter it (the command line creates every file for its owner only, see cli.py).
    """
    data_dir = Path(run_context().data_dir)
    try:
        pipeline = dlt.pipeline(
            pipeline_name=name,
            destination=destination,
            dataset_name=dataset,
            progress="tqdm" if sys.stdout.isatty() else None,
        )
        os.chmod(pipeline.working_dir, 0o700)
    except OSError as error:
        where = error.filename or data_dir
        raise ConfigurationError(
            f"DLT_DATA_DIR {data_dir}: cannot write {where} ({error.strerror or error})"
        ) from None
    return pipeline


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Load what a killed run extracted or normalized, before reading on.

    `pipeline.run` alone would load the pending packages and stop there. A file the
    killed run had already loaded may be loaded again: `finish_load` collapses its rows.
    """
    if pipeline.has_pending_data:
        print("finishing load packages left by an earlier run that did not complete")
        pipeline.normalize()
        pipeline.load()
        report_finished(finish_load(pipeline))


def report_finished(finished: FinishedLoad) -> None:
    """What `finish_load` repaired and marked, a line per table."""
    for table, count in sorted(finished.copies_removed.items()):
        print(f"{table}: removed {count} copies of rows loaded twice by the interrupted load")
    for bucket, count in sorted(finished.marked_deleted.items()):
        if count:
            print(f"{bucket}: {count} rows no longer at the source, marked _deleted_at")


def report_reconciled(stats: RunStats) -> None:
    """A line per bucket whose counts differed: what was read or found, at what cost."""
    for bucket, s in sorted(stats.buckets.items()):
        if s.missed or s.found_deleted:
            print(
                f"{bucket}: counts reconciled with {s.reconcile_requests} requests: "
                f"{s.missed} records missed and read, {s.found_deleted} found deleted "
                "(marked _deleted_at)"
            )
        if s.shifts:
            print(
                f"{bucket}: records shifted under the offset {s.shifts} times while it was "
                f"read; finding the place again took {s.rereads} requests"
            )


@contextmanager
def demo_api(enabled: bool) -> Iterator[dict[str, Any]]:
    """With --demo, serve a synthetic organisation on 127.0.0.1 for this run."""
    if not enabled:
        yield {}
        return
    from impraise_simulator import Organisation, SimulatorServer

    token = secrets.token_urlsafe(24)
    organisation = Organisation.generate(users=DEMO_USERS, seed=1)
    with SimulatorServer(organisation, token=token) as server:
        print(f"demo: simulated Impraise API at {server.url} ({organisation.count()} records)")
        yield {"api_token": token, "base_url": server.url}
