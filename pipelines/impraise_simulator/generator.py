"""Deterministic generation of a whole synthetic organisation.

Every part draws from its own random stream seeded by (seed, part), so the same
arguments always give identical records, and changing one part does not reshuffle the
others. Records are handed to `emit` one at a time, so the caller can encode and store
them compactly instead of keeping millions of dicts alive.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from .activity import build_appreciation_weeks, build_feedback_requests, build_praise_and_tips
from .people import Emit, build_people
from .reviews import build_reviews


def generate(users: int, seed: int, emit: Emit, answer_rounds: int = 1) -> None:
    """Emit every record of an organisation of `users` users, bucket by bucket.

    `answer_rounds` > 1 makes every review questionnaire that many times longer, so
    review answers become the dominant bucket (see `longer_questionnaires`).
    """
    if users < 2:
        raise ValueError("an organisation needs at least 2 users")
    if answer_rounds < 1:
        raise ValueError("answer_rounds must be at least 1")

    def stream(part: str) -> random.Random:
        return random.Random(f"{seed}:{part}")

    people = build_people(users, stream("people"), emit, stream("leavers"))
    reviews = build_reviews(
        people, stream("reviews"), longer_questionnaires(emit, answer_rounds), stream("ratings")
    )
    build_feedback_requests(people, stream("requests"), emit)
    launched = [(review.start, review.end) for review in reviews if review.status != "draft"]
    build_praise_and_tips(people, launched, stream("feedback"), emit)
    build_appreciation_weeks(people, stream("appreciation"), emit)


def longer_questionnaires(emit: Emit, rounds: int) -> Emit:
    """`emit`, with each review answer emitted `rounds` times: the same questions again in
    further sections of the questionnaire, answered at the same moment.

    The copies draw nothing from the random streams, so every other record is the same
    as with one round; their ids are derived from the answer's own (same shape, same
    creation-time prefix).
    """
    if rounds == 1:
        return emit

    def emit_rounds(bucket: str, record: dict[str, Any]) -> None:
        emit(bucket, record)
        if bucket != "review_answers":
            return
        for section in range(2, rounds + 1):
            digest = hashlib.blake2b(f"{record['id']}:{section}".encode(), digest_size=8)
            emit(
                bucket,
                record
                | {
                    "id": record["id"][:8] + digest.hexdigest(),
                    "questionText": f"{record['questionText']} (section {section})",
                },
            )

    return emit_rounds
