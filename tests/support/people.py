"""The people behind every metric's figure, recomputed from the simulator's records.

Each semantic model of dbt_project/models/semantic/ has its facts here: one per row of
the mart it reads, built from the API's records (through tests/support/dbt.py's
independent re-implementation of the marts, never from the warehouse), with the value
of every dimension MetricFlow lets a metric be grouped by, and the people the row
stands for (its giver, its receiver, ...). Grouping the facts as MetricFlow groups the
rows gives the people behind each figure it returns, so a test can check the privacy
floor for any group-by the semantic layer offers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tests.support.dbt import expected_marts, month_of, version_at
from tests.support.people_truth import people_analytics_facts
from tests.support.pipeline import as_instant


@dataclass(frozen=True)
class Fact:
    """A mart row as the semantic layer sees it."""

    at: datetime | date | None  # its metric_time
    dims: dict[str, Any]  # qualified dimension name -> value (time dimensions at their grain)
    people: dict[str, Any] = field(default_factory=dict)  # kind -> a person's id, or a count


@dataclass(frozen=True)
class People:
    """How a metric counts the people behind a figure: for each kind, `distinct` ids over
    the group's rows, `max` or `sum` of a per-row count; the smallest of them counts."""

    kinds: tuple[tuple[str, str], ...]

    def count(self, facts: Iterable[Fact]) -> int:
        facts = list(facts)
        counts = []
        for kind, how in self.kinds:
            values = [fact.people.get(kind) for fact in facts]
            values = [value for value in values if value is not None]
            if how == "distinct":
                counts.append(len(set(values)))
            elif how == "max":
                counts.append(max(values, default=0))
            else:
                counts.append(sum(values))
        return min(counts)


def group(facts: Iterable[Fact], group_by: list[str]) -> dict[tuple, list[Fact]]:
    """The facts by their values of `group_by` (none: one group), as MetricFlow groups rows."""
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[tuple(value_of(fact, name) for name in group_by)].append(fact)
    return dict(groups)


def value_of(fact: Fact, group_by: str) -> Any:
    if group_by.startswith("metric_time__"):
        return _at_grain(fact.at, group_by.removeprefix("metric_time__"))
    for grain in ("day", "month"):
        if group_by.endswith(f"__{grain}") and group_by.removesuffix(f"__{grain}") in fact.dims:
            return _at_grain(fact.dims[group_by.removesuffix(f"__{grain}")], grain)
    if group_by not in fact.dims:
        raise KeyError(f"the test's facts do not know the dimension {group_by}")
    return fact.dims[group_by]


def _at_grain(moment: datetime | date | None, grain: str) -> date | None:
    if moment is None:
        return None
    day = moment.date() if isinstance(moment, datetime) else moment
    if grain == "day":
        return day
    if grain == "month":
        return month_of(moment) if isinstance(moment, datetime) else day.replace(day=1)
    raise ValueError(f"no grain {grain}")


# ------------------------------------------------------------------ facts per semantic model


def facts_by_model(records: dict[str, list[dict]], floor: int) -> dict[str, list[Fact]]:
    """{semantic model: its facts} for the organisation of `records`, built with `floor`."""
    expected = expected_marts(records, [records["users"]])
    requests = _request_dims(records, expected)
    cycles = _cycle_dims(records)
    return {
        "user_months": _user_months(expected),
        "feedback": _feedback(records, expected, requests),
        "feedback_requests": _requests(records, requests),
        "request_recipients": _recipients(records, requests),
        "review_tasks": _review_tasks(expected, cycles),
        "review_cycles": _review_cycles(expected, cycles),
        "team_months": _team_months(records, expected, floor),
        "team_flows": _team_flows(records, expected),
        "feedback_pairs": _pairs(records),
        **people_analytics_facts(records, cycles),
    }


def _user_months(expected) -> list[Fact]:
    return [
        Fact(
            month,
            {
                "user_month__month_start": month,
                "user_month__engagement_status": row["engagement_status"],
            },
            {"user": user},
        )
        for (user, month), row in expected.user_months.items()
        if row["is_account_active"]
    ]


def _request_dims(records, expected) -> dict[str, dict[str, Any]]:
    return {
        request["id"]: {
            "feedback_request__created_at": as_instant(request["createdAt"]),
            "feedback_request__has_answer": expected.feedback_requests[request["id"]][
                "answered_count"
            ]
            > 0,
        }
        for request in records["feedback_requests"]
    }


