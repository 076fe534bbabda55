"""The API's request parameters and response bodies, independent of HTTP plumbing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import timestamps
from .store import Window

DEFAULT_MAX_ITEMS = 250
MAX_ITEMS_LIMIT = 1000


class BadParameter(ValueError):
    """A query parameter the API refuses with 400; the message names the parameter."""


@dataclass(frozen=True)
class PageRequest:
    max_items: int
    offset: int
    after: int | None
    before: int | None

    def window(self, after_exclusive: bool) -> Window:
        return Window(self.after, self.before, after_exclusive)


def parse_page_request(params: dict[str, str]) -> PageRequest:
    """The paging and filter parameters of a bucket request; BadParameter if invalid."""
    return PageRequest(
        max_items=_integer(params, "maxItems", DEFAULT_MAX_ITEMS, 1, MAX_ITEMS_LIMIT),
        offset=_integer(params, "offset", 0, 0, None),
        after=_instant(params, "after"),
        before=_instant(params, "before"),
    )


def _integer(params: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    if name not in params:
        return default
    text = params[name]
    if not re.fullmatch(r"-?[0-9]+", text):
        raise BadParameter(f"{name} must be an integer, got {text!r}")
    value = int(text)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadParameter(f"{name} must be {bound}, got {value}")
    return value


def _instant(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        return timestamps.parse(params[name])
    except ValueError:
        raise BadParameter(
            f"{name} must be an ISO 8601 timestamp or date, got {params[name]!r}"
        ) from None


def page_body(bodies: list[bytes], pagination: dict[str, Any], include_data: bool = True) -> bytes:
    """{"data": [...], "pagination": {...}} from already encoded records."""
    tail = b'"pagination":' + json.dumps(pagination).encode() + b"}"
    if not include_data:
        return b"{" + tail
    return b'{"data":[' + b",".join(bodies) + b"]," + tail


def pagination(max_items: int, offset: int, served: int, total: int, next_style: str) -> dict:
    """The pagination object, `next` written in the reading `next_style` names."""
    result: dict[str, Any] = {"maxItems": max_items, "offset": offset}
    end = offset + served
    if next_style == "offset":
        result["next"] = end if end < total else None
    elif next_style == "offset_plus_len":
        result["next"] = end
    elif next_style == "remaining":
        result["next"] = max(0, total - end)
    return result


def root_listing(buckets: list[str], shape: str, base_url: str) -> Any:
    """The answer to GET / in one of the shapes the contract says a client must accept;
    `buckets` are the names as listed."""
    paths = [f"/{bucket}" for bucket in buckets]
    urls = [base_url + path for path in paths]
    if shape == "routes":
        return {"routes": paths}
    if shape == "array":
        return paths
    if shape == "data":
        return {"data": paths}
    if shape == "bare":
        return {"routes": list(buckets)}
    if shape == "urls":
        return {"routes": urls}
    key = shape.removeprefix("objects_")
    routes = {"path": paths, "href": paths, "url": urls, "name": list(buckets)}[key]
    # A second key beside the route, so a client must pick the right one.
    return {
        "routes": [
            {key: route, "title": bucket.replace("_", " ").capitalize()}
            for route, bucket in zip(routes, buckets, strict=True)
        ]
    }


@dataclass
class Response:
    """What the server sends; status RESET means closing the connection without a reply."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay_seconds: float = 0
    records: int = 0  # records in a page's `data`, for the request log


RESET = 0


def error(status: int, error_name: str, message: str) -> Response:
    return Response(status, json.dumps({"error": error_name, "message": message}).encode())


def unauthorized() -> Response:
    # Never repeat the token: a message or log line that echoes it would leak it.
    return error(401, "unauthorized", "missing or invalid bearer token")


def too_many_requests(retry_after: bool) -> Response:
    response = error(429, "too_many_requests", "rate limit exceeded")
    response.headers = (("Retry-After", "1"),) if retry_after else ()
    return response


def failure(fault: str, retry_after: bool) -> Response | None:
    """The response of a fault that replaces the whole answer; None for the others."""
    if fault in ("500", "502", "503"):
        return error(int(fault), "server_error", "transient upstream failure, try again")
    if fault == "429":
        return too_many_requests(retry_after)
    if fault == "401":
        return unauthorized()
    if fault == "reset":
        return Response(RESET)
    if fault == "html":
        return Response(502, _BAD_GATEWAY_PAGE, content_type="text/html; charset=utf-8")
    if fault == "invalid_json":
        return Response(200, b"<!-- upstream timeout -->\nService temporarily unavailable")
    return None


def truncated(response: Response) -> Response:
    """The response with its body cut in half (Content-Length follows the cut body)."""
    response.body = response.body[: max(1, len(response.body) // 2)]
    return response


_BAD_GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)
