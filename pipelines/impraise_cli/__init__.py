"""The impraise-elt command line (`python pipelines/impraise.py`) and what only it needs.

The `impraise_source` package is what a dlt user imports into a pipeline of their own.
What only the command line needs lives here beside it: checking the API (`check`), one
run at a time (`locking`), worker processes that die with the run (`orphans`), the
repairs after a killed load (`repair`, `children`), the deletions a full refresh finds
(`deletions`), the destinations (`destinations`) and the summary (`summary`); and what
fails closed before the first request: the project's settings wherever the run starts
(`project`), dlt's runtime settings (`runtime`), dataset names (`datasets`), the
warehouse (`warehouse`), and a run stopped by Ctrl-C or a full disk (`interruptions`).
"""

from .cli import main

__all__ = ["main"]
