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


def _as_micros(value: int | str) -> int:
    return value if isinstance(value, int) else timestamps.parse(value)


def _with_timestamps(value: Any, render: Callable[[str, int], str]) -> Any:
    """A copy of `value` with every timestamp field rendered by render(field, micros)."""
    if isinstance(value, list):
        return [_with_timestamps(item, render) for item in value]
    if not isinstance(value, dict):
        return value
    copy = {}
    for field, item in value.items():
        if field.endswith("At") and isinstance(item, int | str) and not isinstance(item, bool):
            item = _rendered(field, item, render)
        elif isinstance(item, dict | list):
            item = _with_timestamps(item, render)
        copy[field] = item
    return copy


def _rendered(field: str, value: int | str, render: Callable[[str, int], str]) -> int | str:
    try:
        return render(field, _as_micros(value))
    except ValueError:
        # A caller's own "...At" field that is not a timestamp stays as it was given.
        return value
