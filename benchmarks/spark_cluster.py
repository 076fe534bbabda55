"""`dbt build` on Apache Spark: in dbt's own process, and on a standalone cluster.

    make bench-spark                          # the demo organisation (300 users), both ways
    make bench-spark ARGS=--models-only       # `dbt run`: the models without their tests

The demo organisation is loaded once with IMPRAISE_DESTINATION=spark (raw tables as
Parquet in a Spark metastore under a temporary directory). Then `dbt build` runs twice
from a fresh copy of that metastore: with the profile's session (`local[*]`), and on a
standalone cluster started here, a master and 2 workers of 1 core each on 127.0.0.1
(IMPRAISE_SPARK_MASTER=spark://127.0.0.1:<port>). Each build's time is printed beside the
other's, with the tasks each executor ran (from the workers' logs), which shows the work
was shared. See docs/benchmarks.md ("Spark").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from processes import PYTHON, REPO_ROOT, clean_env, free_port, measure

WORKERS = 2
WORKER_MEMORY = "1g"
BIN = PYTHON.parent
_TASK = re.compile(r"Executor: Running task ")


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


@contextlib.contextmanager
def standalone_cluster(work_dir: Path) -> Iterator[str]:
    """A master and WORKERS workers on 127.0.0.1; yields the master's URL."""
    port, ui_port = free_port(), free_port()
    env = clean_env({"SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1"})
    spark_class = str(spark_home() / "bin" / "spark-class")
    url = f"spark://127.0.0.1:{port}"
    logs = work_dir / "cluster-logs"
    logs.mkdir()
    daemons = [
        subprocess.Popen(
            [
                spark_class,
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(ui_port),
            ],
            env=env,
            stdout=(logs / "master.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
    ]
    for index in range(WORKERS):
        daemons.append(
            subprocess.Popen(
                [
                    spark_class,
                    "org.apache.spark.deploy.worker.Worker",
                    url,
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "1",
                    "--memory",
                    WORKER_MEMORY,
                    "--webui-port",
                    str(free_port()),
                    "--work-dir",
                    str(work_dir / f"worker-{index}"),
                ],
                env=env,
                stdout=(logs / f"worker-{index}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
    try:
        _wait_for_workers(ui_port)
        yield url
    finally:
        for daemon in daemons:
            daemon.terminate()
        for daemon in daemons:
            daemon.wait(timeout=60)


def _wait_for_workers(ui_port: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as page:
                alive = [w for w in json.load(page)["workers"] if w["state"] == "ALIVE"]
            if len(alive) == WORKERS:
                return
        time.sleep(1)
    raise SystemExit(f"the standalone cluster's {WORKERS} workers did not register in {timeout}s")


def tasks_per_executor(work_dir: Path) -> list[int]:
    """Tasks each executor ran, from its stderr under the workers' work directories."""
    return sorted(
        (
            len(_TASK.findall(log.read_text(errors="replace")))
            for log in work_dir.glob("worker-*/app-*/*/stderr")
        ),
        reverse=True,
    )


def dbt_build(
    spark_dir: Path, work_dir: Path, name: str, master: str | None, command: str
) -> float:
    env = {
        "IMPRAISE_DESTINATION": "spark",
        "IMPRAISE_SPARK_DIR": str(spark_dir),
        "DBT_PROJECT_DIR": "dbt_project",
        "DBT_PROFILES_DIR": "profiles",
        "DBT_TARGET_PATH": str(work_dir / f"{name}-target"),
        "DBT_LOG_PATH": str(work_dir / f"{name}-logs"),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    if master:
        env["IMPRAISE_SPARK_MASTER"] = master
    run = measure([str(BIN / "dbt"), command], clean_env(env), work_dir, name)
    summary = re.findall(r"Done\. PASS=\d+.*", run.stdout)
    if not run.ok or not summary:
        raise SystemExit(f"dbt {command} ({name}) failed; see {work_dir / name}.out")
    print(f"  {name}: {run.seconds:.0f} s, {summary[-1]}")
    return run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--models-only", action="store_true", help="dbt run (the models) instead of dbt build"
    )
    command = "run" if parser.parse_args().models_only else "build"
    with tempfile.TemporaryDirectory(prefix="impraise-bench-spark-") as tmp:
        work_dir = Path(tmp)
        loaded = work_dir / "loaded"
        load = measure(
            [str(PYTHON), str(REPO_ROOT / "pipelines" / "impraise.py"), "--demo"],
            clean_env(
                {
                    "IMPRAISE_DESTINATION": "spark",
                    "IMPRAISE_SPARK_DIR": str(loaded),
                    "IMPRAISE_DUCKDB_PATH": str(work_dir / "demo.duckdb"),
                    "DLT_DATA_DIR": str(work_dir / "dlt"),
                    "SPARK_LOCAL_IP": "127.0.0.1",
                }
            ),
            work_dir,
            "load",
        )
        if not load.ok:
            raise SystemExit(f"the load failed; see {work_dir / 'load.err'}")
        print(f"load and publish to Spark: {load.seconds:.0f} s")
        print(f"dbt {command}, the demo organisation:")
        session_dir, cluster_dir = work_dir / "session", work_dir / "cluster"
        shutil.copytree(loaded, session_dir)
        shutil.copytree(loaded, cluster_dir)
        session = dbt_build(session_dir, work_dir, "session", None, command)
        with standalone_cluster(work_dir) as master:
            cluster = dbt_build(cluster_dir, work_dir, "cluster", master, command)
        tasks = tasks_per_executor(work_dir)
        print(
            f"session {session:.0f} s, cluster of {WORKERS} workers {cluster:.0f} s "
            f"({cluster / session:.2f}x); tasks per executor: {'/'.join(map(str, tasks))}"
        )
        if len(tasks) < WORKERS or min(tasks) == 0:
            sys.exit("the cluster's executors did not all run tasks")


if __name__ == "__main__":
    main()
