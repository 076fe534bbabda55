"""Optional pseudonymisation of people's names and emails, applied before loading.

With a salt configured (`SOURCES__IMPRAISE__PII_SALT`), a user's `name` and `email`
reach the warehouse only as salted SHA-256 digests. Ids are untouched, so every join in
the marts still works, and the same person always gets the same digest under one salt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from .settings import Record

PII_BUCKET = "users"
PII_FIELDS = ("name", "email")


def pseudonymiser(salt: str) -> Callable[[Record], Record]:
    """Replaces the PII fields of a user record with salted digests."""
    prefix = salt.encode("utf-8")

    def pseudonymise(record: Record) -> Record:
        for field in PII_FIELDS:
            value = record.get(field)
            if isinstance(value, str):
                record[field] = hashlib.sha256(prefix + value.encode("utf-8")).hexdigest()
        return record

    return pseudonymise
