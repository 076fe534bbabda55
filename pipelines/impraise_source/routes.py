"""The buckets the API serves: read out of its root listing, matched to canonical names.

The vendor documents only that `GET /` "responds with a list of routes". We accept
`{"routes": [...]}`, `{"data": [...]}` or a bare array, whose entries are paths
(`/users`, `users`), absolute URLs, or objects carrying the route in `path`, `href`,
`url` or `name`.

Each listed route is matched to a bucket the project knows by its warehouse name
(`review-participants` is `review_participants`), or by the `routes` setting for a
bucket the API lists under another name (`{"feedback": "feedbacks"}`). The bucket loads
into the raw table of its canonical name, whatever the route; a route that matches
nothing loads generically into a table of its own name.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError, ProtocolError, setting_name
from .schema import KNOWN_BUCKETS, warehouse_name

logger = logging.getLogger("impraise")

_LIST_KEYS = ("routes", "data", "buckets")
_ROUTE_KEYS = ("path", "href", "url", "name")
# How alike a listed name and a missing bucket's name must be to suggest one for the other
# (difflib's ratio: `feedbacks`/`feedback` 0.94, `review_answer`/`reviews` 0.7).
_SUGGESTION_CUTOFF = 0.8


@dataclass(frozen=True)
class Bucket:
    """One bucket to read: its canonical name (the raw table) and its route as listed."""

    name: str
    route: str

    @property
    def path(self) -> str:
        return f"/{self.route}"

    @property
    def known(self) -> bool:
        return self.name in KNOWN_BUCKETS


@dataclass(frozen=True)
class Catalog:
    """What the root listing offers, matched to what the project expects."""

    buckets: tuple[Bucket, ...]
    # Known buckets the listing does not offer (under any name).
    missing: tuple[str, ...]
    # Listed routes left unread because another route loads into the same table (both
    # `/feedback` and `/feedbacks` listed, with `routes` pointing feedback at the latter).
    shadowed: tuple[str, ...] = ()
    # Canonical name -> a listed route that is probably it (`feedback` -> `feedbacks`).
    suggestions: dict[str, str] = field(default_factory=dict)

    @property
    def unknown(self) -> tuple[Bucket, ...]:
        return tuple(bucket for bucket in self.buckets if not bucket.known)

    def names(self) -> list[str]:
        return [bucket.name for bucket in self.buckets]


def listed_routes(listing: Any) -> list[str]:
    """The routes a root listing names, as the last segment of each path, in order and
    without repeats."""
    routes: list[str] = []
    for entry in _entries(listing):
        route = _route(entry)
        if route and route not in routes:
            routes.append(route)
    if not routes:
        raise ProtocolError("the root listing names no buckets")
    return routes


def catalog(listing: Any, routes: Mapping[str, str]) -> Catalog:
    """Match the listing's routes to buckets; `routes` maps canonical bucket -> route.

    Raises ConfigurationError when `routes` names a route the listing does not offer.
    """
    listed = listed_routes(listing)
    by_route: dict[str, str] = {}
    for name, route in routes.items():
        if route not in listed:
            raise ConfigurationError(
                f"{setting_name('routes')} maps '{name}' to route '{route}', which the "
                f"root listing does not offer (it lists: {', '.join(listed)})"
            )
        by_route[route] = name
    buckets: dict[str, Bucket] = {}
    shadowed: list[str] = []
    for route in listed:
        name = by_route.get(route) or warehouse_name(route)
        if name in buckets or (name in routes and route not in by_route):
            shadowed.append(route)  # another route already loads into this table
        else:
            buckets[name] = Bucket(name, route)
    missing = tuple(name for name in KNOWN_BUCKETS if name not in buckets)
    unknown = [bucket.route for bucket in buckets.values() if not bucket.known]
    suggestions = _suggestions(missing, unknown)
    return Catalog(tuple(buckets.values()), missing, tuple(shadowed), suggestions)


def select_buckets(
    found: Catalog, include: Sequence[str] | None, exclude: Sequence[str] | None
) -> list[Bucket]:
    """The listed buckets to load, in listing order; unknown names are a clear error."""
    listed = found.names()
    for option, names in (("--buckets", include), ("--exclude", exclude)):
        missing = sorted(set(names or ()) - set(listed))
        if missing:
            raise ConfigurationError(
                f"{option}: {', '.join(missing)} not in the API's root listing "
                f"(it lists: {', '.join(listed)})"
            )
    return [
        bucket
        for bucket in found.buckets
        if (not include or bucket.name in include) and bucket.name not in set(exclude or ())
    ]


def warn_about_names(found: Catalog, restricted: bool) -> None:
    """Say which expected buckets the listing lacks, and which listed ones are unknown."""
    suggested = {route: name for name, route in found.suggestions.items()}
    for bucket in found.unknown:
        message = (
            f"bucket '{bucket.route}' is not one impraise-elt knows: loading it "
            f"generically into table '{bucket.name}'"
        )
        if bucket.route in suggested:
            name = suggested[bucket.route]
            message += (
                f"; it looks like '{name}', which the root listing lacks: set "
                f"""{setting_name("routes")}='{{"{name}": "{bucket.route}"}}' to load it as that"""
            )
        logger.warning("%s", message)
    for name in found.missing:
        if not restricted and name not in found.suggestions:
            logger.warning(
                "the root listing offers no '%s' bucket: the marts built on it stay empty "
                "(`impraise.py --check` shows what the API serves)",
                name,
            )
    for route in found.shadowed:
        logger.warning("route '%s' is not read: another route loads into the same table", route)


def _suggestions(missing: Sequence[str], unknown: Sequence[str]) -> dict[str, str]:
    suggestions: dict[str, str] = {}
    for name in missing:
        alike = difflib.get_close_matches(
            name, [warehouse_name(route) for route in unknown], n=1, cutoff=_SUGGESTION_CUTOFF
        )
        if alike:
            suggestions[name] = next(r for r in unknown if warehouse_name(r) == alike[0])
    return suggestions


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


def _route(entry: Any) -> str | None:
    if isinstance(entry, dict):
        entry = next((entry[key] for key in _ROUTE_KEYS if isinstance(entry.get(key), str)), None)
    if not isinstance(entry, str):
        return None
    return route_name(entry)


def route_name(text: str) -> str | None:
    """The route a path or URL names: its last segment (`/v1/users/` -> `users`)."""
    path = urlsplit(text).path if "://" in text else text
    return path.strip().strip("/").rsplit("/", 1)[-1] or None
