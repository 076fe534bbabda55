"""Review cycles: reviews, one participant task per reviewer, and their answers.

The calendar is the same for every organisation: half-yearly performance reviews,
pulses, yearly leadership reviews, a manager 360 and peer reviews, covering every review
type and status, plus a pilot run by one small team. Participants are launched when a
review starts; each reviewer of a completed task answers the review type's questions,
and the questions asked of their relationship.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import ids, vocabulary
from .people import Emit, People
from .ratings import BASE_RATINGS, BASE_WEIGHTS, RatingHabits
from .timeline import DAY, HOUR, MINUTE, SNAPSHOT, moment
from .timestamps import MICROS_PER_SECOND, instant

# (name, type, start date, end date); a review starting after SNAPSHOT is "scheduled".
_CALENDAR = (
    ("Pulse March 2024", "pulse", (2024, 3, 11), (2024, 3, 15)),
    ("H1 2024 Performance Review", "performance", (2024, 6, 17), (2024, 7, 12)),
    ("Project Phoenix Peer Review", "peer", (2024, 9, 9), (2024, 9, 20)),
    ("Pulse September 2024", "pulse", (2024, 9, 16), (2024, 9, 20)),
    ("Leadership Review 2024", "leadership", (2024, 10, 7), (2024, 10, 25)),
    ("H2 2024 Performance Review", "performance", (2024, 12, 2), (2024, 12, 20)),
    ("Manager 360 2025", "360", (2025, 3, 3), (2025, 3, 21)),
    ("Pulse March 2025", "pulse", (2025, 3, 10), (2025, 3, 14)),
    ("Peer Review Spring 2025", "peer", (2025, 4, 14), (2025, 4, 25)),
    ("H1 2025 Performance Review", "performance", (2025, 6, 16), (2025, 7, 11)),
    ("Pulse September 2025", "pulse", (2025, 9, 15), (2025, 9, 19)),
    ("Leadership Review 2025", "leadership", (2025, 10, 6), (2025, 10, 24)),
    ("H2 2025 Performance Review", "performance", (2025, 12, 1), (2025, 12, 19)),
    ("Pulse March 2026", "pulse", (2026, 3, 9), (2026, 3, 13)),
    ("H1 2026 Performance Review", "performance", (2026, 6, 1), (2026, 6, 26)),
    ("Pulse June 2026", "pulse", (2026, 6, 22), (2026, 6, 26)),
)
# Still being prepared by an admin: never launched, so it has no participants yet.
_DRAFT = ("Manager 360 2026", "360", (2026, 6, 29), (2026, 6, 30))
# A new review template trialled by one small team (the pilot team) before the company
# adopted it: a cycle whose few reviewers are below any privacy floor.
_PILOT = ("Review Template Pilot", "performance", (2025, 1, 20), (2025, 1, 31))
# The most people a pilot team has: fewer than the 5 the marts' default floor needs.
PILOT_TEAM_MAX_MEMBERS = 4

# Share of participant tasks per outcome: (completed, declined); the rest expire.
_CLOSED_OUTCOMES = {"pulse": (0.62, 0.03)}
_DEFAULT_CLOSED_OUTCOMES = (0.8, 0.04)


@dataclass(frozen=True)
class Review:
    id: str
    type: str
    status: str
    start: int
    end: int


def build_reviews(
    people: People, rng: random.Random, emit: Emit, ratings_rng: random.Random
) -> list[Review]:
    """Emit reviews, participants and answers; return the reviews (for feedback bursts).

    `ratings_rng` draws the raters' habits (see `ratings`)."""
    habits = RatingHabits(len(people.ids), ratings_rng)
    next_review_id = ids.NumericIds(rng, rng.randint(300, 900))
    topic_ids = {topic.name: topic.id for topic in people.topics}
    pilot_team = _pilot_team(people, instant(*_PILOT[2], 9), rng)
    # (entry, audience: None for everyone, else the users in scope, draft?) by start date
    plan = [(entry, None, False) for entry in _CALENDAR]
    if pilot_team is not None:
        plan.append((_PILOT, set(people.team_members[pilot_team]), False))
    plan.sort(key=lambda planned: planned[0][2])  # stable: the calendar's order otherwise
    plan.append((_DRAFT, None, True))
    reviews = []
    for (name, kind, start_date, end_date), audience, draft in plan:
        start, end = instant(*start_date, 9), instant(*end_date, 18)
        status = _status(start, end, draft)
        review = Review(next_review_id(), kind, status, start, end)
        reviews.append(review)
        # Prepared a few weeks ahead; never later than the snapshot, even for future ones.
        created = moment(rng, start - 28 * DAY, min(start - 14 * DAY, SNAPSHOT - 6 * DAY))
        emit(
            "reviews",
            {
                "id": review.id,
                "createdAt": created,
                "updatedAt": _review_updated(review, created),
                "name": name,
                "type": kind,
                "status": status,
                "startAt": start,
                "endAt": end,
                "isAnonymous": kind in ("360", "leadership", "peer", "pulse"),
                "createdById": people.ids[_creator(people, created, rng)],
            },
        )
        if status in ("running", "closed"):
            _build_participants(people, review, audience, topic_ids, habits, rng, emit)
    return reviews


