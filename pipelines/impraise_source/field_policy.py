"""The field policy: what of each record may reach the warehouse, applied before any write.

`field_policy` (`[sources.impraise]`, environment `SOURCES__IMPRAISE__FIELD_POLICY`) is a
JSON object mapping fields to `keep`, `hash` or `drop`. A field is `<bucket>.<field>`, or
`<bucket>.<list>.<field>` inside a nested list of objects, by its canonical name
(`feedback_requests.recipients.userId`). The policy runs on each record once it carries
the canonical names (naming.py).

A rule must name a field schema.py declares, or one `field_policy_undeclared` lists: a
bucket the project loads generically (`goals`: every field of it), or a field a known
bucket serves undeclared (`users.pronouns`). Any other rule is a typo until proven
otherwise (`users.nmae`, `user.name`), and a typo in a privacy rule would load the
field in clear: it stops the run, naming the declared field it is closest to. An
undeclared field matches however the API spells it (`nickName`, `nick_name`), as every
spelling lands in the same warehouse column.

- `keep`, every field's default, loads the value as served.
- `hash` replaces the value with its HMAC-SHA-256 (hex) under `hash_key`, a secret: one
  value always gives one digest under one key, so hashed values still join and count
  alike. In a list of scalars (`users.teamIds`) each entry is hashed. An id and the
  fields that reference it (`references` in schema.py) are hashed together: hashing
  `users.id` hashes `feedback.senderId` and every other reference to a user, so the
  marts still join.
- `drop` removes the field from the record, so it reaches no file, state or table; a
  column the project declares stays in its table, null.

`pii_salt`, the setting this replaces, still works and warns that it is deprecated: it
hashes users' names and emails with the salted SHA-256 it always used, so digests loaded
before match those loaded after.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from .errors import ConfigurationError, setting_name
from .schema import (
    CURSOR_FIELD,
    KNOWN_BUCKETS,
    OBJECTS,
    DeclaredField,
    declared_fields,
    id_families,
    warehouse_name,
)
from .settings import Record

KEEP, HASH, DROP = "keep", "hash", "drop"
ACTIONS = (KEEP, HASH, DROP)
SETTING = setting_name("field_policy")
UNDECLARED_SETTING = setting_name("field_policy_undeclared")
# A shorter key would make the digests of guessable values (emails) easy to reverse.
MIN_KEY_LENGTH = 16
# What the deprecated `pii_salt` hashes.
PII_SALT_FIELDS = ("users.name", "users.email")

# A field as warehouse column names: the bucket, then the column, then a nested field.
Path = tuple[str, ...]
Digest = Callable[[str], str]
# A bucket's rules as a tree: a column maps to `hash`, `drop`, or the rules of its entries.
RuleTree = dict[str, Any]


class FieldPolicyError(ConfigurationError):
    """The policy or its key cannot be applied."""


@dataclass(frozen=True)
class FieldPolicy:
    """The rule of every field that is not kept, and what the policy warns about."""

    # Per bucket: the path of a field inside a record -> `hash` or `drop`.
    rules: Mapping[str, Mapping[Path, str]]
    digest: Digest | None
    # One line each: a deprecated setting.
    warnings: tuple[str, ...]

    def preparer(self, bucket: str) -> Callable[[Record], Record] | None:
        """What rewrites a record of `bucket` before it is written; None to keep it all."""
        rules = self.rules.get(warehouse_name(bucket))
        if not rules:
            return None
        tree = _tree(rules)
        digest = self.digest

        def prepare(record: Record) -> Record:
            _apply(tree, record, digest)
            return record

        return prepare

    def effective(self) -> dict[str, str]:
        """Every field not kept, ids and references hashed along included, as warehouse
        column paths (`feedback_requests.recipients.user_id`) -> `hash` or `drop`."""
        return {
            _dotted((bucket, *path)): action
            for bucket, rules in sorted(self.rules.items())
            for path, action in sorted(rules.items())
        }


def parse_field_policy(
    field_policy: Mapping[str, Any] | None,
    hash_key: str | None = None,
    pii_salt: str | None = None,
    undeclared: Any = None,
) -> FieldPolicy:
    """The policy the settings describe; a one-line `FieldPolicyError` when it is unusable.

    `undeclared` (`field_policy_undeclared`) lists the generic buckets and undeclared
    fields the rules may name. What a configuration check reports: that error, or the
    policy's `warnings`."""
    explicit, spelled = _read(field_policy)
    _check_known(explicit, spelled, _allowed(undeclared))
    warnings = []
    if pii_salt:
        if hash_key:
            raise FieldPolicyError(
                f"both {setting_name('hash_key')} and the deprecated "
                f"{setting_name('pii_salt')} are set: keep the first only "
                "(README, 'Migrating from pii_salt')"
            )
        warnings.append(
            f"{setting_name('pii_salt')} is deprecated: it hashes users.name and users.email "
            f"with a salted SHA-256; set {setting_name('hash_key')} and {SETTING} instead "
            "(README, 'Migrating from pii_salt')"
        )
        for field in PII_SALT_FIELDS:
            path = _path(field)
            explicit.setdefault(path, HASH)
            spelled.setdefault(path, field)
    _check_nesting(explicit, spelled)
    for path, action in explicit.items():
        _check_rule(path, action, spelled[path])
    effective = _with_references(explicit, spelled)
    hashed = sorted(spelled.get(p, _dotted(p)) for p, a in effective.items() if a == HASH)
    rules: dict[str, dict[Path, str]] = {}
    for path, action in effective.items():
        if action != KEEP:
            rules.setdefault(path[0], {})[path[1:]] = action
    return FieldPolicy(rules, _digest(hashed, hash_key, pii_salt), tuple(warnings))


