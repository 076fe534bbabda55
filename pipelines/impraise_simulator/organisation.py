"""The simulated organisation: every bucket's live records, and the ways they change.

Records are stored encoded (see `codec`), one `BucketStore` per bucket. The public
methods speak in API JSON dicts with canonical UTC timestamps; the server reads pages
of encoded bodies through `page()`. One lock serialises changes and reads, so tests may
mutate the organisation while the server is serving it.
"""

from __future__ import annotations

import gc
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import codec, timestamps
from .generator import generate
from .store import BucketStore, Window
from .vocabulary import DEPARTMENTS

BUCKETS = (
    "users",
    "teams",
    "topics",
    "feedback",
    "feedback_requests",
    "reviews",
    "review_participants",
    "review_answers",
)
_BUCKET_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_TITLES = tuple(title for _, _, titles in DEPARTMENTS.values() for title in titles)


@dataclass(frozen=True)
class Page:
    """One page of a selection: the encoded records and how many the selection holds."""

    bodies: list[bytes]
    total: int


class Organisation:
    """A company's data as the API serves it: buckets of records in creation order."""

    def __init__(self, stores: dict[str, BucketStore]) -> None:
        """Use `Organisation.generate`; this takes already built stores."""
        self._stores = stores
        self._lock = threading.RLock()

    @classmethod
    def generate(cls, users: int = 200, seed: int = 1, answer_rounds: int = 1) -> Organisation:
        """A realistic organisation; the same arguments always give identical records.

        About 55 records per user across the eight buckets, all dated between
        2024-01-01 and 2026-06-30. `answer_rounds` > 1 makes review questionnaires that
        many times longer: review answers then dominate (3 rounds: 71% of the pages).
        """
        collected: dict[str, list[tuple[int, str, bytes, int]]] = {name: [] for name in BUCKETS}

        def emit(bucket: str, record: dict[str, Any]) -> None:
            body, updated = codec.encode(record)
            collected[bucket].append((record["createdAt"], record["id"], body, updated))

        generate(users, seed, emit, answer_rounds)
        stores = {}
        for bucket, entries in collected.items():
            entries.sort(key=_created)  # stable: same-instant records keep generation order
            stores[bucket] = BucketStore(
                [entry[1] for entry in entries],
                [entry[2] for entry in entries],
                [entry[3] for entry in entries],
            )
            entries.clear()  # free the tuples before the next bucket's columns are built
        # The records live as long as the server does: keeping millions of them out of
        # the garbage collector's scans avoids pauses of 30 ms and more while serving.
        gc.freeze()
        return cls(stores)

    def copy(self) -> Organisation:
        """An independent organisation with the same records (cheaper than generating)."""
        with self._lock:
            return Organisation({name: store.copy() for name, store in self._stores.items()})

    @property
    def buckets(self) -> list[str]:
        """The bucket names served: the eight known ones, then any added."""
        with self._lock:
            return list(self._stores)

    def records(self, bucket: str) -> list[dict[str, Any]]:
        """A bucket's live records as new dicts, in creation order, timestamps in UTC."""
        with self._lock:
            bodies = list(self._store(bucket).bodies)
        return [codec.decode(body) for body in bodies]

    def count(self) -> int:
        """Total number of records across all buckets."""
        with self._lock:
            return sum(len(store) for store in self._stores.values())

    def update(self, bucket: str, record_id: str, **fields: Any) -> dict[str, Any]:
        """Set fields of a record and bump its updatedAt to now (unless given); returns it."""
        if "id" in fields:
            raise ValueError("a record's id cannot change")
        with self._lock:
            store = self._store(bucket)
            return _update_at(store, store.position(record_id), fields)

    def add(self, bucket: str, record: dict[str, Any]) -> dict[str, Any]:
        """Add a record (id, createdAt and updatedAt filled in when missing); returns it."""
        completed = _completed(record)
        body, updated = codec.encode(completed)
        with self._lock:
            self._store(bucket).append(completed["id"], body, updated)
        return codec.decode(body)

    def delete(self, bucket: str, record_id: str) -> None:
        """Remove a record; the API keeps no trace of it."""
        with self._lock:
            store = self._store(bucket)
            store.remove(store.position(record_id))

    def add_bucket(self, name: str, records: Iterable[dict[str, Any]]) -> None:
        """Serve an extra bucket (listed in the root) that the client does not know."""
        if not _BUCKET_NAME.match(name):
            raise ValueError(f"bucket name {name!r} must be letters, digits, '_' or '-'")
        completed = [_completed(record) for record in records]
        encoded = [codec.encode(record) for record in completed]
        with self._lock:
            if name in self._stores:
                raise ValueError(f"bucket {name!r} already exists")
            self._stores[name] = BucketStore(
                [record["id"] for record in completed],
                [body for body, _ in encoded],
                [updated for _, updated in encoded],
            )

    def add_field(self, bucket: str, field: str, value_fn: Callable[[dict], Any]) -> None:
        """Schema drift: a new field on every record, value_fn(record); bumps updatedAt."""
        with self._lock:
            store = self._store(bucket)
            now = timestamps.now()
            bodies, updated = [], []
            for body in store.bodies:
                record = codec.decode(body)
                record[field] = value_fn(dict(record))
                record["updatedAt"] = now
                new_body, new_updated = codec.encode(record)
                bodies.append(new_body)
                updated.append(new_updated)
            store.replace_all(bodies, updated)

    def mutate_users(self, count: int, seed: int = 0) -> list[str]:
        """Change one thing about each of `count` users, as HR would; returns their ids.

        A change is a new job title, a new manager (never the user or one of the user's
        own reports, so the tree stays a tree), a changed team, or a status change (an
        invited user activates; an active user without reports is deactivated, with
        deactivatedAt). Each changed user's updatedAt moves to now.
        """
        rng = random.Random(f"mutate:{seed}")
        with self._lock:
            users = {record["id"]: record for record in self.records("users")}
            tree = _Tree(users)
            team_ids = list(self._store("teams").ids)
            candidates = [
                user["id"]
                for user in users.values()
                if user["managerId"] is not None and user["status"] != "deactivated"
            ]
            chosen = rng.sample(candidates, min(count, len(candidates)))
            for user_id in chosen:
                changes = _user_change(users[user_id], tree, team_ids, rng)
                tree.apply(user_id, changes)
                self.update("users", user_id, **changes)
            return chosen

    def page(
        self,
        bucket: str,
        window: Window,
        offset: int,
        limit: int,
        shuffle_seed: str | None,
        by_updated: bool = False,
    ) -> Page:
        """Encoded records [offset, offset+limit) of a bucket's selection (see BucketStore)."""
        with self._lock:
            store = self._store(bucket)
            selection = store.select(window, shuffle_seed, by_updated)
            bodies = [store.bodies[i] for i in selection[offset : offset + limit]]
            return Page(bodies, len(selection))

    def touch_one_of(
        self,
        bucket: str,
        window: Window,
        shuffle_seed: str | None,
        first: int,
        rng: random.Random,
        by_updated: bool = False,
    ) -> None:
        """Bump updatedAt to now on a random record among the selection's first `first`."""
        with self._lock:
            store = self._store(bucket)
            selection = store.select(window, shuffle_seed, by_updated)
            if first > 0 and len(selection):
                _update_at(store, selection[rng.randrange(min(first, len(selection)))], {})

    def _store(self, bucket: str) -> BucketStore:
        try:
            return self._stores[bucket]
        except KeyError:
            raise KeyError(f"no bucket {bucket!r}") from None


