"""A simulator of the Impraise Analytics API: a real HTTP server over synthetic data.

It implements the "Assumed" behaviour of the API contract (docs: impraise-api.md), and
switches and one-shot faults produce every case a client must tolerate::

    from impraise_simulator import Organisation, SimulatorServer, Switches

    org = Organisation.generate(users=200, seed=1)
    with SimulatorServer(org, token="secret", switches=Switches(rate_limit=6)) as server:
        ...  # point a client at server.url

Run it on its own with ``python -m impraise_simulator --port 8080``.
"""

from .organisation import BUCKETS, Organisation
from .server import LoggedRequest, SimulatorServer
from .switches import FAULTS, ROOT_SHAPES, Switches

__all__ = [
    "BUCKETS",
    "FAULTS",
    "ROOT_SHAPES",
    "LoggedRequest",
    "Organisation",
    "SimulatorServer",
    "Switches",
]
