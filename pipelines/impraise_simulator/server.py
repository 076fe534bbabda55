"""The simulated Impraise Analytics API over real HTTP.

A request goes through: authentication (401), the rate limit (429), faults (one-shot,
then random), routing (root listing, bucket page, 403, 404, 400), latency, and is then
logged and answered. Every request is logged, whatever its fate, with no headers.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import random
import socket
import socketserver
import struct
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from . import api, codec
from .moving import MovingData, parse_moves
from .organisation import Organisation
from .ratelimit import SlidingWindowLimiter
from .store import Window
from .switches import ROOT, FaultQueue, Switches


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it. status 0: the connection was reset unanswered."""

    at: float  # time.monotonic() at arrival
    path: str
    bucket: str | None  # the bucket requested, when it is one the server serves
    params: dict[str, str]
    status: int
    records: int = 0  # records served in the page's `data`


class SimulatorServer:
    """An HTTP server in a background thread serving an Organisation as the API does."""

    def __init__(
        self,
        org: Organisation,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        switches: Switches | None = None,
        arrivals: TextIO | None = None,
    ) -> None:
        """`arrivals`, if given, gets one line per request as it is answered: its arrival
        time (time.monotonic(), comparable across processes on one machine), status and
        request target (path and query). It lets another process see the windows the
        rate limit judged, and which of its requests made them."""
        if not token:
            raise ValueError("the simulator needs a token to accept")
        self.org = org
        self.switches = switches or Switches()
        self._token = token.encode()
        self._address = (host, port)
        self._http: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._limiter = SlidingWindowLimiter()
        self._faults = FaultQueue()
        self._moving = MovingData(self.switches.seed)
        self._log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._arrivals = arrivals
        self._random = random.Random(self.switches.seed)
        self._random_seed = self.switches.seed
        # A stream of its own, so jitter leaves the faults' random sequence as it was.
        self._jitter = random.Random(f"jitter:{self.switches.seed}")

    def start(self) -> SimulatorServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._http is not None:
            raise RuntimeError("the simulator is already running")
        self._shuffle_ahead()
        self._http = _HTTPServer(self._address, self)
        # A short poll interval only makes stop() quick: serving never waits on it.
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop every open connection."""
        if self._http is None:
            return
        self._http.shutdown()
        self._http.server_close()
        self._http.close_connections()
        self._http = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. "http://127.0.0.1:8080" (the real port once started)."""
        host, port = self._http.server_address[:2] if self._http else self._address
        return f"http://{host}:{port}"

    @property
    def token(self) -> str:
        """The token the server accepts (for configuring a client under test)."""
        return self._token.decode()

    @property
    def request_log(self) -> list[LoggedRequest]:
        """A snapshot of every request received since start or clear_log()."""
        with self._log_lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    @property
    def moved(self) -> list[tuple[str, str]]:
        """The records `Switches.moves` deleted, updated or inserted: (kind, id)."""
        return list(self._moving.moved)

    def inject(self, fault: str, bucket: str | None = None, count: int = 1) -> None:
        """Make the next `count` requests to `bucket` suffer `fault` (see switches.FAULTS).

        bucket=None: any bucket request; bucket="/": the root listing.
        """
        self._faults.inject(fault, bucket, count)

    def serve(self, handler: _Handler) -> None:
        """Answer one request (called on the handler's thread)."""
        url = urlsplit(handler.path)
        query = parse_qs(url.query, keep_blank_values=True)  # "after=" is a bad value, not none
        params = {name: values[0] for name, values in query.items()}
        target = self._target(url.path)
        switches = self.switches
        if not self._authorised(handler.headers.get("Authorization", "")):
            at, response = time.monotonic(), api.unauthorized()
        else:
            self._arrive_late(switches)
            admitted, at, left = self._limiter.admit(switches.rate_limit)
            if admitted:
                # Absolute URLs in the root listing use the address the client dialled.
                base_url = "http://" + handler.headers.get("Host", self.url.removeprefix("http://"))
                response = self._answer(target, params, base_url, switches)
            else:
                response = api.too_many_requests(switches.retry_after)
            if switches.rate_limit_headers and switches.rate_limit:
                response.headers += (
                    ("X-RateLimit-Limit", str(switches.rate_limit)),
                    ("X-RateLimit-Remaining", str(left)),
                )
        # Sleep without any lock held, so concurrent requests overlap as on a real API.
        time.sleep(switches.latency_ms / 1000 + response.delay_seconds)
        bucket = target if target not in (None, ROOT) else None
        with self._log_lock:
            self._log.append(
                LoggedRequest(at, url.path, bucket, params, response.status, response.records)
            )
            if self._arrivals:
                self._arrivals.write(f"{at:.6f} {response.status} {handler.path}\n")
                self._arrivals.flush()
        handler.reply(response)

    def _shuffle_ahead(self) -> None:
        """With `shuffle`, put each bucket's records in their served order before serving:
        done on a bucket's first request, it held every other request back while it ran
        (several at once of 155,000 records), and they reached the rate limit together."""
        if self.switches.shuffle:
            for bucket in self.org.buckets:
                self.org.page(
                    bucket, Window(), 0, 0, _shuffle_seed(self.switches, bucket, Window())
                )

    def _arrive_late(self, switches: Switches) -> None:
        """Hold the request back by its share of the network's jitter (`arrival_jitter_ms`)
        before the rate limit stamps it."""
        if switches.arrival_jitter_ms:
            time.sleep(self._jitter.uniform(0, switches.arrival_jitter_ms) / 1000)

    def _target(self, path: str) -> str | None:
        """ROOT, the (canonical) name of the bucket served at `path`, or None."""
        name = path.strip("/")
        if not name:
            return ROOT
        served = {listed: bucket for bucket, listed in self._listed_names().items()}
        return served.get(name)

    def _listed_names(self) -> dict[str, str]:
        return self.switches.listed_names(self.org.buckets)

    def _authorised(self, header: str) -> bool:
        scheme, _, credentials = header.strip().partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self._token
        )

    def _answer(
        self, target: str | None, params: dict[str, str], base_url: str, switches: Switches
    ) -> api.Response:
        if target is None:
            return api.error(404, "not_found", "no such route")
        is_page = target != ROOT and target not in switches.forbidden
        fault = self._faults.take(target, is_page) or self._random_fault(switches)
        response = api.failure(fault, switches.retry_after) if fault else None
        if response is None:
            response = (
                self._root(base_url, switches)
                if target == ROOT
                else self._page(target, params, switches, fault)
            )
        if fault == "truncated" and response.status == 200:
            response = api.truncated(response)
        if fault == "slow":
            response.delay_seconds = switches.slow_seconds
        return response

    def _random_fault(self, switches: Switches) -> str | None:
        if self._random_seed != switches.seed:
            self._random, self._random_seed = random.Random(switches.seed), switches.seed
        if self._random.random() < switches.error_rate:
            return self._random.choice(("500", "502", "503"))
        if self._random.random() < switches.truncate_rate:
            return "truncated"
        return None

    def _root(self, base_url: str, switches: Switches) -> api.Response:
        listed = list(self._listed_names().values())
        listing = api.root_listing(listed, switches.root_shape, base_url)
        return api.Response(200, json.dumps(listing).encode())

    def _page(
        self, bucket: str, params: dict[str, str], switches: Switches, fault: str | None
    ) -> api.Response:
        if bucket in switches.forbidden:
            return api.error(403, "forbidden", f"this token may not read {bucket}")
        try:
            request = api.parse_page_request(params)
        except api.BadParameter as bad:
            return api.error(400, "bad_request", str(bad))
        window = request.window(switches.after_exclusive)
        shuffle_seed = _shuffle_seed(switches, bucket, window)
        order = {"shuffle_seed": shuffle_seed, "by_updated": switches.updated_order}
        limit = min(request.max_items, switches.max_page)
        self._moving.before_page(
            self.org, parse_moves(switches.moves), bucket, window, request.offset, order
        )
        page = self.org.page(bucket, window, request.offset, limit, **order)
        if switches.change_during_paging == bucket and request.offset > 0:
            self.org.touch_one_of(
                bucket, window, shuffle_seed, request.offset, self._random, order["by_updated"]
            )
        bodies = page.bodies
        if not switches.mixed_offsets:
            bodies = [codec.canonical_body(body) for body in bodies]
        if switches.snake_case:
            bodies = [codec.snake_case_body(body) for body in bodies]
        pagination = api.pagination(
            limit, request.offset, len(bodies), page.total, switches.next_style
        )
        if fault == "stuck_next":
            pagination["next"] = request.offset
        include_data = fault != "missing_data"
        body = api.page_body(bodies, pagination, include_data)
        return api.Response(200, body, records=len(bodies) if include_data else 0)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.simulator.serve(self)

    def reply(self, response: api.Response) -> None:
        if response.status == api.RESET:
            # Linger 0: closing sends a TCP reset instead of a polite FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the server's request_log is the record, and stderr noise helps nobody."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a stalled ("slow") request

    def __init__(self, address: tuple[str, int], simulator: SimulatorServer) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS lookup that can stall
        # on machines without a network; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Drop kept-alive connections, so a stopped server really stops answering."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer (timeouts, the reset fault) are routine here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _shuffle_seed(switches: Switches, bucket: str, window: Window) -> str | None:
    """The seed of a bucket's shuffled order for one filter window; None: not shuffled."""
    return f"{switches.seed}:{bucket}:{window}" if switches.shuffle else None