def _update_at(store: BucketStore, position: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Set fields of the record at `position`, updatedAt to now unless given; returns it."""
    record = codec.decode(store.bodies[position]) | {"updatedAt": timestamps.now()} | fields
    body, updated = codec.encode(record)
    store.replace(position, body, updated)
    return codec.decode(body)


def _created(entry: tuple[int, str, bytes, int]) -> int:
    return entry[0]


def _completed(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a caller's record with id, createdAt and updatedAt filled in."""
    now = timestamps.now()
    completed = {"id": uuid.uuid4().hex, "createdAt": now, "updatedAt": now} | record
    completed["id"] = str(completed["id"])
    return completed


class _Tree:
    """The manager tree of a users bucket, kept current while users change."""

    def __init__(self, users: dict[str, dict[str, Any]]) -> None:
        self.manager_of = {user_id: user["managerId"] for user_id, user in users.items()}
        self.report_count = Counter(self.manager_of.values())
        self.active = [user_id for user_id, user in users.items() if user["status"] == "active"]

    def is_under(self, user_id: str, ancestor_id: str) -> bool:
        """Whether ancestor_id is user_id itself or above it in the tree."""
        current: str | None = user_id
        while current is not None:
            if current == ancestor_id:
                return True
            current = self.manager_of[current]
        return False

    def apply(self, user_id: str, changes: dict[str, Any]) -> None:
        if "managerId" in changes:
            self.report_count[self.manager_of[user_id]] -= 1
            self.manager_of[user_id] = changes["managerId"]
            self.report_count[changes["managerId"]] += 1


def _user_change(
    user: dict[str, Any], tree: _Tree, team_ids: list[str], rng: random.Random
) -> dict[str, Any]:
    kind = rng.choice(("jobTitle", "managerId", "teamIds", "status"))
    if kind == "status" and user["status"] == "invited":
        return {"status": "active"}
    if kind == "status" and not tree.report_count[user["id"]]:
        return {"status": "deactivated", "deactivatedAt": timestamps.now()}
    if kind == "managerId":
        # Rejection sampling: a few random active users, the first outside the user's subtree.
        for _ in range(20):
            manager = rng.choice(tree.active)
            if manager != user["managerId"] and not tree.is_under(manager, user["id"]):
                return {"managerId": manager}
    if kind == "teamIds" and len(team_ids) > 3:
        kept = user["teamIds"][:2]
        return {"teamIds": [*kept, rng.choice([t for t in team_ids if t not in kept])]}
    return {"jobTitle": "Senior " + rng.choice(_TITLES)}
