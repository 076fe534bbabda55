"""The HTTP side of the source: one paced, retrying client shared by every bucket.

dlt's RESTClient and BearerTokenAuth build and authenticate the requests. Pacing sits in
a `requests` adapter mounted on the client's session, so every attempt, retries
included, passes the one sliding-window limiter; its connections tell the limiter when
each request was written (rate_limit.py says why that moment, not the grant). Retries
are our own loop (tenacity, which dlt uses too) driven by dlt's runtime retry settings,
because the API also needs retries that dlt's requests client does not make: bodies
that arrive truncated or are not JSON, and pages without `data`, and because backoff
here has jitter.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from dlt.common import json
from dlt.common.configuration.resolve import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .arrival_jitter import ArrivalJitter
from .errors import BucketFailedError, TokenRefusedError
from .rate_limit import SlidingWindowLimiter, Slot
from .stats import ROOT, RunStats

if TYPE_CHECKING:
    from .config import SourceSettings

USER_AGENT = "impraise-elt (dlt)"

T = TypeVar("T")


def _as_is(payload: Any) -> Any:
    return payload


# The limiter's slot of the request the current thread is sending, for its connection.
_SENDING = threading.local()


class _StampsWrites:
    """A urllib3 connection that tells the sending thread's slot when the request it was
    given is on the socket (`request` returns once the bytes are written)."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)  # type: ignore[misc]
        slot: Slot | None = getattr(_SENDING, "slot", None)
        if slot is not None:
            slot.written()


class _HTTPConnection(_StampsWrites, HTTPConnection):
    pass