# ---------------------------------------------------------------------------- reading


def _read(field_policy: Mapping[str, Any] | None) -> tuple[dict[Path, str], dict[Path, str]]:
    """The rules as written: path -> action, and path -> the key as the user spelled it."""
    if field_policy is None or field_policy == "":
        return {}, {}
    if not isinstance(field_policy, Mapping):
        # dlt parses a JSON object for a dict-typed setting; anything else reaches us as is.
        raise FieldPolicyError(
            f'{SETTING} must be a JSON object such as {{"feedback.comment": "drop"}}, '
            f"not a {type(field_policy).__name__}"
        )
    explicit: dict[Path, str] = {}
    spelled: dict[Path, str] = {}
    for key, action in field_policy.items():
        path = _path(key)
        if action not in ACTIONS:
            raise FieldPolicyError(
                f"{SETTING}: {key} is {json.dumps(action)}; use keep, hash or drop"
            )
        if path in explicit:
            raise FieldPolicyError(
                f"{SETTING} names one field twice: {spelled[path]} and {key}; keep one"
            )
        explicit[path], spelled[path] = action, key
    return explicit, spelled


def _path(key: Any) -> Path:
    parts = key.split(".") if isinstance(key, str) else []
    if len(parts) < 2 or not all(part.strip() for part in parts):
        raise FieldPolicyError(
            f"{SETTING}: {json.dumps(key)} is not a field: write <bucket>.<field> "
            "(or <bucket>.<list>.<field>), e.g. feedback.comment"
        )
    return tuple(warehouse_name(part.strip()) for part in parts)


def _dotted(path: Path) -> str:
    return ".".join(path)


# ------------------------------------------------------------------------- validating


@cache
def _declared() -> dict[Path, DeclaredField]:
    """Every field the project declares, by its path of warehouse names."""
    return {field.path: field for field in declared_fields()}


def _allowed(undeclared: Any) -> frozenset[Path]:
    """The generic buckets and undeclared fields `field_policy_undeclared` lists."""
    if undeclared is None or undeclared == "":
        return frozenset()
    if not isinstance(undeclared, list | tuple) or not all(
        isinstance(entry, str) and entry.strip() for entry in undeclared
    ):
        raise FieldPolicyError(
            f'{UNDECLARED_SETTING} must be a JSON list such as ["goals", "users.pronouns"]'
        )
    allowed = set()
    for entry in undeclared:
        parts = [part.strip() for part in entry.split(".")]
        if not all(parts):
            raise FieldPolicyError(
                f"{UNDECLARED_SETTING}: {json.dumps(entry)} is not a bucket or a field: write "
                "<bucket> or <bucket>.<field>, e.g. users.pronouns"
            )
        path = tuple(map(warehouse_name, parts))
        if path in _declared():
            raise FieldPolicyError(
                f"{UNDECLARED_SETTING}: {entry} is declared by impraise-elt; leave it out"
            )
        if len(path) == 1 and path[0] in KNOWN_BUCKETS:
            raise FieldPolicyError(
                f"{UNDECLARED_SETTING}: {entry} is a bucket impraise-elt declares: "
                f"list its undeclared fields instead, e.g. {entry}.pronouns"
            )
        allowed.add(path)
    return frozenset(allowed)


def _check_known(
    explicit: Mapping[Path, str], spelled: Mapping[Path, str], allowed: frozenset[Path]
) -> None:
    """Refuse a rule on a field neither declared nor allowed as undeclared."""
    unknown = [
        path
        for path in explicit
        if path not in _declared() and not any(path[:n] in allowed for n in range(1, len(path) + 1))
    ]
    if not unknown:
        return
    key = spelled[unknown[0]]
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    # Each declared field by its API names and by its warehouse names, for either spelling.
    known = {_dotted(f.path): f.dotted for f in _declared().values()}
    known |= {f.dotted: f.dotted for f in _declared().values()}
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
    hint = f": did you mean {known[close[0]]}?" if close else ""
    raise FieldPolicyError(
        f"{SETTING} names {key}{more}, which impraise-elt does not declare{hint}; to apply "
        f"a rule to a bucket it loads generically or a field it does not declare, list "
        f"that bucket or field in {UNDECLARED_SETTING}"
    )


