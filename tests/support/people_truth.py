"""Issue 22's figures recomputed from the simulator's records, as the marts document them.

Shared by tests/test_calibration.py (the marts and metrics) and tests/test_people_report.py
(the report's sections). One load, so every user has one version: their current record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from statistics import mean
from typing import Any

from tests.support.dbt import month_of, next_month
from tests.support.pipeline import as_instant
from tests.support.semantic import FLOOR

Records = dict[str, list[dict[str, Any]]]


# ------------------------------------------------------------------ the source's ratings


def rated_answers(records: Records) -> list[dict[str, Any]]:
    """Rated answers with their task's review, relationship, recipient and rater (the
    reviewer, or the task for an external reviewer)."""
    tasks = {task["id"]: task for task in records["review_participants"]}
    answers = []
    for answer in records["review_answers"]:
        task = tasks.get(answer["participantId"])
        if answer["rating"] is None or task is None:
            continue
        answers.append(
            {
                "review_id": answer["reviewId"],
                "relationship": task["relationship"],
                "recipient_id": task["recipientId"],
                "rater": task["reviewerId"] or task["id"],
                "rating": answer["rating"],
            }
        )
    return answers


def expected_distribution(records: Records) -> dict[tuple, tuple[int | None, int]]:
    """{(review, relationship, rating): (answers_count or None, raters_count)}."""
    answers, raters = Counter(), defaultdict(set)
    for answer in rated_answers(records):
        key = (answer["review_id"], answer["relationship"], answer["rating"])
        answers[key] += 1
        raters[key].add(answer["rater"])
    withheld = {key for key in answers if len(raters[key]) < FLOOR}
    for review in {key[0] for key in answers}:
        cells = [key for key in answers if key[0] == review]
        if sum(key in withheld for key in cells) == 1:
            shown = [key for key in cells if key not in withheld]
            if shown:  # the review's total would give the one withheld cell away
                withheld.add(min(shown, key=lambda key: (len(raters[key]), key[1], key[2])))
    return {key: (None if key in withheld else answers[key], len(raters[key])) for key in answers}


def per_person_means(records: Records) -> dict[tuple[str, str], dict[str, float]]:
    """{(review, person reviewed): {relationship: mean rating}}, each mean to 6 places."""
    ratings = defaultdict(list)
    for answer in rated_answers(records):
        ratings[(answer["review_id"], answer["recipient_id"], answer["relationship"])].append(
            answer["rating"]
        )
    means: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for (review, person, relationship), values in ratings.items():
        means[(review, person)][relationship] = round(mean(values), 6)
    return means


def expected_gap(
    records: Records, other: str, departments: dict[str, str] | None = None
) -> dict[Any, float | None]:
    """{review name: mean over people rated by `other` and their manager of (mean `other`
    rating - mean manager rating)}, None below the floor; with `departments` ({person:
    department}), by (review name, department of the person reviewed)."""
    names = {review["id"]: review["name"] for review in records["reviews"]}
    gaps = defaultdict(list)
    for (review, person), means in per_person_means(records).items():
        if other in means and "manager" in means:
            key = names[review] if departments is None else (names[review], departments.get(person))
            gaps[key].append(means[other] - means["manager"])
    return {key: mean(values) if len(values) >= FLOOR else None for key, values in gaps.items()}


def home_departments(records: Records) -> dict[str, str]:
    """{user: the name of their home team's department}: the deepest of their teams (the
    lowest id between equals), and its ancestor one level below the root (or the root)."""
    teams = {team["id"]: team for team in records["teams"]}

    def path(team_id: str) -> list[str]:  # the team, then its ancestors up to the root
        chain = [team_id]
        while teams[chain[-1]]["parentTeamId"] in teams:
            chain.append(teams[chain[-1]]["parentTeamId"])
        return chain

    homes = {}
    for user in records["users"]:
        own = [team for team in user["teamIds"] if team in teams]
        if own:
            chain = path(min(own, key=lambda team: (-len(path(team)), team)))
            homes[user["id"]] = teams[chain[-2] if len(chain) >= 2 else chain[-1]]["name"]
    return homes


# ---------------------------------------------------------------- the source's managers


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=as_instant("2020-01-01").tzinfo)
    upper = next_month(month)
    return start, start.replace(year=upper.year, month=upper.month)


def managed_user_months(records: Records, months: list[date]) -> dict[date, dict[str, str]]:
    """{month: {user: manager}} of the users active in the month (created by its last day,
    not deactivated before its first) with a manager."""
    managed: dict[date, dict[str, str]] = {}
    for month in months:
        start, end = month_bounds(month)
        managed[month] = {
            user["id"]: user["managerId"]
            for user in records["users"]
            if user["managerId"] is not None
            and as_instant(user["createdAt"]) < end
            and (user["deactivatedAt"] is None or as_instant(user["deactivatedAt"]) >= start)
        }
    return managed


def manager_feedback(records: Records) -> set[tuple[date, str, str]]:
    """(month, sender, recipient) of every unflagged, signed feedback item."""
    return {
        (month_of(as_instant(item["createdAt"])), item["senderId"], item["recipientId"])
        for item in records["feedback"]
        if not item["isFlagged"] and not item["isAnonymous"] and item["senderId"]
    }


def department_headcounts(records: Records, months: list[date]) -> Counter:
    """{(department name, month): active people whose home team sits in it} (active as
    user_engagement_monthly counts: not invited, created by the month's end, not
    deactivated before it began)."""
    homes = home_departments(records)
    headcounts: Counter = Counter()
    for month in months:
        start, end = month_bounds(month)
        for user in records["users"]:
            if user["id"] not in homes or user["status"] == "invited":
                continue
            if as_instant(user["createdAt"]) >= end:
                continue
            if user["deactivatedAt"] and as_instant(user["deactivatedAt"]) < start:
                continue
            headcounts[(homes[user["id"]], month)] += 1
    return headcounts


def expected_coverage(records: Records, months: list[date]) -> dict[date, float | None]:
    given = manager_feedback(records)
    expected = {}
    for month, managers in managed_user_months(records, months).items():
        if not managers:
            continue
        covered = sum((month, manager, user) in given for user, manager in managers.items())
        expected[month] = covered / len(managers) if len(managers) >= FLOOR else None
    return expected


def expected_quarters(records: Records, months: list[date]) -> dict[tuple[str, date], bool]:
    """{(manager, quarter): whether they gave feedback to every direct report in it}."""
    given = manager_feedback(records)
    reports: dict[tuple[str, date], dict[str, bool]] = defaultdict(dict)
    for month, managers in managed_user_months(records, months).items():
        quarter = date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
        for user, manager in managers.items():
            got = reports[(manager, quarter)].get(user, False)
            reports[(manager, quarter)][user] = got or (month, manager, user) in given
    return {key: all(users.values()) for key, users in reports.items()}


# ------------------------------------------------- facts for the privacy floor's sweep


def people_analytics_facts(records: Records, cycles: dict[str, dict[str, Any]]) -> dict:
    """{semantic model: facts} of sem_calibration.yml and sem_managers.yml, for
    tests/support/people.py (`cycles`: its review dimensions by review id)."""
    from tests.support.people import Fact  # people.py imports this module

    departments = home_departments(records)
    facts: dict[str, list] = {"review_rating_gaps": [], "user_manager_months": []}
    for (review, person), means in per_person_means(records).items():
        end = cycles[review]["review__end_at"]
        dims = {
            **cycles[review],
            "review_rating_gap__review_end_at": end,
            "review_rating_gap__reviewee_department": departments.get(person),
            "review": review,
        }
        people = {
            "self_and_manager": person if {"self", "manager"} <= set(means) else None,
            "peer_and_manager": person if {"peer", "manager"} <= set(means) else None,
        }
        facts["review_rating_gaps"].append(Fact(end, dims, people))
    created = [month_of(as_instant(user["createdAt"])) for user in records["users"]]
    months, month = [], min(created)
    # past every month the mart may hold: it ends with the organisation's last activity
    last = max(
        month_of(as_instant(record[field]))
        for bucket, field in (("feedback", "createdAt"), ("reviews", "endAt"))
        for record in records[bucket]
    )
    while month <= last:
        months.append(month)
        month = next_month(month)
    quarters: set[tuple[str, date]] = set()
    for month, managers in managed_user_months(records, months).items():
        for user in managers:
            dims = {"user_manager_month__month_start": month}
            facts["user_manager_months"].append(Fact(month, dims, {"managed": user}))
        quarter = date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
        quarters |= {(manager, quarter) for manager in managers.values()}
    facts["manager_quarters"] = [
        Fact(quarter, {"manager_quarter__quarter_start": quarter}, {"manager": manager})
        for manager, quarter in quarters
    ]
    facts["department_months"] = [
        Fact(
            month,
            {"department_month__department_name": name, "department_month__month_start": month},
            {"headcount": count},
        )
        for (name, month), count in department_headcounts(records, months).items()
    ]
    return facts
