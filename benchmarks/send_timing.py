"""Where a request's time goes between the client's limiter and the server's rate limit.

    .venv/bin/python benchmarks/send_timing.py --users 100000 [--latency-ms 400]
        [--jitter-ms 0] [--answer-rounds 1] [--keep DIR]

The simulator runs as `make bench` runs it (a separate process, 6 requests/s, its
arrivals log on), and the real command line loads it in a child process with hooks
that log, for every request, when the limiter granted it, when its bytes had been
written to the socket, and when its response headers were back. The two logs share
`time.monotonic()` (one machine) and are joined on the request target. Printed: the
delays from grant to write and from write to the server's stamp, and every span of 7
arrivals shorter than the server's one-second window, with what made it short.
The hooks only observe: they wrap the limiter's `acquire` (or `sending`, where a slot
counts from the write) and urllib3's connection.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import os
import runpy
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from processes import PYTHON, REPO_ROOT, Simulator, measure, pipeline_env

CLI = REPO_ROOT / "pipelines" / "impraise.py"
RATE_LIMIT = 6
WINDOW = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--latency-ms", type=int, default=400)
    parser.add_argument("--jitter-ms", type=int, default=0)
    parser.add_argument("--answer-rounds", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="copy both logs into this directory")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        _run_cli_with_hooks(args.child, rest)
        return
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="impraise-sends-") as tmp:
        workdir = Path(tmp)
        simulator = Simulator(
            args.users,
            args.latency_ms,
            token,
            workdir,
            jitter_ms=args.jitter_ms,
            answer_rounds=args.answer_rounds,
        )
        with simulator:
            print(
                f"{simulator.records:,} records, {args.latency_ms} ms, jitter "
                f"{args.jitter_ms} ms, simulator niceness {simulator.niceness}, load average "
                f"{os.getloadavg()}",
                flush=True,
            )
            mark = simulator.arrivals_mark()
            sends_log = workdir / "sends.txt"
            env = pipeline_env(simulator.url, token, workdir, RATE_LIMIT)
            command = [str(PYTHON), __file__, "--child", str(sends_log)]
            run = measure(command, env, workdir, "first-run")
            print(
                f"run: exit {run.returncode}, {run.seconds:.1f} s, load average {os.getloadavg()}",
                flush=True,
            )
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(sends_log, args.keep)
                shutil.copy(simulator.arrivals_path, args.keep)
            with simulator.arrivals_path.open() as log:
                log.seek(mark)
                arrivals = [line.split() for line in log]
            report(_read_sends(sends_log), arrivals)


def report(sends: dict[str, list[float]], arrivals: list[list[str]]) -> None:
    """The delays, and the short spans of 7 arrivals with each request's own delays."""
    joined = []
    for at, status, target in arrivals:
        send = sends.get(target)
        if send:
            joined.append((float(at), status, target, *send))
    print(f"{len(arrivals)} arrivals, {len(joined)} joined to a send")
    to_write = [written - granted for _, _, _, granted, written, _ in joined]
    to_arrival = [at - written for at, _, _, _, written, _ in joined]
    _distribution("grant -> bytes written", to_write)
    _distribution("bytes written -> server stamp", to_arrival)
    _distribution(
        "grant -> server stamp", [a + b for a, b in zip(to_write, to_arrival, strict=True)]
    )
    _distribution("bytes written -> response headers", [h - w for *_, w, h in joined])
    joined.sort()
    short = 0
    span = RATE_LIMIT + 1
    for first, last in zip(joined, joined[span - 1 :], strict=False):
        if last[0] - first[0] >= WINDOW:
            continue
        short += 1
        print(
            f"  {span} arrivals in {last[0] - first[0]:.3f} s ({last[1]}): first {first[2]} "
            f"held {1000 * (first[4] - first[3]):.1f} ms after its grant and stamped "
            f"{1000 * (first[0] - first[4]):.1f} ms after its write; last {last[2]} "
            f"{1000 * (last[4] - last[3]):.1f} and {1000 * (last[0] - last[4]):.1f} ms; "
            f"their grants {last[3] - first[3]:.3f} s apart"
        )
    print(f"{short} spans of {span} arrivals under {WINDOW:g} s")


def _distribution(name: str, values: list[float]) -> None:
    if not values:
        return
    ordered = sorted(values)

    def quantile(q: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    print(
        f"{name}: median {quantile(0.5):.1f} ms, p99 {quantile(0.99):.1f} ms, "
        f"p99.9 {quantile(0.999):.1f} ms, max {1000 * ordered[-1]:.1f} ms"
    )


def _read_sends(path: Path) -> dict[str, list[float]]:
    """{target: [granted, written, headers]}, the last attempt of each target."""
    sends = {}
    for line in path.read_text().splitlines():
        granted, written, headers, target = line.split(" ", 3)
        sends[target] = [float(granted), float(written), float(headers)]
    return sends


def _run_cli_with_hooks(log_path: Path, argv: list[str]) -> None:
    """Run the command line in this process, logging each request's three instants."""
    import urllib3.connection
    from impraise_source import rate_limit

    local = threading.local()
    lock = threading.Lock()
    log = log_path.open("w")
    atexit.register(log.close)

    def after(original, record):
        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            record(args, result)
            return result

        return wrapper

    def granted(_args, _result) -> None:
        local.granted = time.monotonic()

    def sending(original):
        @functools.wraps(original)
        @contextlib.contextmanager
        def wrapper(*args, **kwargs):
            with original(*args, **kwargs) as slot:
                local.granted = time.monotonic()
                yield slot

        return wrapper

    def written(args, _result) -> None:
        local.written, local.target = time.monotonic(), args[2]

    def answered(_args, _result) -> None:
        line = f"{local.granted:.6f} {local.written:.6f} {time.monotonic():.6f} {local.target}\n"
        with lock:
            log.write(line)
            log.flush()

    limiter = rate_limit.SlidingWindowLimiter
    limiter.acquire = after(limiter.acquire, granted)
    if hasattr(limiter, "sending"):
        limiter.sending = sending(limiter.sending)
    connection = urllib3.connection.HTTPConnection
    connection.request = after(connection.request, written)
    connection.getresponse = after(connection.getresponse, answered)
    sys.argv = [str(CLI), *argv]
    sys.path.insert(0, str(CLI.parent))
    runpy.run_path(str(CLI), run_name="__main__")


if __name__ == "__main__":
    main()