def _check_nesting(explicit: Mapping[Path, str], spelled: Mapping[Path, str]) -> None:
    for path in explicit:
        for length in range(2, len(path)):
            if path[:length] in explicit:
                raise FieldPolicyError(
                    f"{SETTING} names both {spelled[path[:length]]} and {spelled[path]}: "
                    "a rule for a list covers its fields; keep one"
                )


def _check_rule(path: Path, action: str, key: str) -> None:
    field = path[1:]
    if field == ("id",) and action == DROP:
        raise FieldPolicyError(
            f"{SETTING}: {key} cannot be dropped: rows merge on it (hash it instead)"
        )
    if field == (warehouse_name(CURSOR_FIELD),) and action != KEEP:
        raise FieldPolicyError(
            f"{SETTING}: {key} must be kept: it is the cursor of incremental loading"
        )
    declared = _declared().get(path)
    kind = declared.kind if declared else None
    if action != HASH or kind in (None, "text"):
        return
    if kind == OBJECTS:
        entry = next(f for f in _declared().values() if f.path[:-1] == path)
        raise FieldPolicyError(
            f"{SETTING}: {key} is a list of objects: name the fields to hash, "
            f"e.g. {key}.{entry.names[-1]}"
        )
    raise FieldPolicyError(
        f"{SETTING}: {key} is a {kind} field and only text can be hashed (drop it instead)"
    )


def _with_references(explicit: Mapping[Path, str], spelled: Mapping[Path, str]) -> dict[Path, str]:
    """The explicit rules, plus `hash` for every id and reference hashed along with one."""
    effective = dict(explicit)
    for entity, family in id_families().items():
        members = [member.path for member in family]
        hashed = next((m for m in members if explicit.get(m) == HASH), None)
        if hashed is None:
            continue
        for member in members:
            if explicit.get(member) == KEEP:
                raise FieldPolicyError(
                    f"{SETTING} hashes {spelled[hashed]} but keeps {spelled[member]}: "
                    f"ids of {entity} and every reference to them are hashed together, "
                    "or the marts could not join them; hash or drop it, or leave it out"
                )
            dropped = any(explicit.get(member[:n]) == DROP for n in range(2, len(member) + 1))
            if not dropped:
                effective[member] = HASH
    return effective


def _digest(hashed: list[str], hash_key: str | None, pii_salt: str | None) -> Digest | None:
    if not hashed:
        return None
    if pii_salt:
        return _salted_sha256(pii_salt)
    if not hash_key:
        more = f" (and {len(hashed) - 1} more)" if len(hashed) > 1 else ""
        raise FieldPolicyError(
            f"{SETTING} hashes {hashed[0]}{more} but no hash_key is set: set "
            f"{setting_name('hash_key')}, or hash_key in .dlt/secrets.toml"
        )
    if len(hash_key) < MIN_KEY_LENGTH:
        raise FieldPolicyError(
            f"{setting_name('hash_key')} is shorter than {MIN_KEY_LENGTH} "
            "characters: use a long random one, e.g. python -c "
            "'import secrets; print(secrets.token_hex(32))'"
        )
    return _hmac_sha256(hash_key)


def _hmac_sha256(key: str) -> Digest:
    keyed = hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)

    def digest(value: str) -> str:
        mac = keyed.copy()  # the key already absorbed: cheaper than hmac.new per value
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()

    return digest


def _salted_sha256(salt: str) -> Digest:
    """What `pii_salt` always computed: sha256(salt + value)."""
    prefix = salt.encode("utf-8")
    return lambda value: hashlib.sha256(prefix + value.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- applying


def _tree(rules: Mapping[Path, str]) -> RuleTree:
    tree: RuleTree = {}
    for path, action in rules.items():
        node = tree
        for name in path[:-1]:
            node = node.setdefault(name, {})
        node[path[-1]] = action
    return tree


def _apply(tree: RuleTree, record: Record, digest: Digest) -> None:
    for key in tuple(record):
        rule = tree.get(warehouse_name(key))
        if rule is None:
            continue
        if rule == DROP:
            del record[key]
        elif rule == HASH:
            record[key] = _hashed(record[key], digest)
        else:
            value = record[key]
            for entry in value if isinstance(value, list) else (value,):
                if isinstance(entry, dict):
                    _apply(rule, entry, digest)


def _hashed(value: Any, digest: Digest) -> Any:
    """A value's digest; in a list, each entry's; null stays null."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_hashed(entry, digest) for entry in value]
    if isinstance(value, str):
        return digest(value)
    # A number, boolean or object where the API usually serves text: its JSON text.
    return digest(json.dumps(value, sort_keys=True, ensure_ascii=False))
