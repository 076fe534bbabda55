"""Deterministic generation of a whole synthetic organisation.

Every part draws from its own random stream seeded by (seed, part), so the same
arguments always give identical records, and changing one part does not reshuffle the
others. Records are handed to `emit` one at a time, so the caller can encode and store
them compactly instead of keeping millions of dicts alive.
"""

from __future__ import annotations

import random

from .activity import build_appreciation_weeks, build_feedback_requests, build_praise_and_tips
from .people import Emit, build_people
from .reviews import build_reviews


def generate(users: int, seed: int, emit: Emit) -> None:
    """Emit every record of an organisation of `users` users, bucket by bucket."""
    if users < 2:
        raise ValueError("an organisation needs at least 2 users")

    def stream(part: str) -> random.Random:
        return random.Random(f"{seed}:{part}")

    people = build_people(users, stream("people"), emit, stream("leavers"))
    reviews = build_reviews(people, stream("reviews"), emit, stream("ratings"))
    build_feedback_requests(people, stream("requests"), emit)
    launched = [(review.start, review.end) for review in reviews if review.status != "draft"]
    build_praise_and_tips(people, launched, stream("feedback"), emit)
    build_appreciation_weeks(people, stream("appreciation"), emit)