def _feedback(records, expected, requests) -> list[Fact]:
    facts = []
    for item in records["feedback"]:
        if item["isFlagged"]:
            continue  # every metric leaves them out
        flags = expected.feedback_flags[item["id"]]
        at = as_instant(item["createdAt"])
        request = requests.get(item.get("requestId") or "", dict.fromkeys(_REQUEST_DIMS))
        dims = {
            "feedback__created_at": at,
            "feedback__feedback_type": item["type"],
            "feedback__is_anonymous": item["isAnonymous"],
            "feedback__is_flagged": item["isFlagged"],
            "feedback": item["id"],
            "feedback_request": item.get("requestId"),
            **{f"feedback__{flag}": value for flag, value in flags.items()},
            **request,
        }
        sender = None if item["isAnonymous"] else item["senderId"]
        facts.append(Fact(at, dims, {"giver": sender, "receiver": item["recipientId"]}))
    return facts


_REQUEST_DIMS = ("feedback_request__created_at", "feedback_request__has_answer")


def _requests(records, requests) -> list[Fact]:
    return [
        Fact(
            requests[request["id"]]["feedback_request__created_at"],
            {**requests[request["id"]], "feedback_request": request["id"]},
            {"requester": request["requesterId"]},
        )
        for request in records["feedback_requests"]
    ]


def _recipients(records, requests) -> list[Fact]:
    facts = []
    for request in records["feedback_requests"]:
        seen = set()
        for recipient in request["recipients"]:
            person = recipient["userId"]
            if not person or person in seen:
                continue  # as staging: a person listed twice counts once
            seen.add(person)
            dims = {
                **requests[request["id"]],
                "request_recipient__created_at": as_instant(request["createdAt"]),
                "request_recipient__status": recipient["status"],
                "feedback_request": request["id"],
            }
            facts.append(Fact(dims["request_recipient__created_at"], dims, {"asked": person}))
    return facts


def _cycle_dims(records) -> dict[str, dict[str, Any]]:
    return {
        review["id"]: {
            "review__review_name": review["name"],
            "review__review_type": review["type"],
            "review__review_status": review["status"],
            "review__end_at": as_instant(review["endAt"]),
        }
        for review in records["reviews"]
    }


def _review_tasks(expected, cycles) -> list[Fact]:
    facts = []
    for task_id, task in expected.review_participation.items():
        dims = {
            **cycles.get(task["review_id"], dict.fromkeys(_CYCLE_DIMS)),
            "review_task__review_end_at": task["review_end_at"],
            "review_task__relationship": task["relationship"],
            "review_task__status": task["status"],
            "review_task__is_completed": task["is_completed"],
            "review_task": task_id,
            "review": task["review_id"],
        }
        # as the measure `reviewers`: an external reviewer counts once per task
        reviewer = task["reviewer_id"] or task_id
        facts.append(Fact(task["review_end_at"], dims, {"reviewer": reviewer}))
    return facts


_CYCLE_DIMS = ("review__review_name", "review__review_type", "review__review_status")


def _review_cycles(expected, cycles) -> list[Fact]:
    facts = []
    for review_id, cycle in expected.review_cycles.items():
        smaller = min(cycle["raters_count"], cycle["rated_people_count"])
        facts.append(
            Fact(
                cycles[review_id]["review__end_at"],
                {**cycles[review_id], "review": review_id},
                {"raters": cycle["raters_count"], "rating_group": smaller},
            )
        )
    return facts


def _team_months(records, expected, floor: int) -> list[Fact]:
    """Team-months; a month below the floor counts in no team_* metric, so it brings no
    people (its `team_months_below_floor` is not a figure about people)."""
    teams = {team["id"]: team for team in records["teams"]}
    facts = []
    for (team_id, month), row in expected.team_months.items():
        team = teams[team_id]
        parent = teams.get(team["parentTeamId"] or "")
        dims = {
            "team": team_id,
            "team__team_name": team["name"],
            "team__parent_team_name": None if parent is None else parent["name"],
            "team__is_top_level": team["parentTeamId"] is None,
            "team_month__month_start": month,
        }
        shown = row["active_headcount"] >= floor
        people = {
            "headcount": row["active_headcount"],
            "members_asked": row["members_asked_count"],
            "members_with_review_tasks": row["members_with_review_tasks_count"],
        }
        facts.append(Fact(month, dims, people if shown else {}))
    return facts


