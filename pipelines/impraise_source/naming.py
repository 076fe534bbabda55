"""Canonical names: the API's fields and buckets however the live API spells them.

The project speaks of fields in the API's documented camelCase (`updatedAt`) and of
buckets in snake_case (`review_participants`); the warehouse columns are dlt's
snake_case of the field names. The live API may write a field `updated_at` or a route
`review-participants`, and may rename a field outright. Records are renamed to the
canonical spelling before anything else sees them, so the cursor, the column types, the
child tables and every raw column come out exactly as with the documented API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .settings import BUCKET_CHILD_COLUMNS, Record, column_types

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def api_name(column: str) -> str:
    """The API's camelCase name of a snake_case column: `created_at` -> `createdAt`."""
    head, *rest = column.split("_")
    return head + "".join(part.capitalize() for part in rest)


def snake_name(name: str) -> str:
    """snake_case of a camelCase, hyphenated or spaced name: `reviewParticipants`,
    `review-participants` -> `review_participants`."""
    return _CAMEL_BOUNDARY.sub("_", name.strip()).replace("-", "_").replace(" ", "_").lower()


def known_fields(bucket: str) -> dict[str, tuple[str, ...]]:
    """The canonical fields of a bucket: top-level names (key "") and, per nested list
    of objects, the fields of its entries (key: the list's name)."""
    fields = {"": tuple(api_name(column) for column in column_types(bucket))}
    fields[""] += tuple(api_name(column) for column in BUCKET_CHILD_COLUMNS.get(bucket, {}))
    for column, entry in BUCKET_CHILD_COLUMNS.get(bucket, {}).items():
        if set(entry) != {"value"}:  # a list of scalars has no field names
            fields[api_name(column)] = tuple(api_name(name) for name in entry)
    return fields


def renamer(bucket: str, renamed: Mapping[str, str]) -> Callable[[Record], Record]:
    """A function that gives a record of `bucket` its canonical field names.

    `renamed` maps `field` or `list.field` (canonical) to the API's own name of it, as
    the `fields` setting gives it. Without it, snake_case spellings of the canonical
    fields (`updated_at`) are recognised, for every bucket.
    """
    aliases: dict[str, dict[str, str]] = {}
    for scope, fields in known_fields(bucket).items():
        aliases[scope] = {snake_name(f): f for f in fields if snake_name(f) != f}
    for path, served in renamed.items():
        scope, _, field = path.rpartition(".")
        aliases.setdefault(scope, {})[served] = field
    top = aliases.pop("", {})
    nested = {scope: names for scope, names in aliases.items() if names}

    def rename(record: Record) -> Record:
        if top and not top.keys().isdisjoint(record):
            record = {top.get(key, key): value for key, value in record.items()}
        for scope, names in nested.items():
            entries = record.get(scope)
            if isinstance(entries, list):
                record[scope] = [_renamed(entry, names) for entry in entries]
        return record

    return rename


def _renamed(entry: Any, names: dict[str, str]) -> Any:
    if isinstance(entry, dict) and not names.keys().isdisjoint(entry):
        return {names.get(key, key): value for key, value in entry.items()}
    return entry
