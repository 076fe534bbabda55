"""Crash recovery and concurrent runs, with real processes.

A run killed with SIGKILL at any moment (extracting, with a package extracted,
normalizing, loading, just loaded) loses nothing: the next single run finishes what
was pending, then reads on, with no duplicates and no cursor ahead of the loaded data.
A second run started while one is running refuses (exit 5) and corrupts nothing.
"""

from __future__ import annotations

import functools
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from impraise_simulator import Organisation

from tests.support.pipeline import PipelineWorkspace
from tests.support.tally import TALLY
from tests.support.truth import assert_raw_matches_source

TOKEN = "tkn-recovery-0c8d5e21"
# Large enough, and slow enough per request, that every step of a run lasts a while.
USERS = 300
LATENCY_MS = 50
ENV = {"SOURCES__IMPRAISE__MAX_ITEMS": "200"}
GUARD_SECONDS = 120
PENDING = "finishing load packages left by an earlier run"


@functools.cache
def _generated_org() -> Organisation:
    return Organisation.generate(users=USERS, seed=11)


@pytest.fixture
def larger_org() -> Organisation:
    """A fresh copy of a 300-user organisation (about 17,000 records)."""
    return _generated_org().copy()


def _packages(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []


def _completed_jobs(workspace: PipelineWorkspace) -> int:
    return sum(
        len(list((package / "completed_jobs").glob("*")))
        for package in _packages(workspace.pipeline_dir / "load" / "normalized")
    )


# moment -> (condition that says the run has reached it, whether a package is pending)
Moment = Callable[[PipelineWorkspace, object], bool]
MOMENTS: dict[str, tuple[Moment, bool]] = {
    # Pages are being read; nothing is committed yet.
    "extracting": (lambda ws, server: sum(1 for r in server.request_log if r.bucket) >= 15, False),
    # The extract package is committed (state with it), normalizing has not begun.
    "extracted": (
        lambda ws, server: bool(_packages(ws.pipeline_dir / "normalize" / "extracted")),
        True,
    ),
    # Normalized files are being written.
    "normalizing": (lambda ws, server: bool(_packages(ws.pipeline_dir / "load" / "new")), True),
    # Some tables are loaded, others are not.
    "loading": (lambda ws, server: _completed_jobs(ws) >= 3, True),
    # Everything is loaded; the run was about to print its summary.
    "loaded": (lambda ws, server: bool(_packages(ws.pipeline_dir / "load" / "loaded")), False),
}


def wait_for(process: subprocess.Popen, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        if process.poll() is not None:
            output = process.communicate()
            pytest.fail(f"the run ended (exit {process.returncode}) before {what}: {output}")
        assert time.monotonic() < deadline, f"never reached: {what}"
        time.sleep(0.005)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    TALLY.add(runs_killed=1)


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_one_run_recovers_from_a_kill(simulator, larger_org, workspace: PipelineWorkspace, moment):
    reached, pending = MOMENTS[moment]
    if moment == "normalizing":
        # Pages that match the declared columns arrive as parquet, which normalize only
        # moves in an instant; a field the project does not declare sends every page
        # through dlt's JSON normalizer, which lasts seconds at this size.
        for bucket in larger_org.buckets:
            larger_org.add_field(bucket, "legacyRef", lambda record: f"ref-{record['id']}")
    server = simulator(org=larger_org, token=TOKEN, rate_limit=0, latency_ms=LATENCY_MS)
    process = workspace.start(server, token=TOKEN, env=ENV)
    wait_for(process, lambda: reached(workspace, server), moment)
    kill(process)
    # The organisation moves on while the pipeline is down.
    larger_org.mutate_users(10, seed=31)
    for record in larger_org.records("feedback")[::500]:
        larger_org.update("feedback", record["id"], comment="changed after the kill")
    run = workspace.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
    assert run.returncode == 0, run.output
    assert (PENDING in run.stdout) == pending, run.stdout
    # Changes made while the pipeline was down are in: no cursor ran ahead of the data.
    assert_raw_matches_source(workspace, larger_org)


def test_killed_twice_then_one_run(simulator, larger_org, workspace: PipelineWorkspace):
    """A kill during loading, then a kill of the run that was finishing that package."""
    server = simulator(org=larger_org, token=TOKEN, rate_limit=0, latency_ms=LATENCY_MS)
    process = workspace.start(server, token=TOKEN, env=ENV)
    wait_for(process, lambda: _completed_jobs(workspace) >= 3, "loading")
    kill(process)
    done = _completed_jobs(workspace)
    larger_org.mutate_users(6, seed=33)
    process = workspace.start(server, token=TOKEN, env=ENV)
    wait_for(process, lambda: _completed_jobs(workspace) > done, "loading the pending package")
    kill(process)
    run = workspace.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
    assert run.returncode == 0, run.output
    assert_raw_matches_source(workspace, larger_org)


def test_a_second_run_refuses_while_one_runs(simulator, larger_org, workspace: PipelineWorkspace):
    """The first run's pages are slow, so its extraction outlasts the second's start-up;
    its later steps may not, and a second run that finds the first gone simply runs."""
    server = simulator(org=larger_org, token=TOKEN, rate_limit=0, latency_ms=300)
    first = workspace.start(server, token=TOKEN, env=ENV)
    lock = workspace.pipeline_dir.parent / "impraise.lock"
    stages = {
        "extracting": lambda: lock.is_file() and lock.read_text().strip() == str(first.pid),
        "extracted": lambda: bool(_packages(workspace.pipeline_dir / "normalize" / "extracted")),
    }
    overlapped = 0
    for stage, reached in stages.items():
        wait_for(first, reached, stage)
        started = time.monotonic()
        second = workspace.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
        assert time.monotonic() - started < 30
        assert "Traceback" not in second.output
        if first.poll() is not None:  # the first run had finished: no overlap
            assert second.returncode == 0, (stage, second.output)
            continue
        overlapped += 1
        assert second.returncode == 5, (stage, second.output)
        lines = second.stderr.strip().splitlines()
        # Refused by the pipeline's lock or, while the first run reconciles its counts
        # against the warehouse, by the DuckDB file it holds: either way one line, exit 5.
        assert len(lines) == 1, (stage, second.output)
        assert any(
            refusal in lines[0]
            for refusal in ("another run of this pipeline is in progress", "is in use by")
        ), (stage, second.output)
    assert overlapped >= 1
    stdout, stderr = first.communicate(timeout=GUARD_SECONDS)
    assert first.returncode == 0, stdout + stderr
    assert_raw_matches_source(workspace, larger_org)
    larger_org.mutate_users(5, seed=34)
    run = workspace.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
    assert run.returncode == 0 and PENDING not in run.stdout, run.output
    assert_raw_matches_source(workspace, larger_org)


def _replayable(workspace: PipelineWorkspace) -> list[Path]:
    """Files of the pending package that a resumed load would load again and double: a
    nested table's, loaded into staging while its chain's merge has not run yet.

    A bucket's own file loaded again doubles nothing: the merge keeps one row per primary
    key. Nor does a nested file whose merge is done: the resumed load does not merge again.
    """
    packages = _packages(workspace.pipeline_dir / "load" / "normalized")
    done = [job for package in packages for job in (package / "completed_jobs").glob("*")]

    def root_table(job: Path) -> str:
        return job.name.split(".")[0].split("__")[0]

    merged = {root_table(job) for job in done if job.suffix == ".sql"}
    return [
        job
        for job in done
        if job.suffix == ".parquet" and "__" in job.name and root_table(job) not in merged
    ]


def test_a_file_loaded_again_by_the_resumed_load_is_not_doubled(
    simulator, larger_org, workspace: PipelineWorkspace
):
    """The race a kill can hit, made certain: a file reached the staging table but dlt had
    not recorded its job as done, so the run that finishes the package loads it again."""
    server = simulator(org=larger_org, token=TOKEN, rate_limit=0, latency_ms=LATENCY_MS)
    # The kill must land after a file is loaded and before its table is merged: a short
    # window, so a miss starts over in a fresh place.
    # On a loaded machine a run can also finish before the window is seen: that too is
    # a miss, not a failure.
    replay = []
    for attempt in range(6):
        here = PipelineWorkspace(workspace.root / f"attempt{attempt}")
        process = here.start(server, token=TOKEN, env=ENV)
        deadline = time.monotonic() + GUARD_SECONDS
        while not _replayable(here) and process.poll() is None:
            assert time.monotonic() < deadline, "never reached: a loaded, unmerged file"
            time.sleep(0.005)
        if process.poll() is not None:
            process.communicate()
            continue
        kill(process)
        replay = _replayable(here)
        if replay:
            break
    assert replay, "the kill never landed between a file's load and its merge"
    for job in replay:
        job.rename(job.parent.parent / "started_jobs" / job.name)
    run = here.run(server, token=TOKEN, env=ENV, timeout=GUARD_SECONDS)
    assert run.returncode == 0, run.output
    assert_raw_matches_source(here, larger_org)  # no row twice
    assert "copies of rows loaded twice by the interrupted load" in run.stdout
