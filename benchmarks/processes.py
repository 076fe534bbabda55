"""Child processes of a benchmark: the API simulator, and commands measured while they run."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
# How often the resident memory of a measured process tree is sampled.
RSS_POLL_SECONDS = 0.1
# The simulator's scheduling priority where allowed (see Simulator._raise_priority).
SIMULATOR_NICENESS = -10
# Variables of the developer's own setup that must not leak into a benchmark run.
ISOLATED_PREFIXES = ("SOURCES__", "DESTINATION__", "RUNTIME__", "IMPRAISE_", "DLT_", "DBT_")

_URL = re.compile(r"https?://[\w.\-]+:\d+")
_RECORDS = re.compile(r"([\d][\d,_]*)\s+records")


@dataclass
class Measured:
    """What one finished command cost."""

    returncode: int
    seconds: float
    # (time.time(), resident bytes of the process tree), every RSS_POLL_SECONDS.
    rss_samples: list[tuple[float, int]]
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def peak_rss_bytes(self) -> int:
        return max((rss for _, rss in self.rss_samples), default=0)

    def peak_rss_between(self, start: float, end: float) -> int:
        """Peak resident bytes sampled between two time.time() instants."""
        return max((rss for at, rss in self.rss_samples if start <= at <= end), default=0)


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without project settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
    env.update(extra)
    return env


def pipeline_env(url: str, token: str, workdir: Path, rate_limit: float = 6) -> dict[str, str]:
    """The environment of one run of our command line against the simulator at `url`:
    its warehouse and dlt's working directory in `workdir`, nothing of the developer's."""
    return clean_env(
        {
            "SOURCES__IMPRAISE__API_TOKEN": token,
            "SOURCES__IMPRAISE__BASE_URL": url,
            "SOURCES__IMPRAISE__REQUESTS_PER_SECOND": f"{rate_limit:g}",
            "IMPRAISE_DUCKDB_PATH": str(workdir / "bench.duckdb"),
            "DLT_DATA_DIR": str(workdir / "dlt"),
        }
    )


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # it exited between listing and sampling
            total += member.memory_info().rss
    return total


def measure(command: Sequence[str], env: Mapping[str, str], log_dir: Path, name: str) -> Measured:
    """Run `command` from the repo root; wall time and peak RSS of its process tree.

    Output goes to files in `log_dir` (a pipe could fill up and stall the child).
    """
    out_path, err_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO_ROOT, env=dict(env), stdout=out, stderr=err)
        watched = psutil.Process(child.pid)
        samples = []
        while child.poll() is None:
            samples.append((time.time(), tree_rss(watched)))
            time.sleep(RSS_POLL_SECONDS)
        seconds = time.perf_counter() - started
    return Measured(
        returncode=child.returncode,
        seconds=seconds,
        rss_samples=samples,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Simulator:
    """The project's API simulator as a separate process, started with one organisation.

    Used as a context manager: entering waits until the organisation is generated and
    the port accepts connections; leaving stops the process.
    """

    def __init__(
        self,
        users: int,
        latency_ms: int,
        token: str,
        log_dir: Path,
        rate_limit: float = 6,
        jitter_ms: int = 0,
        answer_rounds: int = 1,
        shuffle: bool = False,
    ) -> None:
        self.port = free_port()
        self.arrivals_path = log_dir / f"arrivals-{users}-{latency_ms}ms-{jitter_ms}ms.txt"
        self.command = [
            str(PYTHON),
            "-m",
            "impraise_simulator",
            "--port",
            str(self.port),
            "--users",
            str(users),
            "--latency-ms",
            str(latency_ms),
            "--rate-limit",
            f"{rate_limit:g}",
            "--arrivals-log",
            str(self.arrivals_path),
            "--arrival-jitter-ms",
            str(jitter_ms),
            "--answer-rounds",
            str(answer_rounds),
            *(["--shuffle"] if shuffle else []),
        ]
        # The simulator's own variable for --token: kept out of the process list.
        self.env = clean_env({"IMPRAISE_SIMULATOR_TOKEN": token})
        self.log_path = log_dir / f"simulator-{users}-{latency_ms}ms.log"
        self.url = ""
        self.records = 0
        self.startup_seconds = 0.0
        self.niceness = 0
        self._process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []

    def __enter__(self) -> Simulator:
        started = time.perf_counter()
        self._log = self.log_path.open("w")
        self._process = subprocess.Popen(
            self.command,
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.niceness = self._raise_priority()
        try:
            self._await_url()
            self._await_port()
        except BaseException:
            self.__exit__()
            raise
        self.startup_seconds = time.perf_counter() - started
        # Keep reading its output so the pipe never fills up and blocks it.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    @property
    def process(self) -> psutil.Process:
        assert self._process is not None
        return psutil.Process(self._process.pid)

    def arrivals_mark(self) -> int:
        """Where the arrivals logged from now on start: pass it to `windows`.

        The simulator creates the file before it prints its URL, so it exists once entered.
        """
        return self.arrivals_path.stat().st_size

    def windows(self, since: int, requests: int) -> list[float]:
        """The spans, in seconds, of every `requests` consecutive arrivals since `since`,
        shortest first.

        With `requests` one more than the rate limit, the shortest is how close a client
        came to a 429 (the server refuses the request that ends a span shorter than its
        window), and the median is the spacing the client kept while it read at the limit.
        """
        with self.arrivals_path.open() as log:
            log.seek(since)
            arrivals = sorted(float(line.split()[0]) for line in log)
        ends = arrivals[requests - 1 :]
        return sorted(end - start for start, end in zip(arrivals, ends, strict=False))

    def _raise_priority(self) -> int:
        """Run the simulator ahead of other processes, where the system allows it.

        It stands for an API on hardware of its own, whose clock judges the rate limit.
        On a shared machine its handler threads otherwise wait behind other processes
        (ours included) and stamp arrivals late: at a load average of 10 on 2 cores, up
        to 144 ms after the request was written (docs/benchmarks.md). Returns the niceness
        it runs at (0: unchanged, the system refused)."""
        with contextlib.suppress(psutil.Error):
            self.process.nice(SIMULATOR_NICENESS)
        return self.process.nice()

    def cpu_seconds(self) -> float:
        """CPU time the simulator has used so far (user + system)."""
        times = self.process.cpu_times()
        return times.user + times.system

    def rss_bytes(self) -> int:
        return self.process.memory_info().rss

    def _await_url(self) -> None:
        """Read its output until the line that names its URL (and record count)."""
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.append(line)
            url = _URL.search(line)
            if url:
                self.url = url.group(0)
                count = _RECORDS.search(line)
                self.records = int(re.sub(r"\D", "", count.group(1))) if count else 0
                return
        raise RuntimeError(
            f"the simulator exited (code {self._process.wait()}) without printing its URL; "
            f"output: {''.join(self._lines)[-300:]!r}; "
            f"errors: {self.log_path.read_text()[-500:]!r}"
        )

    def _await_port(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _drain(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.append(line)
