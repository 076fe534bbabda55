"""Read the bucket names out of the root listing, in every shape the contract tolerates.

The vendor documents only that `GET /` "responds with a list of routes". We accept
`{"routes": [...]}`, `{"data": [...]}` or a bare array, whose entries are paths
(`/users`, `users`), absolute URLs, or objects carrying the route in `path`, `href`,
`url` or `name`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import ProtocolError

_LIST_KEYS = ("routes", "data", "buckets")
_ROUTE_KEYS = ("path", "href", "url", "name")


def bucket_names(listing: Any) -> list[str]:
    """The bucket names named by a root listing, in order and without repeats."""
    entries = _entries(listing)
    names: list[str] = []
    for entry in entries:
        name = _name(entry)
        if name and name not in names:
            names.append(name)
    if not names:
        raise ProtocolError("the root listing names no buckets")
    return names


def _entries(listing: Any) -> list[Any]:
    if isinstance(listing, list):
        return listing
    if isinstance(listing, dict):
        for key in _LIST_KEYS:
            if isinstance(listing.get(key), list):
                return listing[key]
    raise ProtocolError(
        f"the root listing is neither a list nor an object with one of {list(_LIST_KEYS)}"
    )


def _name(entry: Any) -> str | None:
    if isinstance(entry, dict):
        entry = next((entry[key] for key in _ROUTE_KEYS if isinstance(entry.get(key), str)), None)
    if not isinstance(entry, str):
        return None
    # An absolute URL and a path both end in the bucket's name.
    path = urlsplit(entry).path if "://" in entry else entry
    return path.strip().strip("/").rsplit("/", 1)[-1] or None
