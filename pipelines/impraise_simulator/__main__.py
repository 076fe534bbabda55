"""Run the simulator on its own: ``python -m impraise_simulator --port 8080``.

Every field of `Switches` is a flag (--rate-limit, --omit-next, ...), with its help.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import signal
import threading
from collections.abc import Sequence
from typing import Any

from .organisation import Organisation
from .server import SimulatorServer
from .switches import NEXT_STYLES, ROOT_SHAPES, Switches

TOKEN_VARIABLE = "IMPRAISE_SIMULATOR_TOKEN"


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    switches = Switches(
        **{spec.name: getattr(args, _dest(spec)) for spec in dataclasses.fields(Switches)}
    )
    token = args.token or os.environ.get(TOKEN_VARIABLE)
    if not token:
        token = secrets.token_urlsafe(24)
        # The one place a token is shown: the simulator's own throwaway token.
        print(f"No token given; generated one. export SOURCES__IMPRAISE__API_TOKEN={token}")
    org = Organisation.generate(users=args.users, seed=args.seed, answer_rounds=args.answer_rounds)
    stopped = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopped.set())
    with contextlib.ExitStack() as stack:
        arrivals = stack.enter_context(open(args.arrivals_log, "a")) if args.arrivals_log else None
        server = SimulatorServer(
            org, token=token, host=args.host, port=args.port, switches=switches, arrivals=arrivals
        )
        stack.enter_context(server)
        print(
            f"Impraise simulator at {server.url}: {org.count():,} records "
            f"({args.users} users, seed {args.seed}). Ctrl-C to stop.",
            flush=True,
        )
        stopped.wait()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m impraise_simulator",
        description="Serve a synthetic organisation through a simulated Impraise Analytics API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (0: any)")
    parser.add_argument("--users", type=int, default=200, help="size of the organisation")
    parser.add_argument("--seed", type=int, default=1, help="seed of the organisation's data")
    parser.add_argument(
        "--answer-rounds",
        type=int,
        default=1,
        metavar="N",
        help="review questionnaires N times longer, so review answers dominate the "
        "organisation (3: 71%% of its pages)",
    )
    parser.add_argument(
        "--token",
        help=f"bearer token to accept (default: ${TOKEN_VARIABLE}). Without either, a "
        "throwaway token is generated and printed, the only token this tool ever prints",
    )
    parser.add_argument(
        "--arrivals-log",
        metavar="PATH",
        help="append each request's arrival time (time.monotonic()), status and target "
        "(path?query) to PATH, one line per request, so a benchmark can see how close its "
        "client came to the limit",
    )
    switches = parser.add_argument_group("switches (how the API behaves)")
    for spec in dataclasses.fields(Switches):
        switches.add_argument(
            "--" + _dest(spec).replace("_", "-"), **_flag_options(spec), help=spec.metadata["help"]
        )
    return parser


def _dest(spec: dataclasses.Field) -> str:
    """The flag of a switch: its name, except `seed`, since --seed seeds the data."""
    return "fault_seed" if spec.name == "seed" else spec.name


def _flag_options(spec: dataclasses.Field) -> dict[str, Any]:
    default = spec.default
    options: dict[str, Any] = {"default": default, "dest": _dest(spec)}
    if isinstance(default, bool):
        options["action"] = argparse.BooleanOptionalAction
    elif isinstance(default, tuple):
        metavars = {"renamed": "CANONICAL=LISTED", "moves": "KIND:BUCKET@N"}
        metavar = metavars.get(spec.name, "BUCKET")
        options.update(nargs="*", metavar=metavar)
    elif default is None:
        options["metavar"] = "BUCKET"
    else:
        options["type"] = type(default)
    choices = {"root_shape": ROOT_SHAPES, "next_style": NEXT_STYLES}
    if spec.name in choices:
        options["choices"] = choices[spec.name]
    return options


if __name__ == "__main__":
    main()
