"""A run stopped from outside (issue 20, items 9 and 10): Ctrl-C early and late, a disk
that fills up, a kill. Each ends in one line with its exit code, leaves no file anyone
but its owner can read, and the next run gives the warehouse a clean load would.

A full disk is a real one: a tmpfs of a few hundred kilobytes (tests/support/filesystems.py),
grown afterwards as an operator would free space.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time

from impraise_simulator import Organisation

from tests.support.filesystems import grow, small_filesystem
from tests.support.pipeline import PipelineWorkspace
from tests.support.tally import TALLY
from tests.support.truth import assert_raw_matches_source

TOKEN = "tkn-interrupted-8c2f"
# Small pages and some latency: an extract of a few seconds, with room to land a signal.
ENV = {"SOURCES__IMPRAISE__MAX_ITEMS": "100"}
GUARD_SECONDS = 120
INTERRUPTED = "impraise: error: interrupted by Ctrl-C (SIGINT)"


@functools.cache
def _generated_org() -> Organisation:
    return Organisation.generate(users=150, seed=17)


def organisation() -> Organisation:
    """A fresh copy of a 150-user organisation (about 8,500 records)."""
    return _generated_org().copy()


def wait_for(condition, process: subprocess.Popen) -> bool:
    """Poll until `condition()` holds; False when the run ended first."""
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.005)
    return True


def loading(workspace: PipelineWorkspace) -> bool:
    """The load step has begun: a normalized package has a job started or done."""
    normalized = workspace.pipeline_dir / "load" / "normalized"
    return any(normalized.glob("*/started_jobs/*")) or any(normalized.glob("*/completed_jobs/*"))


def interrupt(process: subprocess.Popen) -> tuple[int, list[str]]:
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=GUARD_SECONDS)
    return process.returncode, stderr.strip().splitlines()


def test_ctrl_c_early_in_a_run_is_one_line_and_loses_nothing(simulator, workspace):
    org = organisation()
    server = simulator(org=org, token=TOKEN, rate_limit=0, latency_ms=30)
    process = workspace.start(server, token=TOKEN, env=ENV)
    assert wait_for(lambda: any(r.bucket for r in server.request_log), process)
    code, lines = interrupt(process)
    assert code == 130 and len(lines) == 1, lines
    assert lines[0].startswith(INTERRUPTED) and "nothing is lost" in lines[0], lines
    rerun = workspace.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
    assert rerun.returncode == 0, rerun.output
    assert_raw_matches_source(workspace, org)


def test_ctrl_c_late_in_a_load_is_one_line_and_loses_nothing(simulator, tmp_path):
    """Ctrl-C once the load step has begun: dlt holds the signal until a safe point; the
    run ends in one line, and the next run finishes the package it left."""
    org = organisation()
    server = simulator(org=org, token=TOKEN, rate_limit=0)
    # The load is a short window: a run that ends before it is seen starts over.
    for attempt in range(6):
        workspace = PipelineWorkspace(tmp_path / f"attempt{attempt}")
        process = workspace.start(server, token=TOKEN, env=ENV)
        if not wait_for(lambda: loading(workspace), process):  # noqa: B023
            process.communicate()
            continue
        code, lines = interrupt(process)
        if code == 0:
            continue  # the signal came as the load finished: nothing to interrupt
        break
    else:
        raise AssertionError("no attempt was interrupted while loading")
    assert code == 130 and len(lines) == 1, lines
    assert lines[0].startswith(f"{INTERRUPTED} during the load step"), lines
    rerun = workspace.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
    assert rerun.returncode == 0, rerun.output
    assert "finishing load packages left by an earlier run" in rerun.stdout, rerun.stdout
    assert_raw_matches_source(workspace, org)


def test_a_killed_load_leaves_only_files_its_owner_can_read(simulator, workspace):
    """Killed mid-load (SIGKILL: no cleanup at all) under the usual umask 022: what it
    left in DLT_DATA_DIR, load packages with personal data included, is 0600 and 0700."""
    org = organisation()
    server = simulator(org=org, token=TOKEN, rate_limit=0)
    previous = os.umask(0o022)
    try:
        process = workspace.start(server, token=TOKEN, env=ENV)
    finally:
        os.umask(previous)
    assert wait_for(lambda: loading(workspace), process), "the run ended before loading"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    TALLY.add(runs_killed=1)
    left = list((workspace.root / "dlt").rglob("*"))
    assert any(path.suffix == ".parquet" for path in left), "the kill left no load file"
    exposed = [f"{p} {oct(p.stat().st_mode & 0o777)}" for p in left if p.stat().st_mode & 0o077]
    assert exposed == []
    rerun = workspace.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
    assert rerun.returncode == 0, rerun.output
    assert_raw_matches_source(workspace, org)


def test_a_full_disk_says_so_and_where(simulator, tmp_path):
    """DLT_DATA_DIR, then the DuckDB file's directory, on a disk too small for the load:
    one line that says "no space left on device" and names the place, exit 1; once the
    disk has room, the next run loads everything."""
    org = organisation()
    server = simulator(org=org, token=TOKEN, rate_limit=0)
    full = tmp_path / "full"
    for setting, size in (("DLT_DATA_DIR", "256k"), ("IMPRAISE_DUCKDB_PATH", "1m")):
        workspace = PipelineWorkspace(tmp_path / setting)
        with small_filesystem(full, size):
            if setting == "DLT_DATA_DIR":
                env = {**ENV, setting: str(full)}
                where = f"{full} (DLT_DATA_DIR)"
            else:
                env = {**ENV, setting: str(full / "w.duckdb")}
                where = str(full / "w.duckdb")  # its journal, w.duckdb.wal, as DuckDB says
                workspace.duckdb_path.symlink_to(full / "w.duckdb")  # to read it there
            run = workspace.run(server, token=TOKEN, env=env, timeout=GUARD_SECONDS)
            lines = run.stderr.strip().splitlines()
            assert run.returncode == 1 and len(lines) == 1, run.output[-3000:]
            assert lines[0].startswith(f"impraise: error: no space left on device writing {where}")
            grow(full, "64m")
            rerun = workspace.run(server, token=TOKEN, env=env, timeout=GUARD_SECONDS)
            assert rerun.returncode == 0, rerun.output[-3000:]
            assert_raw_matches_source(workspace, org)
