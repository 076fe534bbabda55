"""The source as a dlt user imports it: the example of its README, run as written, in a
directory of the user's own, gives the warehouse the command line gives; and a worker
that runs the source again and again keeps no thread or socket of it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.pipeline import PipelineWorkspace
from tests.support.simulator import SIMULATOR_TOKEN
from tests.support.snapshot import raw_snapshot
from tests.support.truth import assert_raw_matches_source

README = Path(__file__).resolve().parents[1] / "pipelines" / "impraise_source" / "README.md"
RAW, STAGING = "impraise_raw", "impraise_raw_staging"


def readme_example() -> str:
    return re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)


def run_as_a_user(script: str, root: Path, server, env: dict[str, str] | None = None) -> str:
    """Run `script` in `root`, as a dlt user would: no project file around, only the
    token and the API's address set. Returns its stdout."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pipeline.py").write_text(script)
    isolated = PipelineWorkspace(root).env(server, SIMULATOR_TOKEN)
    for name in ("IMPRAISE_DUCKDB_PATH", "SOURCES__IMPRAISE__REQUESTS_PER_SECOND"):
        isolated.pop(name)  # the tests' settings for the command line, not a user's
    isolated.update(env or {})
    done = subprocess.run(
        [sys.executable, "pipeline.py"],
        cwd=root,
        env=isolated,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def data_files(dlt_dir: Path) -> list[Path]:
    """Data files of dlt's load packages: copies of rows outside the warehouse."""
    return [p for p in dlt_dir.glob("pipelines/*/load/*/*/*_jobs/*") if p.is_file()]


def staged_rows(workspace: PipelineWorkspace) -> dict[str, int]:
    return {
        table: workspace.query(f'select count(*) from "{STAGING}"."{table}"')[0][0]
        for table in workspace.tables(STAGING)
    }


def test_the_readme_example_gives_the_raw_tables_the_command_line_gives(
    simulator, small_org, tmp_path
):
    server = simulator(org=small_org, rate_limit=0)
    named = re.search(r"with_resources\((.*?)\)", readme_example()).group(1)
    buckets = [name.strip().strip('"') for name in named.split(",")]
    user, cli = PipelineWorkspace(tmp_path / "user"), PipelineWorkspace(tmp_path / "cli")
    for load in range(2):  # a first load, then one that replaces records and their lists
        if load:
            small_org.mutate_users(6, seed=load)
        run_as_a_user(readme_example(), user.root, server)
        run = cli.run(server, "--buckets", ",".join(buckets), token=SIMULATOR_TOKEN)
        assert run.returncode == 0, run.output
    # The example's DuckDB file is where a workspace rooted there keeps its own.
    assert_raw_matches_source(user, small_org, buckets)  # child rows of replaced versions: none
    ours, theirs = raw_snapshot(user.duckdb_path, RAW), raw_snapshot(cli.duckdb_path, RAW)
    assert {table.split("__")[0] for table in ours} == set(buckets)
    assert set(ours) == set(theirs)
    for table in ours:
        assert ours[table]["types"] == theirs[table]["types"], table
        assert ours[table]["rows"] == theirs[table]["rows"], table
    # Nor a second copy anywhere: the staging tables are empty, and no data file is left.
    for workspace in (user, cli):
        assert staged_rows(workspace) and set(staged_rows(workspace).values()) == {0}
        assert data_files(workspace.root / "dlt") == []


LOOP = """
import json, os, threading, time
import dlt
from impraise_source import finish_load, impraise

def sockets():
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except FileNotFoundError:
            continue  # the listing's own descriptor, closed by now
    return count

pipeline = dlt.pipeline(pipeline_name="loop", destination="duckdb", dataset_name="raw")
# Kept, as a scheduler keeps the sources it defines: what only the garbage collector
# would release stays.
sources = []

def load():
    sources.append(impraise(full_refresh=True, buckets=BUCKETS))
    pipeline.run(sources[-1])
    finish_load(pipeline)

load()  # dlt starts a few threads of its own once per process
before, open_sockets = set(threading.enumerate()), sockets()
for _ in range(LOADS):
    load()
started = [thread for thread in threading.enumerate() if thread not in before]
deadline = time.monotonic() + 10  # a page fetched ahead may still be on its way
for thread in started:
    thread.join(max(0.0, deadline - time.monotonic()))
print(json.dumps({
    "threads": sorted(thread.name for thread in started if thread.is_alive()),
    "sockets": [open_sockets, sockets()],
    "rows": pipeline.last_trace.last_normalize_info.row_counts,
}))
"""


def test_twenty_loads_in_one_process_leave_no_thread_or_socket_behind(
    simulator, small_org, tmp_path
):
    server = simulator(org=small_org, rate_limit=0)
    buckets = ["users", "feedback"]
    # Pages of 25: each bucket reads many pages, fetched ahead by the run's threads.
    script = LOOP.replace("BUCKETS", repr(buckets)).replace("LOADS", "20")
    env = {
        "SOURCES__IMPRAISE__MAX_ITEMS": "25",
        "SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "200",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    outcome = json.loads(run_as_a_user(script, tmp_path, server, env).splitlines()[-1])
    assert outcome["threads"] == []
    before, after = outcome["sockets"]
    assert after == before
    # Every load read every record: the threads did their work.
    assert {bucket: outcome["rows"][bucket] for bucket in buckets} == {
        bucket: len(small_org.records(bucket)) for bucket in buckets
    }
    assert os.path.exists(tmp_path / "loop.duckdb")
