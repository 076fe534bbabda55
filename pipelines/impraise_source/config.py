"""The source's settings, checked before the first request.

dlt resolves each setting of `[sources.impraise]` from the environment or the TOML
files; this module turns the resolved values into one `SourceSettings`, or raises a
`ConfigurationError` whose one line names the setting (as its environment variable)
and what is wrong with it. Nothing here touches the network or the disk.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .naming import known_fields
from .routes import route_name
from .settings import KNOWN_BUCKETS, MAX_ITEMS, setting_name
from .timestamps import parse_instant

# Pages a bucket may keep in flight ahead of the reader; more only queue on the limiter.
MAX_PREFETCH_PAGES = 16
# The earliest start date: older than any record, and a year `after` can be sent with
# (years before 1000 lose their leading zeros, and the API answers 400).
EARLIEST_START_DATE = datetime(1970, 1, 1, tzinfo=UTC)


# The settings `validate` checks, as the source's arguments (and dlt's config keys) name them.
SETTING_KEYS = (
    "api_token",
    "base_url",
    "requests_per_second",
    "cursor_lag_seconds",
    "max_items",
    "prefetch_pages",
    "start_date",
    "routes",
    "fields",
)


@dataclass(frozen=True)
class SourceSettings:
    api_token: str
    base_url: str
    requests_per_second: float
    cursor_lag: timedelta
    max_items: int
    prefetch_pages: int
    start_date: datetime | None
    # Canonical bucket -> the route the API lists it under.
    routes: dict[str, str]
    # Canonical bucket -> {canonical `field` or `list.field` -> the API's name for it}.
    fields: dict[str, dict[str, str]]


def from_values(values: Mapping[str, Any]) -> SourceSettings:
    """`validate` over the `SETTING_KEYS` of a mapping (the source's arguments, say)."""
    return validate(**{key: values.get(key) for key in SETTING_KEYS})


def validate(
    *,
    api_token: Any,
    base_url: Any,
    requests_per_second: Any,
    cursor_lag_seconds: Any,
    max_items: Any,
    prefetch_pages: Any,
    start_date: Any = None,
    routes: Any = None,
    fields: Any = None,
) -> SourceSettings:
    """Every setting checked; raises ConfigurationError naming the first bad one."""
    return SourceSettings(
        api_token=_token(api_token),
        base_url=_base_url(base_url),
        requests_per_second=_number("requests_per_second", requests_per_second, positive=True),
        cursor_lag=timedelta(seconds=_number("cursor_lag_seconds", cursor_lag_seconds)),
        max_items=_whole("max_items", max_items, 1, MAX_ITEMS),
        prefetch_pages=_whole("prefetch_pages", prefetch_pages, 1, MAX_PREFETCH_PAGES),
        start_date=_start_date(start_date),
        routes=_routes(routes),
        fields=_fields(fields),
    )


def _token(value: Any) -> str:
    name = setting_name("api_token")
    if value is None or not str(value).strip():
        state = "not set" if not value else "blank"
        raise ConfigurationError(
            f"{name} is {state}: give the token Impraise issued (or api_token in .dlt/secrets.toml)"
        )
    token = str(value).strip()
    if any(character.isspace() for character in token):
        raise ConfigurationError(f"{name} contains white space: paste the token alone")
    if not all(character.isprintable() and ord(character) < 256 for character in token):
        # An HTTP header carries Latin-1 only: such a token could never be sent.
        raise ConfigurationError(
            f"{name} holds a character an HTTP header cannot carry (a control character, or "
            "one outside Latin-1, such as a typographic quote): paste the token alone"
        )
    return token


def _base_url(value: Any) -> str:
    name = setting_name("base_url")
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        hint = f": use https://{text.removeprefix('//')}" if text and "://" not in text else ""
        raise ConfigurationError(f"{name} '{text}' is not an http(s) URL{hint}")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{name} '{text}' must not carry a query or fragment")
    return text.rstrip("/")


def _number(key: str, value: Any, positive: bool = False) -> float:
    name = setting_name(key)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} '{value}' is not a number") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise ConfigurationError(f"{name} is {value}, but must be {bound}")
    return number


def _whole(key: str, value: Any, low: int, high: int) -> int:
    name = setting_name(key)
    number = _number(key, value)
    if number != int(number) or not low <= number <= high:
        raise ConfigurationError(f"{name} is {value}, but must be a whole number {low}-{high}")
    return int(number)


def _start_date(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    name = f"--start-date / {setting_name('start_date')}"
    try:
        start = parse_instant(str(value))
    except ValueError as error:
        raise ConfigurationError(f"{name}: {error}") from None
    except OverflowError:  # year 1 east of UTC: before the first instant a datetime holds
        start = datetime.min.replace(tzinfo=UTC)
    if start < EARLIEST_START_DATE:
        raise ConfigurationError(
            f"{name} {value} is before {EARLIEST_START_DATE:%Y-%m-%d}: no record is that old; "
            "leave it out to load everything"
        )
    if start > datetime.now(UTC):
        raise ConfigurationError(f"{name} {value} is in the future: a run would load nothing")
    return start


def _routes(value: Any) -> dict[str, str]:
    name = setting_name("routes")
    mapping = _json_object(name, value, '{"feedback": "feedbacks"}')
    routes: dict[str, str] = {}
    for bucket, route in mapping.items():
        _known(name, bucket, KNOWN_BUCKETS, "bucket")
        listed = route_name(route) if isinstance(route, str) else None
        if not listed:
            raise ConfigurationError(f"{name}: the route of '{bucket}' must be a path or name")
        if listed in routes.values():
            raise ConfigurationError(f"{name}: route '{listed}' is given to two buckets")
        routes[bucket] = listed
    return routes


def _fields(value: Any) -> dict[str, dict[str, str]]:
    name = setting_name("fields")
    mapping = _json_object(name, value, '{"users.jobTitle": "title"}')
    fields: dict[str, dict[str, str]] = {}
    for path, served in mapping.items():
        bucket, _, field = str(path).partition(".")
        _known(name, bucket, KNOWN_BUCKETS, "bucket")
        scope, _, leaf = field.rpartition(".")
        choices = known_fields(bucket)
        _known(name, scope, [s for s in choices if s], f"nested list of {bucket}")
        _known(name, leaf, choices[scope], f"field of {bucket}{'.' + scope if scope else ''}")
        if not isinstance(served, str) or not served.strip() or "." in served:
            raise ConfigurationError(f"{name}: '{path}' must map to the API's field name")
        fields.setdefault(bucket, {})[field] = served.strip()
    return fields


def _json_object(name: str, value: Any, example: str) -> Mapping[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        # dlt parses a JSON object for a dict-typed setting; anything else reaches us as is.
        raise ConfigurationError(f"{name} must be a JSON object, e.g. {example}")
    return value


def _known(setting: str, name: str, choices: Iterable[str], what: str) -> None:
    choices = list(choices)
    if name == "" and what.startswith("nested"):
        return  # a top-level field: no list to name
    if name not in choices:
        close = difflib.get_close_matches(name, choices, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(choices)})"
        raise ConfigurationError(f"{setting}: '{name}' is not a {what}{hint}")
