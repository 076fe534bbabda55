"""The impraise-elt command line (`python pipelines/impraise.py`) and what only it needs.

The `impraise_source` package is what a dlt user imports into a pipeline of their own,
and the command line uses it as they would: `impraise`, `probe` and `finish_load`, with
the errors, and nothing deeper. What only the command line needs lives here beside it:
the report of `--check` (`check`), one run at a time (`locking`), worker processes that
die with the run (`worker_processes`), the destinations (`destinations`) and the
summary (`summary`); and what fails closed before the first request: the project's
settings wherever the run starts (`project`), dlt's runtime settings (`runtime`),
dataset names (`datasets`), the warehouse (`warehouse`), and a run stopped by Ctrl-C or
a full disk (`interruptions`).
"""

from .cli import main

__all__ = ["main"]
