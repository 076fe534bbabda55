"""Records between Python dicts and the encoded JSON the server sends.

A record is stored once, encoded, exactly as served by default: its timestamps rendered
in varied UTC offsets and precisions (each field's rendering fixed by a hash of the
record id and the field name, so it never changes between requests). Decoding brings
every timestamp back to the canonical UTC rendering.

A timestamp field is any field whose name ends in "At" (nested ones included, such as
`recipients[].answeredAt`). Its value may be given as an integer instant in
microseconds, an ISO 8601 string, or null.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from typing import Any

from . import timestamps

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(record: dict[str, Any]) -> tuple[bytes, int]:
    """The served JSON of a record, and its updatedAt instant (microseconds)."""
    record_id = str(record["id"])

    def render(field: str, micros: int) -> str:
        return timestamps.varied(micros, zlib.crc32(f"{record_id}/{field}".encode()))

    served = _with_timestamps(record, render)
    return _encoder.encode(served).encode(), _as_micros(record["updatedAt"])


def decode(body: bytes) -> dict[str, Any]:
    """A stored record as a new dict, timestamps in the canonical UTC rendering."""
    return _with_timestamps(json.loads(body), lambda _field, micros: timestamps.canonical(micros))


def canonical_body(body: bytes) -> bytes:
    """A stored record re-encoded with canonical UTC timestamps."""
    return _encoder.encode(decode(body)).encode()


def snake_case_body(body: bytes) -> bytes:
    """An encoded record with every field name, nested ones included, in snake_case."""
    return _encoder.encode(_snake_keys(json.loads(body))).encode()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, list):
        return [_snake_keys(item) for item in value]
    if isinstance(value, dict):
        return {_SNAKE.sub("_", key).lower(): _snake_keys(item) for key, item in value.items()}
    return value


_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _as_micros(value: int | str) -> int:
    return value if isinstance(value, int) else timestamps.parse(value)


def _with_timestamps(value: Any, render: Callable[[str, int], str]) -> Any:
    """A copy of `value` with every timestamp field rendered by render(field, micros)."""
    if isinstance(value, list):
        return [_with_timestamps(item, render) for item in value]
    if not isinstance(value, dict):
        return value
    copy = {}
    # Exact type checks (not isinstance) keep booleans out and this loop fast: it runs
    # for every field of millions of records.
    for field, item in value.items():
        kind = type(item)
        if kind is int and field.endswith("At"):
            item = render(field, item)
        elif kind is str and field.endswith("At"):
            item = _rendered_text(field, item, render)
        elif kind is dict or kind is list:
            item = _with_timestamps(item, render)
        copy[field] = item
    return copy


def _rendered_text(field: str, text: str, render: Callable[[str, int], str]) -> str:
    try:
        return render(field, timestamps.parse(text))
    except ValueError:
        # A caller's own "...At" field that is not a timestamp stays as it was given.
        return text
