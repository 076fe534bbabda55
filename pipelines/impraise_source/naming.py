"""Canonical names: the API's fields however the live API spells them.

The project speaks of fields by the API's documented camelCase names (`updatedAt`), as
schema.py declares them. The live API may write a field `updated_at`, or rename it
outright (the `fields` setting says to what). Records are renamed to the canonical
spelling before anything else sees them, so the cursor, the column types, the child
tables and every raw column come out exactly as with the documented API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .schema import bucket_schema, warehouse_name
from .settings import Record


def renamer(bucket: str, renamed: Mapping[str, str]) -> Callable[[Record], Record]:
    """A function that gives a record of `bucket` its canonical field names.

    `renamed` maps `field` or `list.field` (canonical) to the API's own name of it, as
    the `fields` setting gives it. Without it, the warehouse spellings of the canonical
    fields (`updated_at`) are recognised, for every bucket.
    """
    schema = bucket_schema(bucket)
    aliases: dict[str, dict[str, str]] = {}
    for scope, fields in {"": schema.top_level, **schema.entry_fields()}.items():
        aliases[scope] = {warehouse_name(f): f for f in fields if warehouse_name(f) != f}
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