def departments(records) -> dict[str, str]:
    """{team: the name of its department}: its ancestor one level below its tree's root
    (the dbt var department_depth's default), or the root itself."""
    teams = {team["id"]: team for team in records["teams"]}

    def path(team_id: str) -> list[str]:  # the team, then its ancestors up to the root
        chain = [team_id]
        while teams[chain[-1]]["parentTeamId"] in teams:
            chain.append(teams[chain[-1]]["parentTeamId"])
        return chain

    return {
        team_id: teams[chain[-2] if len(chain) >= 2 else chain[-1]]["name"]
        for team_id, chain in ((team_id, path(team_id)) for team_id in teams)
    }


def _team_flows(records, expected) -> list[Fact]:
    """One per item and (giving team, receiving team) it is credited to."""
    teams = {team["id"]: team["name"] for team in records["teams"]}
    department = departments(records)
    facts = []
    for item in records["feedback"]:
        if item["isFlagged"] or item["isAnonymous"] or not item["senderId"]:
            continue
        at = as_instant(item["createdAt"])
        giver = version_at(expected.history, item["senderId"], at)
        receiver = version_at(expected.history, item["recipientId"], at)
        if giver is None or receiver is None:
            continue
        for giver_team in set(giver.record["teamIds"]) & set(teams):
            for receiver_team in set(receiver.record["teamIds"]) & set(teams):
                dims = {
                    "team_flow__created_at": at,
                    "team_flow__giver_team_id": giver_team,
                    "team_flow__giver_team_name": teams[giver_team],
                    "team_flow__receiver_team_id": receiver_team,
                    "team_flow__receiver_team_name": teams[receiver_team],
                    "team_flow__is_within_team": giver_team == receiver_team,
                    "team_flow__feedback": item["id"],
                    "team_flow__giver_department_name": department[giver_team],
                    "team_flow__receiver_department_name": department[receiver_team],
                }
                people = {"giver": item["senderId"], "receiver": item["recipientId"]}
                facts.append(Fact(at, dims, people))
    return facts


def _pairs(records) -> list[Fact]:
    """One per giver and receiver over all the data, dated by their first feedback."""
    first: dict[tuple[str, str], datetime] = {}
    for item in records["feedback"]:
        sender, recipient = item["senderId"], item["recipientId"]
        if item["isFlagged"] or item["isAnonymous"] or not sender or sender == recipient:
            continue
        at = as_instant(item["createdAt"])
        first[(sender, recipient)] = min(first.get((sender, recipient), at), at)
    return [
        Fact(
            at,
            {
                "feedback_pair__first_given_at": at,
                "feedback_pair__is_reciprocated": (receiver, giver) in first,
            },
            {"giver": giver, "receiver": receiver},
        )
        for (giver, receiver), at in first.items()
    ]


# ------------------------------------------------- how each metric counts its people

GIVERS_AND_RECEIVERS = People((("giver", "distinct"), ("receiver", "distinct")))


def _is(dimension: str, value: Any) -> Callable[[Fact], bool]:
    return lambda fact: fact.dims[dimension] == value


def _known_relationship(fact: Fact) -> bool:
    return fact.dims["feedback__is_cross_team"] is not None


def _everything(fact: Fact) -> bool:
    return True


@dataclass(frozen=True)
class FloorRule:
    """A metric's privacy floor as the README states it: the people of the rows of
    `model` that `rows` keeps (what the figure counts, or its denominator)."""

    model: str
    people: People
    rows: Callable[[Fact], bool] = _everything


def _rules(model: str, people: People, metrics: str, rows=_everything) -> dict[str, FloorRule]:
    return dict.fromkeys(metrics.split(), FloorRule(model, people, rows))


