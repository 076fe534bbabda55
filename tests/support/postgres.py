"""A throwaway PostgreSQL server for tests.

The session-scoped ``postgres`` fixture yields a :class:`PostgresServer`. By default it
initialises a private cluster in a temp dir, listening on 127.0.0.1 only, on a free port,
with password auth so that tests go through the same libpq variables (PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE) as a real deployment. With ``IMPRAISE_TEST_PG_EXTERNAL=1``
it uses the server those PG* variables already point at (CI's service container).

When the PostgreSQL binaries are missing, tests that need the fixture are skipped, unless
``IMPRAISE_REQUIRE_POSTGRES=1``, where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

# postgres refuses to run as root, so as root the cluster is run by this system user.
SERVICE_USER = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def env(self) -> dict[str, str]:
        """libpq environment variables for the server's main database."""
        return self.env_for(self.dbname)

    def env_for(self, dbname: str) -> dict[str, str]:
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": dbname,
        }

    def create_database(self, name: str) -> dict[str, str]:
        """(Re)create an empty database and return the libpq env pointing at it."""
        conn = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.dbname,
        )
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
        try:
            with conn.cursor() as cur:
                # Dropping first keeps reruns against a long-lived external server clean.
                ident = sql.Identifier(name)
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
                cur.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        finally:
            conn.close()
        return self.env_for(name)


def _unavailable(reason: str) -> None:
    if os.environ.get("IMPRAISE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (and IMPRAISE_REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    # Another process could take the port before postgres binds it; unlikely enough here.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], cwd: Path) -> None:
    """Run a PostgreSQL tool, as the service user when we are root."""
    if os.geteuid() == 0:
        args = ["su", SERVICE_USER, "-s", "/bin/sh", "-c", shlex.join(args)]
    # The caller's cwd (e.g. under /root) may be closed to the service user, who must
    # be able to enter it.
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(args)} failed with exit code {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


def _external_server() -> PostgresServer:
    env = os.environ
    missing = [k for k in ("PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE") if not env.get(k)]
    if missing:
        pytest.fail(f"IMPRAISE_TEST_PG_EXTERNAL=1 but {', '.join(missing)} not set", pytrace=False)
    return PostgresServer(
        host=env["PGHOST"],
        port=int(env.get("PGPORT", "5432")),
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        dbname=env["PGDATABASE"],
    )


def _start_cluster(workdir: Path) -> PostgresServer:
    server = PostgresServer(
        host="127.0.0.1",
        port=_free_port(),
        user="impraise",
        password=secrets.token_urlsafe(16),
        dbname="postgres",
    )
    datadir = workdir / "data"
    pwfile = workdir / "pwfile"
    pwfile.write_text(server.password + "\n")
    if os.geteuid() == 0:
        service = pwd.getpwnam(SERVICE_USER)
        for path in (workdir, pwfile):
            os.chown(path, service.pw_uid, service.pw_gid)

    _run(
        [
            "initdb",
            f"--pgdata={datadir}",
            f"--username={server.user}",
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            # A fixed C locale: the host's LANG may name a locale that is not installed.
            "--no-locale",
            "--encoding=UTF8",
            "--no-sync",
        ],
        cwd=workdir,
    )
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(server.port),
        # TCP only: no socket in a system dir we may not own, and tests use the TCP path.
        "unix_socket_directories": "''",
        # Durability is pointless for a throwaway cluster and slows every DDL statement.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    with (datadir / "postgresql.conf").open("a") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    log = workdir / "server.log"
    try:
        _run(["pg_ctl", f"--pgdata={datadir}", f"--log={log}", "-w", "start"], cwd=workdir)
    except RuntimeError as exc:
        # pg_ctl only says "examine the log output": show it.
        raise RuntimeError(f"{exc}\nserver log:\n{log.read_text()}") from None
    return server


def _stop_cluster(workdir: Path) -> None:
    _run(["pg_ctl", f"--pgdata={workdir / 'data'}", "-m", "immediate", "-w", "stop"], cwd=workdir)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if os.environ.get("IMPRAISE_TEST_PG_EXTERNAL") == "1":
        yield _external_server()
        return

    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        _unavailable("PostgreSQL binaries (initdb, pg_ctl) not found on PATH")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            _unavailable(f"running as root and there is no '{SERVICE_USER}' user to run PostgreSQL")

    # mkdtemp directly under the system temp dir, which the service user can traverse
    # (pytest's tmp_path lives under a root-only directory).
    workdir = Path(tempfile.mkdtemp(prefix="impraise-pg-"))
    try:
        server = _start_cluster(workdir)
        try:
            yield server
        finally:
            _stop_cluster(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres: PostgresServer, request: pytest.FixtureRequest) -> dict[str, str]:
    """A fresh database for one test, named after it; returns its libpq env."""
    name = "test_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())
    return postgres.create_database(name[:63])  # PostgreSQL truncates identifiers at 63
