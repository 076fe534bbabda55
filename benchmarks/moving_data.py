"""What data that moves costs a run, and what it loses: requests, shifts, missing records.

    .venv/bin/python benchmarks/moving_data.py [--users 400] [--cli path/to/impraise.py]

The simulator serves one organisation in this process, without a rate limit (the figures
are requests, not seconds), and the command line loads it in each scenario:

- a first load and a plain run with nothing moving;
- a plain run after 6 records were deleted between runs;
- a first load during which 12 records are deleted, each one the request's offset has
  passed, then a plain run (creation order);
- the same with 12 records changed, the API serving `updatedAt` order.

Per run it prints the requests (those reading pages, and the count reconciliation's
small pages), the shifts noticed and the requests spent on them, and, against the
simulator's records, the records missing from the raw tables and the live rows of
records the API no longer holds. `--cli` runs another checkout's command line against
the same simulator, to measure the code before a change.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from pathlib import Path

import duckdb
from impraise_simulator import Organisation, SimulatorServer, Switches
from processes import PYTHON, REPO_ROOT, clean_env, measure
from run import parse_summary

# Twelve points of the first load, in the buckets with the most pages.
POINTS = {
    "feedback": (2, 4),
    "review_participants": (2, 4, 6),
    "review_answers": (2, 4, 6, 8, 9, 10, 11),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--cli", type=Path, default=REPO_ROOT / "pipelines" / "impraise.py")
    args = parser.parse_args()
    header = (
        "| scenario | run | requests | reading | count pages | shifts | rereads "
        "| missing | deleted yet live |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    quiet(args)
    moving(args, "12 deleted during the first load", "delete", {})
    moving(
        args, "12 changed during the first load, updatedAt order", "update", {"updated_order": True}
    )


def quiet(args: argparse.Namespace) -> None:
    org = Organisation.generate(users=args.users, seed=1)
    with _Bench(args, org, Switches(rate_limit=0)) as bench:
        bench.run("nothing moving", "first load")
        bench.run("nothing moving", "plain run, no change")
        for bucket in ("feedback", "review_participants", "review_answers"):
            for record in org.records(bucket)[100::700][:2]:
                org.delete(bucket, record["id"])
        bench.run("6 deleted between runs", "plain run")
        bench.run("6 deleted between runs", "plain run after it")


def moving(args: argparse.Namespace, name: str, kind: str, switches: dict) -> None:
    org = Organisation.generate(users=args.users, seed=1)
    moves = tuple(f"{kind}:{bucket}@{','.join(map(str, at))}" for bucket, at in POINTS.items())
    with _Bench(args, org, Switches(rate_limit=0, moves=moves, **switches)) as bench:
        bench.run(name, "first load")
        bench.server.switches.moves = ()
        bench.run(name, "plain run")


class _Bench:
    def __init__(self, args: argparse.Namespace, org: Organisation, switches: Switches) -> None:
        self.org, self.cli = org, args.cli
        self.token = secrets.token_urlsafe(16)
        self.server = SimulatorServer(org, token=self.token, switches=switches)
        self._tmp = tempfile.TemporaryDirectory(prefix="impraise-moving-")
        self.workdir = Path(self._tmp.name)

    def __enter__(self) -> _Bench:
        self.server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stop()
        self._tmp.cleanup()

    def run(self, scenario: str, label: str) -> None:
        self.server.clear_log()
        env = clean_env(
            {
                "SOURCES__IMPRAISE__API_TOKEN": self.token,
                "SOURCES__IMPRAISE__BASE_URL": self.server.url,
                "SOURCES__IMPRAISE__REQUESTS_PER_SECOND": "200",
                "IMPRAISE_DUCKDB_PATH": str(self.workdir / "bench.duckdb"),
                "DLT_DATA_DIR": str(self.workdir / "dlt"),
            }
        )
        run = measure([str(PYTHON), str(self.cli)], env, self.workdir, label)
        if not run.ok:
            print(f"| {scenario} | {label} | failed: {run.stderr.strip()[-200:]} |")
            return
        log = self.server.request_log
        probes = sum(
            1 for e in log if e.params.get("maxItems") in ("1", "2") or "before" in e.params
        )
        total = parse_summary(run.stdout).get("total", {})
        missing, stale = self._against_the_source()
        print(
            f"| {scenario} | {label} | {len(log)} | {len(log) - probes} | {probes} "
            f"| {total.get('shifts', '-')} | {total.get('rereads', '-')} | {missing} | {stale} |"
        )

    def _against_the_source(self) -> tuple[int, int]:
        missing = stale = 0
        with duckdb.connect(str(self.workdir / "bench.duckdb"), read_only=True) as connection:
            columns = {
                row[0]
                for row in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'impraise_raw' and table_name = 'users'"
                ).fetchall()
            }
            live = "_deleted_at is null" if "_deleted_at" in columns else "true"
            for bucket in self.org.buckets:
                ids = {r["id"] for r in self.org.records(bucket)}
                query = f"select id from impraise_raw.{bucket} where {live}"
                loaded = {row[0] for row in connection.execute(query).fetchall()}
                missing += len(ids - loaded)
                stale += len(loaded - ids)
        return missing, stale


def _is_count_page(params: dict[str, str]) -> bool:
    """One of the count reconciliation's requests: a page of one or two records, or one
    of a `before` window (impraise_source's counting.py and reconcile.py)."""
    return params.get("maxItems") in ("1", "2") or "before" in params


if __name__ == "__main__":
    main()
