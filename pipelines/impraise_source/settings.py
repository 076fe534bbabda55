"""What the source knows about the Impraise API: defaults and the eight known buckets.

Column types are declared up front so every known column exists in the warehouse from
the first load, even when all its values are null (dlt creates no column for a field it
has only seen as null), and so the dbt project can rely on them.
"""

from __future__ import annotations

from typing import Any

from dlt.common.schema.typing import TColumnSchema

# One record as the API serves it (camelCase fields, nested lists as lists).
Record = dict[str, Any]

DEFAULT_BASE_URL = "https://analytics-api.impraise.com"
DEFAULT_REQUESTS_PER_SECOND = 6.0
# The API refuses maxItems above 1000; the largest page means the fewest requests.
MAX_ITEMS = 1000
# Pages requested ahead of the one being read, per bucket (1 reads strictly in sequence).
DEFAULT_PREFETCH_PAGES = 3
# How far behind the moment a bucket's read began its saved cursor is kept: covers clock
# skew between this machine and the API, and commits that land late on the API's side.
DEFAULT_CURSOR_LAG_SECONDS = 300.0

# The environment twin of each setting of [sources.impraise], as dlt reads it.
_SETTING_PREFIX = "SOURCES__IMPRAISE__"

CURSOR_FIELD = "updatedAt"
# Set on raw rows that a --full-refresh run no longer finds at the source.
DELETED_AT_COLUMN = "_deleted_at"

_TIMESTAMP: TColumnSchema = {"data_type": "timestamp", "timezone": True, "nullable": True}
_TEXT: TColumnSchema = {"data_type": "text", "nullable": True}
_BOOL: TColumnSchema = {"data_type": "bool", "nullable": True}
_BIGINT: TColumnSchema = {"data_type": "bigint", "nullable": True}

COMMON_COLUMNS = {"id": "text", "created_at": "timestamp", "updated_at": "timestamp"}

# Scalar fields per bucket, by their snake_case warehouse name.
BUCKET_COLUMNS: dict[str, dict[str, str]] = {
    "users": {
        "name": "text",
        "email": "text",
        "job_title": "text",
        "manager_id": "text",
        "is_admin": "bool",
        "status": "text",
        "deactivated_at": "timestamp",
    },
    "teams": {"name": "text", "parent_team_id": "text", "lead_id": "text"},
    "topics": {"name": "text", "category": "text", "is_active": "bool"},
    "feedback": {
        "type": "text",
        "sender_id": "text",
        "recipient_id": "text",
        "request_id": "text",
        "comment": "text",
        "is_anonymous": "bool",
        "is_flagged": "bool",
    },
    "feedback_requests": {
        "requester_id": "text",
        "subject_id": "text",
        "question": "text",
        "due_at": "timestamp",
    },
    "reviews": {
        "name": "text",
        "type": "text",
        "status": "text",
        "start_at": "timestamp",
        "end_at": "timestamp",
        "is_anonymous": "bool",
        "created_by_id": "text",
    },
    "review_participants": {
        "review_id": "text",
        "recipient_id": "text",
        "reviewer_id": "text",
        "relationship": "text",
        "status": "text",
        "completed_at": "timestamp",
    },
    "review_answers": {
        "review_id": "text",
        "participant_id": "text",
        "topic_id": "text",
        "question_text": "text",
        "rating": "bigint",
        "comment": "text",
    },
}

# Nested lists, which dlt loads as child tables `<bucket>__<field>`.
BUCKET_CHILD_COLUMNS: dict[str, dict[str, dict[str, str]]] = {
    "users": {"team_ids": {"value": "text"}},
    "feedback": {"topic_ids": {"value": "text"}},
    "feedback_requests": {
        "recipients": {"user_id": "text", "status": "text", "answered_at": "timestamp"}
    },
}

KNOWN_BUCKETS: tuple[str, ...] = tuple(BUCKET_COLUMNS)

# The fields that hold another record's id, by the bucket whose ids they hold, as paths of
# warehouse column names (`<bucket>.<column>`, `<bucket>.<list>.<field>` inside a nested
# list). The field policy hashes an id and every reference to it together, under one key,
# so each join the marts make still matches (see field_policy.py).
ID_REFERENCES: dict[str, tuple[str, ...]] = {
    "users": (
        "users.manager_id",
        "teams.lead_id",
        "feedback.sender_id",
        "feedback.recipient_id",
        "feedback_requests.requester_id",
        "feedback_requests.subject_id",
        "feedback_requests.recipients.user_id",
        "reviews.created_by_id",
        "review_participants.recipient_id",
        "review_participants.reviewer_id",
    ),
    "teams": ("users.team_ids", "teams.parent_team_id"),
    "topics": ("feedback.topic_ids", "review_answers.topic_id"),
    "feedback_requests": ("feedback.request_id",),
    "reviews": ("review_participants.review_id", "review_answers.review_id"),
    "review_participants": ("review_answers.participant_id",),
}

_TYPES: dict[str, TColumnSchema] = {
    "text": _TEXT,
    "bool": _BOOL,
    "bigint": _BIGINT,
    "timestamp": _TIMESTAMP,
}


def setting_name(key: str) -> str:
    """The environment variable of a [sources.impraise] setting: what errors name."""
    return _SETTING_PREFIX + key.upper()


def _columns(types: dict[str, str]) -> dict[str, TColumnSchema]:
    return {name: {"name": name, **_TYPES[kind]} for name, kind in types.items()}


def column_types(bucket: str) -> dict[str, str]:
    """The declared scalar columns of a bucket (shared and its own) and their kinds."""
    return {**COMMON_COLUMNS, **BUCKET_COLUMNS.get(bucket, {})}


def child_table(bucket: str, column: str) -> str:
    """The table a bucket's nested list loads into, named as dlt names nested tables."""
    return f"{bucket}__{column}"


def table_columns(bucket: str) -> dict[str, TColumnSchema]:
    """Column hints for a bucket's table: shared, bucket-specific and bookkeeping columns."""
    columns = _columns(column_types(bucket))
    columns["id"]["nullable"] = False
    # A record read twice in one run (changed while the run paged) merges as its latest
    # version: dlt's merge keeps the first row of each key in this order.
    columns["updated_at"]["dedup_sort"] = "desc"
    columns[DELETED_AT_COLUMN] = {"name": DELETED_AT_COLUMN, **_TIMESTAMP}
    return columns


def child_columns(bucket: str) -> dict[str, dict[str, TColumnSchema]]:
    """Column hints for a known bucket's child tables, by nested field name."""
    return {field: _columns(types) for field, types in BUCKET_CHILD_COLUMNS.get(bucket, {}).items()}
