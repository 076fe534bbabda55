"""The buckets impraise-elt knows, each declared once, field by field.

A field is declared by the name the API documents for it (camelCase: `jobTitle`), its
type, and the bucket whose ids it holds, if it holds any (`managerId` holds users').
Its warehouse column is dlt's snake_case of that name (`job_title`); a nested list loads
into the child table `<bucket>__<column>`. Every other module reads its bucket's fields
here: the names records are renamed to (naming.py), the Arrow columns and dlt's column
hints (columnar.py), what the field policy knows and hashes together (field_policy.py),
the `fields` setting's check (config.py) and `--check`'s report (probe.py). The dbt
project declares the same columns and types again in
`dbt_project/models/staging/impraise/_impraise__sources.yml`, on purpose (the loader
must not depend on it); tests/test_staging_types.py fails when the two disagree.

Every column exists in the warehouse from the first load, even when all its values are
null (dlt creates no column for a field it has only seen as null), because its type is
declared to dlt up front.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.schema.typing import TColumnSchema

# The loader's types: dlt's data types, and the `data_type` of _impraise__sources.yml.
Kind = Literal["text", "bool", "bigint", "timestamp"]
TEXT: Kind = "text"
BOOL: Kind = "bool"
BIGINT: Kind = "bigint"
TIMESTAMP: Kind = "timestamp"
# What a nested list of objects is, to the field policy (it cannot be hashed whole).
OBJECTS = "list of objects"

CURSOR_FIELD = "updatedAt"
# Set on raw rows that a complete read of their bucket no longer finds at the source.
DELETED_AT_COLUMN = "_deleted_at"
# The one column of a child table of scalars, as dlt names it.
SCALAR_VALUE = "value"

_NAMING = NamingConvention()


@cache
def warehouse_name(name: str) -> str:
    """The warehouse's name for a bucket, route or field however the API spells it:
    dlt's snake_case naming (`jobTitle`, `review-participants`, `updated_at`), the one
    that names every table and column dlt creates."""
    return _NAMING.normalize_identifier(name)


@dataclass(frozen=True)
class Field:
    """One field: its API name, its type and the bucket whose ids it holds."""

    name: str
    kind: Kind
    references: str | None = None

    @property
    def column(self) -> str:
        return warehouse_name(self.name)


@dataclass(frozen=True)
class NestedList:
    """A list field, loaded as a child table: one row per entry."""

    name: str
    # The fields of each entry; a list of scalars has one, `value`.
    entries: tuple[Field, ...]
    of_scalars: bool

    @property
    def column(self) -> str:
        return warehouse_name(self.name)


def scalars(name: str, kind: Kind, references: str | None = None) -> NestedList:
    """A list of scalars (`teamIds`), each entry a `value` of `kind`."""
    return NestedList(name, (Field(SCALAR_VALUE, kind, references),), of_scalars=True)


def objects(name: str, *entries: Field) -> NestedList:
    """A list of objects (`recipients`), each entry with these fields."""
    return NestedList(name, entries, of_scalars=False)


# Every record's fields, the buckets the project does not know included.
COMMON_FIELDS = (Field("id", TEXT), Field("createdAt", TIMESTAMP), Field(CURSOR_FIELD, TIMESTAMP))


@dataclass(frozen=True)
class BucketSchema:
    """A bucket's fields, its common ones first, and its nested lists."""

    name: str
    fields: tuple[Field, ...] = COMMON_FIELDS
    lists: tuple[NestedList, ...] = field(default=())

    @property
    def top_level(self) -> tuple[str, ...]:
        """The API names of the record's own fields, its lists included."""
        return tuple(f.name for f in self.fields) + tuple(n.name for n in self.lists)

    def entry_fields(self) -> dict[str, tuple[str, ...]]:
        """The API names of the entries' fields, per list of objects."""
        return {n.name: tuple(f.name for f in n.entries) for n in self.lists if not n.of_scalars}

    def child_table(self, nested: NestedList) -> str:
        """The table a nested list loads into, named as dlt names nested tables."""
        return f"{self.name}__{nested.column}"

    def columns(self) -> dict[str, Kind]:
        """The bucket table's declared columns and their types."""
        return {f.column: f.kind for f in self.fields}

    def table_hints(self) -> dict[str, TColumnSchema]:
        """dlt's column hints for the bucket's table, its bookkeeping columns included."""
        hints = _hints(self.fields)
        hints["id"]["nullable"] = False
        # A record read twice in one run (changed while the run paged) merges as its
        # latest version: dlt's merge keeps the first row of each key in this order.
        hints[warehouse_name(CURSOR_FIELD)]["dedup_sort"] = "desc"
        hints[DELETED_AT_COLUMN] = {"name": DELETED_AT_COLUMN, **_TYPE_HINTS[TIMESTAMP]}
        return hints

    def child_hints(self) -> dict[str, dict[str, TColumnSchema]]:
        """dlt's column hints for each child table, by table name."""
        return {self.child_table(n): _hints(n.entries) for n in self.lists}


def bucket(name: str, *declared: Field | NestedList) -> BucketSchema:
    """A known bucket: the common fields, then these fields and lists in their order."""
    own = tuple(d for d in declared if isinstance(d, Field))
    lists = tuple(d for d in declared if isinstance(d, NestedList))
    return BucketSchema(name, COMMON_FIELDS + own, lists)