class _HTTPSConnection(_StampsWrites, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_STAMPED_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class PacedAdapter(HTTPAdapter):
    """An HTTP adapter that waits for the shared limiter before every send, in the
    priority the sending thread's request was given (see `ImpraiseClient.get_json`),
    over connections that stamp the limiter's slot when the request is written."""

    def __init__(self, limiter: SlidingWindowLimiter, **kwargs: Any) -> None:
        self.limiter = limiter
        self.priority = threading.local()
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _STAMPED_POOLS

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = _STAMPED_POOLS
        return manager

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with self.limiter.sending(getattr(self.priority, "value", -math.inf)) as slot:
            _SENDING.slot = slot
            try:
                response = super().send(request, **kwargs)
            finally:
                _SENDING.slot = None
            slot.answered()
            return response


class _RetryableError(Exception):
    """One failed attempt that another attempt may fix."""

    def __init__(self, status: str, retry_after: float | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """dlt's runtime retry settings (`RUNTIME__REQUEST_MAX_ATTEMPTS` and friends)."""

    max_attempts: int
    backoff_factor: float
    max_delay: float
    timeout: float

    @classmethod
    def from_dlt_config(cls, config: RuntimeConfiguration) -> RetryPolicy:
        return cls(
            max_attempts=max(1, int(config.request_max_attempts)),
            backoff_factor=float(config.request_backoff_factor),
            max_delay=float(config.request_max_retry_delay),
            timeout=float(config.request_timeout),
        )

    def wait(self, state: RetryCallState) -> float:
        """Retry-After when the server gave one, else exponential backoff with jitter, so
        threads that failed together do not retry together."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryableError) and error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        ceiling = min(self.max_delay, self.backoff_factor * 2 ** (state.attempt_number - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class ImpraiseClient:
    """Reads JSON documents from the API within the rate limit, with bounded retries."""

    def __init__(
        self,
        base_url: str,
        api_token: str,
        limiter: SlidingWindowLimiter,
        retry_policy: RetryPolicy,
        stats: RunStats,
        max_connections: int = 16,
    ) -> None:
        session = requests.Session()
        adapter = PacedAdapter(limiter, pool_maxsize=max_connections)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._priority = adapter.priority
        self.limiter = limiter
        self.retry_policy = retry_policy
        self.stats = stats
        # The rate-limit headers of the latest answer that had any (for --check).
        self.rate_limit_headers: dict[str, str] = {}
        self._rest = RESTClient(
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            auth=BearerTokenAuth(token=api_token),
            session=session,
        )

    @classmethod
    def from_settings(cls, settings: SourceSettings, stats: RunStats) -> ImpraiseClient:
        """The run's client: its limiter paced to the settings, dlt's retry settings."""
        retry_policy = RetryPolicy.from_dlt_config(resolve_configuration(RuntimeConfiguration()))
        limiter = SlidingWindowLimiter(settings.requests_per_second, jitter=ArrivalJitter())
        return cls(settings.base_url, settings.api_token, limiter, retry_policy, stats)

    def close(self) -> None:
        """Close the connections kept alive for reuse; a later request opens new ones."""
        self._rest.session.close()

    def get_root(self) -> Any:
        """The root listing (`GET /`)."""
        return self.get_json("/", params={}, bucket=ROOT, offset=0)

    def get_json(
        self,
        path: str,
        params: dict[str, Any],
        bucket: str,
        offset: int,
        parse: Callable[[Any], T] = _as_is,
        priority: float = -math.inf,
    ) -> T:
        """GET `path`, decode its JSON and `parse` it, retrying what may be transient.

        Every attempt waits for the limiter in `priority` (lowest first).

        `parse` raises ValueError for a document of the wrong shape (a page without
        `data`, say), which is retried like a truncated body.

        Raises TokenRefusedError on 401 and BucketFailedError, naming the bucket, the
        offset and the last status, once the attempts run out or on a final 4xx.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.retry_policy.max_attempts),
            wait=self.retry_policy.wait,
            retry=retry_if_exception_type(_RetryableError),
            before_sleep=lambda _: self.stats.add(bucket, retries=1),
            reraise=True,
        )
        self._priority.value = priority
        try:
            return retrying(self._attempt, path, params, bucket, offset, parse)
        except _RetryableError as error:
            attempts = self.retry_policy.max_attempts
            raise BucketFailedError(
                bucket, offset, f"{error.status} (gave up after {attempts} attempts)"
            ) from None

    def _attempt(
        self,
        path: str,
        params: dict[str, Any],
        bucket: str,
        offset: int,
        parse: Callable[[Any], T],
    ) -> T:
        self.stats.add(bucket, requests=1)
        try:
            response = self._rest.get(path, params=params, timeout=self.retry_policy.timeout)
        except requests.Timeout:
            raise _RetryableError(f"no answer within {self.retry_policy.timeout:g}s") from None
        except requests.ConnectionError as error:
            raise _RetryableError(f"connection failed ({type(error).__name__})") from None
        payload = self._payload(response, bucket, offset)
        try:
            return parse(payload)
        except ValueError as error:
            raise _RetryableError(f"HTTP 200 but {error}") from None

    def _payload(self, response: requests.Response, bucket: str, offset: int) -> Any:
        status = response.status_code
        limits = {k: v for k, v in response.headers.items() if "ratelimit" in k.lower()}
        if limits:
            self.rate_limit_headers = limits
        if status == 401:
            raise TokenRefusedError(
                "the Impraise API refused the token (HTTP 401): check SOURCES__IMPRAISE__API_TOKEN"
            )
        if status == 429:
            self.stats.add(bucket, throttled=1)
            self.limiter.widen()
            retry_after = _seconds(response.headers.get("Retry-After"))
            if retry_after is not None:
                self.limiter.pause(retry_after)
            raise _RetryableError("HTTP 429 (rate limited)", retry_after)
        if status >= 500:
            raise _RetryableError(f"HTTP {status}")
        if status >= 400:
            raise BucketFailedError(bucket, offset, f"HTTP {status}: {_message(response)}")
        try:
            return json.loadb(response.content)
        except ValueError:
            raise _RetryableError("HTTP 200 with a body that is not valid JSON") from None


def _seconds(header: str | None) -> float | None:
    """Retry-After in seconds; only the delta-seconds form is worth trusting here."""
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    """The API's own error message, kept to one short line."""
    try:
        body = json.loadb(response.content)
        text = str(body.get("message") or body.get("error") or "")
    except (ValueError, AttributeError):
        text = ""
    return " ".join(text.split())[:200] or response.reason or "error"