def _pilot_team(people: People, start: int, rng: random.Random) -> int | None:
    """A team of at most PILOT_TEAM_MAX_MEMBERS members, two of whom can take part in a
    review starting at `start`; None if there is none."""
    eligible = set(_in_scope(people, start, None))
    small = [
        team
        for team, members in enumerate(people.team_members)
        if len(members) <= PILOT_TEAM_MAX_MEMBERS and len(eligible.intersection(members)) >= 2
    ]
    return rng.choice(small) if small else None


def _in_scope(people: People, start: int, audience: set[int] | None) -> list[int]:
    """Who a review starting at `start` includes: the users of `audience` (None: all) who
    use the product and were there a week before it started."""
    return [
        user
        for user in people.actors
        if people.active_at(user, start - 7 * DAY) and (audience is None or user in audience)
    ]


def _status(start: int, end: int, draft: bool) -> str:
    if draft:
        return "draft"
    if start > SNAPSHOT:
        return "scheduled"
    return "running" if end > SNAPSHOT else "closed"


def _review_updated(review: Review, created: int) -> int:
    if review.status == "closed":
        return review.end + HOUR  # the close job runs after the deadline
    if review.status == "running":
        return review.start
    return created


def _creator(people: People, created: int, rng: random.Random) -> int:
    admins = [admin for admin in people.admins if people.active_at(admin, created)]
    return rng.choice(admins) if admins else 0


def _build_participants(
    people: People,
    review: Review,
    audience: set[int] | None,
    topic_ids: dict[str, str],
    habits: RatingHabits,
    rng: random.Random,
    emit: Emit,
) -> None:
    in_scope = _in_scope(people, review.start, audience)
    for recipient, reviewer, relationship in _tasks(people, review, in_scope, rng):
        participant_id = ids.uuid(rng)
        launched = review.start + rng.randrange(0, 2 * HOUR, 1000)
        status, completed, changed = _outcome(people, review, reviewer, launched, rng)
        emit(
            "review_participants",
            {
                "id": participant_id,
                "createdAt": launched,
                "updatedAt": changed,
                "reviewId": review.id,
                "recipientId": people.ids[recipient],
                "reviewerId": None if reviewer is None else people.ids[reviewer],
                "relationship": relationship,
                "status": status,
                "completedAt": completed,
            },
        )
        if completed is not None:
            rate = functools.partial(habits.rating, reviewer=reviewer, relationship=relationship)
            _emit_answers(
                review, participant_id, relationship, completed, topic_ids, rate, rng, emit
            )


