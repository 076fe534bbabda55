"""Everyday feedback: praise and tips, feedback requests, and the answers to requests.

Feedback flows mostly between managers and reports and between teammates, with some
across teams, and clusters around review cycles (people give feedback when reviews
remind them). An answer to a request is itself a feedback item of type "feedback".
Once a year some teams hold an appreciation week, in which every member gets anonymous
praise from a teammate: the one time many people of a team receive anonymous feedback
in the same month.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from . import ids, vocabulary
from .people import Emit, People
from .timeline import DAY, HOUR, MINUTE, PLAN_END, SNAPSHOT, moment
from .timestamps import instant

PRAISE_PER_USER = 7.0
REQUESTS_PER_USER = 2.2
# Monday 9:00 of each year's appreciation week, and the share of teams that hold it.
APPRECIATION_WEEKS = (instant(2024, 11, 18, 9), instant(2025, 11, 17, 9))
APPRECIATION_TEAM_SHARE = 0.3


def build_feedback_requests(people: People, rng: random.Random, emit: Emit) -> None:
    """Emit feedback requests, and a feedback item for every answered recipient."""
    for _ in range(round(len(people.ids) * REQUESTS_PER_USER)):
        requester = rng.choice(people.actors)
        asked = _moment_active(people, requester, rng)
        if asked is None:
            continue
        subject = _subject(people, requester, asked, rng)
        wanted = rng.choices((1, 2, 3, 4, 5), weights=(15, 25, 30, 18, 12))[0]
        recipients = _colleagues(people, requester, wanted, asked, {requester, subject}, rng)
        if not recipients:
            continue
        request_id = ids.prefixed(rng, "fr_", 14)
        due = min(asked + rng.choice((7, 14)) * DAY, PLAN_END)
        answers = [_answer(people, user, asked, due, rng) for user in recipients]
        emit(
            "feedback_requests",
            {
                "id": request_id,
                "createdAt": asked,
                "updatedAt": max([asked, *(changed for _, _, changed in answers)]),
                "requesterId": people.ids[requester],
                "subjectId": people.ids[subject],
                "question": rng.choice(vocabulary.REQUEST_QUESTIONS),
                "dueAt": due,
                "recipients": [
                    {"userId": people.ids[user], "status": status, "answeredAt": answered}
                    for user, (status, answered, _) in zip(recipients, answers, strict=True)
                ],
            },
        )
        for user, (status, answered, _) in zip(recipients, answers, strict=True):
            if status == "answered":
                _emit_feedback(people, rng, emit, "feedback", user, subject, answered, request_id)


def build_praise_and_tips(
    people: People, review_windows: Sequence[tuple[int, int]], rng: random.Random, emit: Emit
) -> None:
    """Emit real-time praise and tips; a third of them in the weeks around a review."""
    for _ in range(round(len(people.ids) * PRAISE_PER_USER)):
        sender = rng.choice(people.actors)
        given = None
        if review_windows and rng.random() < 0.3:
            start, _ = rng.choice(review_windows)
            burst = moment(rng, start - 10 * DAY, start + 15 * DAY)
            given = burst if people.active_at(sender, burst) else None
        given = given or _moment_active(people, sender, rng)
        if given is None:
            continue
        recipient = _colleagues(people, sender, 1, given, {sender}, rng)
        if recipient:
            kind = "praise" if rng.random() < 0.7 else "tip"
            _emit_feedback(people, rng, emit, kind, sender, recipient[0], given, None)


def build_appreciation_weeks(people: People, rng: random.Random, emit: Emit) -> None:
    """Emit the anonymous praise of each appreciation week: in each team that holds it,
    every member present all week gets one, from a teammate present too."""
    actors = set(people.actors)
    for week in APPRECIATION_WEEKS:
        for members in people.team_members:
            if rng.random() >= APPRECIATION_TEAM_SHARE:
                continue
            present = [
                user
                for user in members
                if user in actors
                and people.active_at(user, week)
                and people.active_at(user, week + 5 * DAY)
            ]
            for recipient in present:
                senders = [user for user in present if user != recipient]
                if senders:
                    given = moment(rng, week, week + 5 * DAY)
                    sender = rng.choice(senders)
                    _emit_feedback(
                        people, rng, emit, "praise", sender, recipient, given, None, anonymous=True
                    )


def _emit_feedback(
    people: People,
    rng: random.Random,
    emit: Emit,
    kind: str,
    sender: int,
    recipient: int,
    created: int,
    request_id: str | None,
    anonymous: bool | None = None,
) -> None:
    """`anonymous` None: answers to requests are signed, spontaneous feedback is
    sometimes anonymous."""
    if anonymous is None:
        anonymous = request_id is None and rng.random() < 0.08
    flagged = rng.random() < 0.02
    edited = flagged or rng.random() < 0.1
    phrases = {"praise": vocabulary.PRAISE, "tip": vocabulary.TIPS}.get(kind, vocabulary.ANSWERS)
    topics = people.topics_at(created)
    topic_count = rng.choices((0, 1, 2, 3), weights=(25, 45, 20, 10))[0]
    emit(
        "feedback",
        {
            "id": ids.uuid(rng),
            "createdAt": created,
            "updatedAt": (
                moment(rng, created, min(created + 2 * DAY, SNAPSHOT)) if edited else created
            ),
            "type": kind,
            "senderId": None if anonymous else people.ids[sender],
            "recipientId": people.ids[recipient],
            "requestId": request_id,
            "topicIds": [topic.id for topic in rng.sample(topics, min(topic_count, len(topics)))],
            "comment": rng.choice(phrases),
            "isAnonymous": anonymous,
            "isFlagged": flagged,
        },
    )


def _answer(
    people: People, user: int, asked: int, due: int, rng: random.Random
) -> tuple[str, int | None, int]:
    """(status, answeredAt, when the status last changed) for one request recipient."""
    roll = rng.random()
    latest = min(people.ends[user], SNAPSHOT)
    if roll < 0.55 and asked + 30 * MINUTE < latest:
        answered = moment(rng, asked + 30 * MINUTE, min(due + 2 * DAY, latest))
        return "answered", answered, answered
    elif roll < 0.65:
        return "declined", None, moment(rng, asked + MINUTE, min(due, latest))
    if due <= SNAPSHOT:
        return "expired", None, due
    return "pending", None, asked


def _subject(people: People, requester: int, asked: int, rng: random.Random) -> int:
    """Usually people ask about themselves; managers sometimes ask about a report."""
    reports = [r for r in people.reports[requester] if people.active_at(r, asked)]
    if reports and rng.random() < 0.3:
        return rng.choice(reports)
    return requester


def _colleague(people: People, user: int, rng: random.Random) -> int:
    """Someone `user` works with: their manager or a report, a teammate, or anyone."""
    roll = rng.random()
    if roll < 0.35:
        manager = people.managers[user]
        circle = people.reports[user] + ([manager] if manager >= 0 else [])
        if circle:
            return rng.choice(circle)
    if roll < 0.7 and people.teams[user]:
        return rng.choice(people.team_members[rng.choice(people.teams[user])])
    return rng.choice(people.actors)


def _colleagues(
    people: People, user: int, count: int, at: int, excluded: set[int], rng: random.Random
) -> list[int]:
    """Up to `count` distinct colleagues of `user` active `at` that moment, not `excluded`.

    Gives up after four draws per colleague wanted, as small teams run out of people.
    """
    picked: list[int] = []
    for _ in range(count * 4):
        other = _colleague(people, user, rng)
        if other not in excluded and other not in picked and people.active_at(other, at):
            picked.append(other)
            if len(picked) == count:
                break
    return picked


def _moment_active(people: People, user: int, rng: random.Random) -> int | None:
    """A random moment while the user is active, leaving an hour for replies."""
    low, high = people.created[user] + DAY, people.ends[user] - HOUR
    return moment(rng, low, high) if low < high else None