# The eight buckets, as the API contract (docs/api.md) describes them.
BUCKETS: dict[str, BucketSchema] = {
    declared.name: declared
    for declared in (
        bucket(
            "users",
            Field("name", TEXT),
            Field("email", TEXT),
            Field("jobTitle", TEXT),
            Field("managerId", TEXT, references="users"),
            Field("isAdmin", BOOL),
            Field("status", TEXT),
            Field("deactivatedAt", TIMESTAMP),
            scalars("teamIds", TEXT, references="teams"),
        ),
        bucket(
            "teams",
            Field("name", TEXT),
            Field("parentTeamId", TEXT, references="teams"),
            Field("leadId", TEXT, references="users"),
        ),
        bucket(
            "topics",
            Field("name", TEXT),
            Field("category", TEXT),
            Field("isActive", BOOL),
        ),
        bucket(
            "feedback",
            Field("type", TEXT),
            Field("senderId", TEXT, references="users"),
            Field("recipientId", TEXT, references="users"),
            Field("requestId", TEXT, references="feedback_requests"),
            Field("comment", TEXT),
            Field("isAnonymous", BOOL),
            Field("isFlagged", BOOL),
            scalars("topicIds", TEXT, references="topics"),
        ),
        bucket(
            "feedback_requests",
            Field("requesterId", TEXT, references="users"),
            Field("subjectId", TEXT, references="users"),
            Field("question", TEXT),
            Field("dueAt", TIMESTAMP),
            objects(
                "recipients",
                Field("userId", TEXT, references="users"),
                Field("status", TEXT),
                Field("answeredAt", TIMESTAMP),
            ),
        ),
        bucket(
            "reviews",
            Field("name", TEXT),
            Field("type", TEXT),
            Field("status", TEXT),
            Field("startAt", TIMESTAMP),
            Field("endAt", TIMESTAMP),
            Field("isAnonymous", BOOL),
            Field("createdById", TEXT, references="users"),
        ),
        bucket(
            "review_participants",
            Field("reviewId", TEXT, references="reviews"),
            Field("recipientId", TEXT, references="users"),
            Field("reviewerId", TEXT, references="users"),
            Field("relationship", TEXT),
            Field("status", TEXT),
            Field("completedAt", TIMESTAMP),
        ),
        bucket(
            "review_answers",
            Field("reviewId", TEXT, references="reviews"),
            Field("participantId", TEXT, references="review_participants"),
            Field("topicId", TEXT, references="topics"),
            Field("questionText", TEXT),
            Field("rating", BIGINT),
            Field("comment", TEXT),
        ),
    )
}

KNOWN_BUCKETS: tuple[str, ...] = tuple(BUCKETS)


def bucket_schema(name: str) -> BucketSchema:
    """A bucket's declaration; one the project does not know has the common fields only."""
    return BUCKETS.get(name) or BucketSchema(name)


@dataclass(frozen=True)
class DeclaredField:
    """A declared field anywhere in a record, as the field policy and the tests name it."""

    bucket: str
    # The API's names from the record down: (`jobTitle`,), (`recipients`, `userId`).
    names: tuple[str, ...]
    kind: str  # a Kind, or OBJECTS for a list of objects
    references: str | None = None

    @property
    def path(self) -> tuple[str, ...]:
        """The bucket, then the warehouse names down to the field."""
        return (self.bucket, *map(warehouse_name, self.names))

    @property
    def dotted(self) -> str:
        """`bucket.field` or `bucket.list.field`, by the API's names."""
        return ".".join((self.bucket, *self.names))


def declared_fields() -> Iterator[DeclaredField]:
    """Every field of every known bucket: the record's own, each list, each entry field."""
    for schema in BUCKETS.values():
        for own in schema.fields:
            yield DeclaredField(schema.name, (own.name,), own.kind, own.references)
        for nested in schema.lists:
            if nested.of_scalars:
                (value,) = nested.entries
                yield DeclaredField(schema.name, (nested.name,), value.kind, value.references)
                continue
            yield DeclaredField(schema.name, (nested.name,), OBJECTS)
            for entry in nested.entries:
                names = (nested.name, entry.name)
                yield DeclaredField(schema.name, names, entry.kind, entry.references)


def id_families() -> dict[str, tuple[DeclaredField, ...]]:
    """Per bucket whose ids are referenced: its `id`, then every field that holds one.

    The field policy hashes a family together, under one key, so every join the marts
    make still matches (see field_policy.py)."""
    declared = list(declared_fields())
    return {
        entity: (
            next(d for d in declared if d.bucket == entity and d.names == ("id",)),
            *(d for d in declared if d.references == entity),
        )
        for entity in dict.fromkeys(d.references for d in declared if d.references)
    }


_TYPE_HINTS: dict[Kind, TColumnSchema] = {
    TEXT: {"data_type": "text", "nullable": True},
    BOOL: {"data_type": "bool", "nullable": True},
    BIGINT: {"data_type": "bigint", "nullable": True},
    TIMESTAMP: {"data_type": "timestamp", "timezone": True, "nullable": True},
}


def _hints(fields: tuple[Field, ...]) -> dict[str, TColumnSchema]:
    return {f.column: {"name": f.column, **_TYPE_HINTS[f.kind]} for f in fields}