FEEDBACK_TYPE = "feedback__feedback_type"
ACTIVE = People((("user", "distinct"),))
REQUESTERS = People((("requester", "distinct"),))
ASKED = People((("asked", "distinct"),))
REVIEWERS = People((("reviewer", "distinct"),))
SHOWN_RATINGS = People((("rating_group", "max"),))
FLOOR_RULES: dict[str, FloorRule] = {
    **_rules(
        "user_months",
        ACTIVE,
        "active_people active_users participating_users participation_rate giving_rate "
        "asking_rate feedback_per_head users_without_feedback users_without_feedback_share "
        "users_without_feedback_3_months users_without_feedback_3_months_share",
    ),
    **_rules(
        "feedback",
        GIVERS_AND_RECEIVERS,
        "feedback_count praise_share tip_share answer_share anonymous_feedback_share "
        "feedback_givers feedback_receivers",
    ),
    **_rules(
        "feedback", GIVERS_AND_RECEIVERS, "praise_count", _is("feedback__feedback_type", "praise")
    ),
    **_rules("feedback", GIVERS_AND_RECEIVERS, "tip_count", _is("feedback__feedback_type", "tip")),
    **_rules(
        "feedback", GIVERS_AND_RECEIVERS, "answer_count", _is("feedback__feedback_type", "feedback")
    ),
    **_rules(
        "feedback",
        GIVERS_AND_RECEIVERS,
        "feedback_with_known_relationship manager_feedback_share upward_feedback_share "
        "peer_feedback_share cross_team_feedback_share",
        _known_relationship,
    ),
    **_rules(
        "feedback_requests",
        REQUESTERS,
        "feedback_requests feedback_requesters unanswered_feedback_requests",
    ),
    **_rules(
        "feedback_requests",
        REQUESTERS,
        "median_hours_to_first_answer median_days_to_first_answer",
        _is("feedback_request__has_answer", True),
    ),
    **_rules(
        "request_recipients",
        ASKED,
        "people_asked feedback_request_recipients feedback_request_answers "
        "feedback_request_response_rate feedback_request_decline_rate "
        "feedback_request_expiry_rate feedback_request_pending_rate",
    ),
    **_rules(
        "review_tasks",
        REVIEWERS,
        "review_tasks review_tasks_completed review_completion_rate review_reviewers",
    ),
    **_rules(
        "review_tasks",
        REVIEWERS,
        "review_tasks_completed_late review_late_completion_share",
        _is("review_task__is_completed", True),
    ),
    **_rules("review_cycles", People((("raters", "sum"),)), "review_raters"),
    **_rules(
        "review_cycles",
        SHOWN_RATINGS,
        "average_rating review_ratings_shown review_rating_points_shown review_raters_shown "
        "review_rated_people_shown",
    ),
    **_rules(
        "team_months",
        People((("headcount", "max"),)),
        "team_active_members team_givers team_feedback_given team_givers_share "
        "team_feedback_per_head",
    ),
    **_rules(
        "team_months",
        People((("members_asked", "max"),)),
        "team_requests_received team_requests_answered team_request_response_rate",
    ),
    **_rules(
        "team_months",
        People((("members_with_review_tasks", "max"),)),
        "team_review_tasks_due team_review_tasks_completed team_review_completion_rate",
    ),
    **_rules("team_flows", GIVERS_AND_RECEIVERS, "team_flow_feedback_count"),
    **_rules("feedback_pairs", GIVERS_AND_RECEIVERS, "feedback_pairs reciprocity_rate"),
    **_rules(
        "review_rating_gaps", People((("self_and_manager", "distinct"),)), "self_manager_rating_gap"
    ),
    **_rules(
        "review_rating_gaps", People((("peer_and_manager", "distinct"),)), "peer_manager_rating_gap"
    ),
    **_rules(
        "user_manager_months", People((("managed", "distinct"),)), "manager_feedback_coverage"
    ),
    **_rules(
        "manager_quarters",
        People((("manager", "distinct"),)),
        "managers_covering_every_report_share",
    ),
    **_rules(
        "department_months",
        People((("headcount", "max"),)),
        "department_givers_share department_feedback_per_head department_review_completion_rate",
    ),
}
# Not figures about people, so not floored: the floor, the targets, how far the data
# reaches, and a count of team-months.
UNFLOORED = (
    "privacy_floor",
    "participation_target",
    "response_rate_target",
    "data_latest_activity_at",
    "data_loaded_at",
    "team_months_below_floor",
)
# Entities whose ids are the warehouse's own hashes: a group of one of them is one mart row.
SURROGATE_ENTITIES = (
    "user_month",
    "request_recipient",
    "team_month",
    "team_flow",
    "feedback_pair",
    "review_rating_gap",
    "user_manager_month",
    "manager_quarter",
    "department_month",
)