def _tasks(
    people: People, review: Review, in_scope: list[int], rng: random.Random
) -> Iterator[tuple[int, int | None, str]]:
    """(recipient, reviewer or None for an external, relationship) for every task."""
    scope = set(in_scope)

    def reports(user: int) -> list[int]:
        return [report for report in people.reports[user] if report in scope]

    def teammates(user: int) -> list[int]:
        team = people.teams[user][0] if people.teams[user] else None
        members = people.team_members[team] if team is not None else []
        manager = people.managers[user]
        return [m for m in members if m not in (user, manager) and m in scope]

    def manager_of(user: int) -> list[tuple[int, int | None, str]]:
        manager = people.managers[user]
        return [(user, manager, "manager")] if manager in scope else []

    def some(users: list[int], low: int, high: int) -> list[int]:
        return rng.sample(users, min(len(users), rng.randint(low, high)))

    for user in in_scope:
        if review.type == "pulse":
            yield user, user, "self"
        elif review.type == "performance":
            yield user, user, "self"
            yield from manager_of(user)
            if rng.random() < 0.2:
                yield from ((user, peer, "peer") for peer in some(teammates(user), 1, 1))
        elif review.type == "peer":
            if rng.random() < 0.3:
                yield from ((user, peer, "peer") for peer in some(teammates(user), 2, 3))
        elif reports(user):  # leadership and 360 reviews are about managers
            yield user, user, "self"
            yield from manager_of(user)
            yield from ((user, report, "direct_report") for report in some(reports(user), 1, 3))
            if review.type == "360":
                yield from ((user, peer, "peer") for peer in some(teammates(user), 1, 2))
                if rng.random() < 0.3:
                    yield user, None, "external"


def _outcome(
    people: People, review: Review, reviewer: int | None, launched: int, rng: random.Random
) -> tuple[str, int | None, int]:
    """(status, completedAt, updatedAt) of one task; some complete after the deadline."""
    deadline = min(review.end, SNAPSHOT)
    if review.status == "running":
        completed_share, declined_share = 0.35, 0.04
    else:
        completed_share, declined_share = _CLOSED_OUTCOMES.get(
            review.type, _DEFAULT_CLOSED_OUTCOMES
        )
    roll = rng.random()
    if roll < completed_share:
        late = review.status == "closed" and rng.random() < 0.07
        if late:
            completed = moment(rng, review.end + MINUTE, min(review.end + 7 * DAY, SNAPSHOT))
        else:
            completed = moment(rng, launched + MINUTE, deadline)
        if reviewer is None or completed < people.ends[reviewer]:
            return "completed", completed, completed
    elif roll < completed_share + declined_share:
        return "declined", None, moment(rng, launched + MINUTE, deadline)
    if review.status == "running":
        return "pending", None, launched
    return "expired", None, review.end + HOUR


def _emit_answers(
    review: Review,
    participant_id: str,
    relationship: str,
    completed: int,
    topic_ids: dict[str, str],
    rate: Callable[[int], int],
    rng: random.Random,
    emit: Emit,
) -> None:
    """`rate` turns a rating drawn from the organisation's spread into the rater's."""
    asked = vocabulary.REVIEW_QUESTIONS[review.type]
    for question, topic, rated in (
        *asked,
        *vocabulary.RELATIONSHIP_QUESTIONS.get(relationship, ()),
    ):
        rating = rate(rng.choices(BASE_RATINGS, BASE_WEIGHTS)[0]) if rated else None
        if rated and rng.random() < 0.04:
            rating = None  # the reviewer skipped an optional rating
        written = not rated or rng.random() < 0.3
        emit(
            "review_answers",
            {
                "id": ids.object_id(rng, completed // MICROS_PER_SECOND),
                "createdAt": completed,
                "updatedAt": completed,
                "reviewId": review.id,
                "participantId": participant_id,
                "topicId": topic_ids[topic],
                "questionText": question,
                "rating": rating,
                "comment": rng.choice(vocabulary.REVIEW_COMMENTS) if written else None,
            },
        )
