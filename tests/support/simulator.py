"""Fixtures for the Impraise API simulator: organisations and running servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from impraise_simulator import Organisation, SimulatorServer, Switches

SIMULATOR_TOKEN = "simulator-test-token-3f9a"  # a test-only token the simulators accept
SMALL_ORG_USERS = 60
SMALL_ORG_SEED = 7

StartSimulator = Callable[..., SimulatorServer]


@pytest.fixture
def small_org() -> Organisation:
    """A fresh organisation of 60 users (about 3,300 records); tests may mutate it."""
    return Organisation.generate(users=SMALL_ORG_USERS, seed=SMALL_ORG_SEED)


@pytest.fixture
def simulator() -> Iterator[StartSimulator]:
    """A factory: simulator(org=None, token=..., **switches) -> a started SimulatorServer.

    It listens on 127.0.0.1 on a free port and stops at teardown. Without `org` it serves
    a fresh small organisation; keyword arguments are `Switches` fields.
    """
    servers: list[SimulatorServer] = []

    def start(
        org: Organisation | None = None, token: str = SIMULATOR_TOKEN, **switches: Any
    ) -> SimulatorServer:
        if org is None:
            org = Organisation.generate(users=SMALL_ORG_USERS, seed=SMALL_ORG_SEED)
        server = SimulatorServer(org, token=token, switches=Switches(**switches))
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
