"""The source's settings, as dlt resolves them, checked before the first request.

dlt resolves each setting of `[sources.impraise]` from the arguments, the environment
or the TOML files into an `ImpraiseConfiguration`, the one declaration of the settings
(the source and `probe` resolve the same one); `validate` turns it into one
`SourceSettings`, or raises a `ConfigurationError` whose one line names the setting (as
its environment variable) and what is wrong with it. Nothing here touches the network
or the disk.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from dlt.common.configuration import known_sections, resolve_configuration
from dlt.common.configuration.specs import BaseConfiguration, configspec
from dlt.common.typing import TSecretStrValue

from .errors import ConfigurationError, setting_name
from .field_policy import FieldPolicy, parse_field_policy
from .routes import route_name
from .schema import KNOWN_BUCKETS, bucket_schema, warehouse_name
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CURSOR_LAG_SECONDS,
    DEFAULT_PREFETCH_PAGES,
    DEFAULT_REQUESTS_PER_SECOND,
    MAX_ITEMS,
)
from .timestamps import parse_instant

# Pages a bucket may keep in flight ahead of the reader; more only queue on the limiter.
MAX_PREFETCH_PAGES = 16
SECTIONS = (known_sections.SOURCES, "impraise")
# The earliest start date: older than any record, and a year `after` can be sent with
# (years before 1000 lose their leading zeros, and the API answers 400).
EARLIEST_START_DATE = datetime(1970, 1, 1, tzinfo=UTC)


@configspec
class ImpraiseConfiguration(BaseConfiguration):
    """Every setting of `[sources.impraise]`; the arguments of `impraise()` and `probe()`."""

    api_token: TSecretStrValue = None
    base_url: str = DEFAULT_BASE_URL
    buckets: list[str] | None = None
    exclude: list[str] | None = None
    start_date: str | None = None
    full_refresh: bool = False
    requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND
    cursor_lag_seconds: float = DEFAULT_CURSOR_LAG_SECONDS
    max_items: int = MAX_ITEMS
    prefetch_pages: int = DEFAULT_PREFETCH_PAGES
    routes: dict[str, str] | None = None
    fields: dict[str, str] | None = None
    field_policy: dict[str, Any] | None = None
    field_policy_undeclared: list[str] | None = None
    hash_key: TSecretStrValue | None = None
    pii_salt: TSecretStrValue | None = None


def resolve(**explicit: Any) -> ImpraiseConfiguration:
    """The settings as dlt resolves them for the source, `explicit` ones first.

    Raises TypeError for a name that is no setting, and dlt's configuration errors for a
    missing or uncoercible value."""
    unknown = sorted(set(explicit) - set(ImpraiseConfiguration.get_resolvable_fields()))
    if unknown:
        raise TypeError(f"not a setting of the impraise source: {', '.join(unknown)}")
    return resolve_configuration(
        ImpraiseConfiguration(), sections=SECTIONS, explicit_value=explicit
    )


def check_settings(**explicit: Any) -> None:
    """Resolve and check every setting as `impraise(**explicit)` would, and nothing more:
    no request, no file. A caller that must refuse bad settings before it writes anything
    (a lock, a pipeline directory) calls it first; raises what `impraise` would."""
    validate(resolve(**explicit))


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
    policy: FieldPolicy


def validate(config: ImpraiseConfiguration) -> SourceSettings:
    """Every setting checked; raises ConfigurationError naming the first bad one."""
    return SourceSettings(
        api_token=_token(config.api_token),
        base_url=_base_url(config.base_url),
        requests_per_second=_number(
            "requests_per_second", config.requests_per_second, positive=True
        ),
        cursor_lag=timedelta(seconds=_number("cursor_lag_seconds", config.cursor_lag_seconds)),
        max_items=_whole("max_items", config.max_items, 1, MAX_ITEMS),
        prefetch_pages=_whole("prefetch_pages", config.prefetch_pages, 1, MAX_PREFETCH_PAGES),
        start_date=_start_date(config.start_date),
        routes=_routes(config.routes),
        fields=_fields(config.fields),
        policy=parse_field_policy(
            config.field_policy, config.hash_key, config.pii_salt, config.field_policy_undeclared
        ),
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
        owner = warehouse_name(listed)
        if owner in KNOWN_BUCKETS and owner != bucket:
            # The records would load into the wrong table, past its bucket's field policy.
            raise ConfigurationError(
                f"{name} maps {bucket} to route '{listed}', the route of bucket {owner}: "
                f"give the route the API lists {bucket} under"
            )
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
        schema = bucket_schema(bucket)
        lists = schema.entry_fields()
        _known(name, scope, lists, f"nested list of {bucket}")
        names = lists[scope] if scope else schema.top_level
        _known(name, leaf, names, f"field of {bucket}{'.' + scope if scope else ''}")
        if not isinstance(served, str) or not served.strip() or "." in served:
            raise ConfigurationError(f"{name}: '{path}' must map to the API's field name")
        fields.setdefault(bucket, {})[field] = served.strip()
    for bucket, renamed in fields.items():
        _check_names_apart(name, bucket, renamed)
    return fields


def _check_names_apart(setting: str, bucket: str, renamed: Mapping[str, str]) -> None:
    """Refuse a served name that another field of the same record or entry goes by: the
    renamer would give it to both, and one of the two columns would load empty."""
    schema = bucket_schema(bucket)
    taken: dict[tuple[str, str], str] = {}  # (scope, warehouse name) -> the field it names
    for scope, names in {"": schema.top_level, **schema.entry_fields()}.items():
        for field in names:
            taken[(scope, warehouse_name(field))] = f"{scope}.{field}".lstrip(".")
    for field, served in renamed.items():
        scope = field.rpartition(".")[0]
        owner = taken.setdefault((scope, warehouse_name(served)), field)
        if owner != field:
            raise ConfigurationError(
                f"{setting} maps {bucket}.{field} to '{served}', the name of "
                f"{bucket}.{owner}: two fields cannot share one name"
            )


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
