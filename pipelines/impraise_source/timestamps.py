"""Timestamps as instants: the API serves them with any UTC offset, with or without
fractional seconds, so cursors are compared after parsing, never as strings."""

from __future__ import annotations

from datetime import UTC, date, datetime


def parse_instant(value: str) -> datetime:
    """An ISO 8601 timestamp or bare date as an aware UTC datetime.

    A bare date means midnight UTC; a timestamp without an offset is taken as UTC.
    Raises ValueError naming the value when it is not ISO 8601.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{value}' is not an ISO 8601 date or timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_instant(instant: datetime) -> str:
    """The canonical form we send as `after` and keep in state: UTC, microseconds, `Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
