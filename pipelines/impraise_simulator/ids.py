"""Opaque record ids in the varied shapes a real API hands out.

Clients must treat ids as strings, so each bucket uses a different shape: prefixed
base-36, UUIDs, numeric strings, Mongo-style object ids, slugs.
"""

from __future__ import annotations

import random
import re
import unicodedata

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def prefixed(rng: random.Random, prefix: str, length: int) -> str:
    """e.g. "usr_8f3k2x9a"."""
    return prefix + "".join(rng.choices(_BASE36, k=length))


def uuid(rng: random.Random) -> str:
    """A random (version 4 layout) UUID drawn from `rng`, so it is reproducible."""
    text = f"{rng.getrandbits(128):032x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-a{text[17:20]}-{text[20:]}"


def object_id(rng: random.Random, created_seconds: int) -> str:
    """A 24-hex id that starts with its creation time, like a MongoDB ObjectId."""
    return f"{created_seconds:08x}{rng.getrandbits(64):016x}"


def slug(name: str) -> str:
    """ "Résumé screening" -> "resume-screening"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


class NumericIds:
    """Increasing numeric strings with random gaps, as an auto-increment column leaks."""

    def __init__(self, rng: random.Random, first: int) -> None:
        self._rng = rng
        self._next = first

    def __call__(self) -> str:
        value = self._next
        self._next += self._rng.randint(1, 9)
        return str(value)
