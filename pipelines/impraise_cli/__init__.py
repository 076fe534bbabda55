"""The impraise-elt command line (`python pipelines/impraise.py`) and what only it needs.

The `impraise_source` package is what a dlt user imports into a pipeline of their own,
and the command line uses it as they would: `impraise`, `probe` and `finish_load`, with
the errors, and nothing deeper. What only the command line needs lives here beside it:
the report of `--check` (`check`), one run at a time (`locking`), worker processes that
die with the run (`worker_processes`), the destinations (`destinations`) and the
summary (`summary`).
"""

from .cli import main

__all__ = ["main"]
