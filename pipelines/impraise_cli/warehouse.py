"""The warehouse a run loads into, checked before the first request.

A DuckDB file that cannot be written, a database that refuses the connection, a dataset
that holds another organisation's data or is another dataset's staging schema: each
would fail (or do harm) only after every page had been read. Here each is one line
naming the file, the setting or the dataset, before anything is requested or written.

How another organisation's data is recognised: dlt keeps each pipeline's state in the
dataset it loads (`_dlt_pipeline_state`, one row per load, with the pipeline's name). The
demo's pipeline is named apart (`datasets.pipeline_name`), so a dataset whose state rows
name the demo's pipeline holds the simulated organisation, and one whose rows name the
real pipeline holds a real organisation's. Each refuses the other.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import dlt
import duckdb
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.destination import Destination
from dlt.common.destination.client import WithStateSync
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.sql_client import SqlClientBase
from impraise_source.errors import ConfigurationError, RunInProgressError

from .datasets import pipeline_name
from .destinations import DEMO_DUCKDB_PATH, duckdb_path, first_line

# A table every dataset dlt loaded has, and a staging schema has not.
_LOADS_TABLE = "_dlt_loads"


def check_destination(destination: Destination, demo: bool) -> str | None:
    """Where the run loads, checked as far as it can be without a connection: the
    DuckDB file (see `check_duckdb_file`). Returns the place, for messages, or None when
    there is nothing there yet (a DuckDB file the load will create)."""
    if destination.destination_name != "duckdb":
        return destination.destination_name
    path = duckdb_path(demo=demo)
    if path == DEMO_DUCKDB_PATH:
        path.parent.mkdir(exist_ok=True)  # the demo's own directory (Makefile: demo/)
    check_duckdb_file(path)
    return str(path) if path.exists() else None


def check_duckdb_file(path: Path) -> None:
    """The DuckDB file can be created, or opened and written: ConfigurationError if not,
    RunInProgressError when another process holds it.

    Opens an existing file once (DuckDB's own check that it is a database it can read)
    and never creates a missing one: a run that fails before loading leaves no file.
    """
    name = f"IMPRAISE_DUCKDB_PATH {path}"
    if path.is_dir():
        raise ConfigurationError(f"{name} is a directory, not a DuckDB file")
    if not path.parent.is_dir():
        raise ConfigurationError(f"{name}: the directory {path.parent} does not exist")
    # DuckDB writes its journal (<file>.wal) and spills (<file>.tmp) beside the file.
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ConfigurationError(f"{name}: the directory {path.parent} is read-only")
    if not path.exists():
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise ConfigurationError(f"{name} is read-only: the load must write it")
    try:
        duckdb.connect(str(path)).close()
    except duckdb.Error as error:
        reason = first_line(error).removeprefix("IO Error: ")
        if "Could not set lock" in reason:
            raise RunInProgressError(
                f"the DuckDB file {path} is in use by another process: try again when it "
                f"has finished ({reason})"
            ) from None
        raise ConfigurationError(
            f"{name} cannot be opened as a DuckDB database: {reason}"
        ) from None


def check_dataset(pipeline: dlt.Pipeline, demo: bool, where: str) -> None:
    """The run's dataset is its own: not the other organisation's, not a staging schema.

    Raises ConfigurationError naming the dataset, `where` it is (the warehouse), and what
    it collides with.
    """
    with ExitStack() as stack:
        try:
            client = stack.enter_context(pipeline.destination_client())
        except ConfigFieldMissingException as error:
            missing = ", ".join(error.fields)
            raise ConfigurationError(f"the {where} destination's settings lack {missing}") from None
        except Exception as error:  # each database driver has errors of its own
            raise ConfigurationError(
                f"cannot connect to the {where} warehouse: {first_line(error)}"
            ) from None
        if not isinstance(client, WithStateSync) or not hasattr(client, "sql_client"):
            return  # a destination without datasets to collide (files, say)
        dataset = client.sql_client.dataset_name
        _refuse_the_other_organisation(client, f"dataset {dataset} in {where}", demo)
        _refuse_staging_collisions(client, dataset)


def _refuse_the_other_organisation(client: WithStateSync, described: str, demo: bool) -> None:
    """`described`: the dataset and its warehouse, as the message names them."""
    other = pipeline_name(client.sql_client.dataset_name, demo=not demo)
    if not _has_state_of(client, other):
        return
    if demo:
        raise ConfigurationError(
            f"--demo: {described} holds a real organisation's data (pipeline {other}): the "
            "demo loads into a warehouse of its own (leave IMPRAISE_DUCKDB_PATH unset for "
            "demo/demo.duckdb) or another --dataset"
        )
    raise ConfigurationError(
        f"{described} holds the demo's simulated organisation (pipeline {other}, loaded by "
        "--demo): load a real organisation into a warehouse or dataset of its own "
        "(IMPRAISE_DUCKDB_PATH, --dataset)"
    )


def _has_state_of(client: WithStateSync, name: str) -> bool:
    if not client.is_storage_initialized():
        return False
    try:
        return client.get_stored_state(name) is not None
    except DestinationUndefinedEntity:
        return False  # a dataset no load has finished in yet


def _refuse_staging_collisions(client: WithStateSync, dataset: str) -> None:
    """dlt stages merges in `<dataset>_staging` and empties it after each load: a
    dataset of that name would be emptied by the other's loads."""
    sql = client.sql_client
    if sql.staging_dataset_name == dataset:
        raise ConfigurationError(
            f"--dataset {dataset} is the staging schema every dataset shares "
            "(staging_dataset_name_layout): choose another name"
        )
    prefix, placeholder, suffix = client.config.staging_dataset_name_layout.partition("%s")
    staged = dataset[len(prefix) : len(dataset) - len(suffix)] if placeholder else ""
    if staged and dataset == f"{prefix}{staged}{suffix}" and _is_dataset(sql, staged):
        raise ConfigurationError(
            f"--dataset {dataset} is the staging schema of dataset {staged}, which dlt "
            f"empties after each load of {staged}: choose another name"
        )
    if _is_dataset(sql, sql.staging_dataset_name):
        raise ConfigurationError(
            f"--dataset {dataset}: its staging schema {sql.staging_dataset_name} is a "
            "dataset of its own, which each load of this one would empty: give one of "
            "them another name"
        )


def _is_dataset(sql: SqlClientBase, name: str) -> bool:
    """`name` is a schema dlt loaded into (it has dlt's loads table), not a staging one."""
    with sql.with_alternative_dataset_name(name):
        if not sql.has_dataset():
            return False
        try:
            loads = sql.make_qualified_table_name(_LOADS_TABLE)
            sql.execute_sql(f"SELECT 1 FROM {loads} WHERE 1 = 0")
        except DatabaseUndefinedRelation:
            return False
        return True
