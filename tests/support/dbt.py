"""Run the dbt project against a warehouse, read its marts, and recompute them in Python.

`expected_marts` is an independent re-implementation of the marts' documented rules
(dbt_project/docs/*.md and the models yml) straight from the simulator's API records,
so the end-to-end tests compare two derivations that share no code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb

from tests.support.pipeline import REPO_ROOT, as_instant
from tests.support.tally import TALLY

DBT = Path(sys.executable).with_name("dbt")
MIN_GROUP_SIZE = 5  # the project's default var
RELATIONSHIPS = ("self", "manager", "peer", "direct_report", "external")
# What dashboards read: the models under dbt_project/models/marts.
MARTS = (
    "dim_users",
    "dim_teams",
    "dim_users_history",
    "fct_feedback",
    "fct_feedback_requests",
    "fct_review_participation",
    "review_cycle_summary",
    "review_topic_ratings",
    "user_engagement_monthly",
    "team_engagement_monthly",
    "team_feedback_flows",
    "feedback_pairs_monthly",
)


# --------------------------------------------------------------------------- running dbt


@dataclass
class DbtRun:
    returncode: int
    output: str


def run_dbt(args: list[str], env: dict[str, str], workdir: Path, timeout: float = 600) -> DbtRun:
    """`dbt <args>` from the repo root, as the README runs it, with private target/log dirs
    so a test never disturbs (or is disturbed by) a developer's dbt_project/target."""
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PG", "IMPRAISE_", "DBT_"))
    }
    full_env.update(
        {
            "DBT_PROJECT_DIR": "dbt_project",
            "DBT_PROFILES_DIR": "profiles",
            "DBT_TARGET_PATH": str(workdir / "dbt_target"),
            "DBT_LOG_PATH": str(workdir / "dbt_logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    full_env.update(env)
    completed = subprocess.run(
        [str(DBT), *args],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    TALLY.add(dbt_runs=1)
    return DbtRun(completed.returncode, completed.stdout + completed.stderr)


@dataclass
class Warehouse:
    """Where the pipeline loads and dbt builds: a DuckDB file or a PostgreSQL database."""

    kind: str
    duckdb_path: Path | None = None
    pg_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """The variables both the pipeline and profiles/profiles.yml read."""
        if self.kind == "duckdb":
            return {"IMPRAISE_DESTINATION": "duckdb", "IMPRAISE_DUCKDB_PATH": str(self.duckdb_path)}
        return {"IMPRAISE_DESTINATION": "postgres", **self.pg_env}

    def rows(self, sql: str) -> list[dict[str, Any]]:
        if self.kind == "duckdb":
            with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
                cursor = connection.execute(sql)
                columns = [d[0] for d in cursor.description]
                return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        import psycopg2

        env = self.pg_env
        connection = psycopg2.connect(
            host=env["PGHOST"],
            port=int(env["PGPORT"]),
            user=env["PGUSER"],
            password=env.get("PGPASSWORD", ""),
            dbname=env["PGDATABASE"],
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                columns = [d[0] for d in cursor.description]
                return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def mart(self, name: str, schema: str = "analytics") -> list[dict[str, Any]]:
        return self.rows(f"select * from {schema}.{name}")


# ------------------------------------------------------------------------ small helpers


def month_of(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def months_between(first: date, last: date) -> list[date]:
    months, current = [], first
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def ratio(numerator: int, denominator: int, places: int = 4) -> Decimal | None:
    """The marts' rounding: half away from zero, null over nothing."""
    if not denominator:
        return None
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


def whole_seconds_between(start: datetime, end: datetime) -> int:
    """Second boundaries crossed, as dbt.datediff(..., 'second') counts them."""
    return int(end.timestamp() // 1) - int(start.timestamp() // 1)


TRACKED = ("jobTitle", "managerId", "status", "teamIds")


def tracked(user: dict[str, Any]) -> tuple:
    return (user["jobTitle"], user["managerId"], user["status"], tuple(sorted(user["teamIds"])))


# ------------------------------------------------------------------------ user history


@dataclass
class Version:
    valid_from: datetime
    valid_to: datetime | None
    record: dict[str, Any]
    window_from: datetime | None  # attribution window, open (None) for the first version
    window_to: datetime | None  # open (None) for the last version

    def contains(self, moment: datetime) -> bool:
        return (self.window_from is None or moment >= self.window_from) and (
            self.window_to is None or moment < self.window_to
        )

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return (self.window_from is None or self.window_from < end) and (
            self.window_to is None or self.window_to > start
        )


def user_versions(loads: list[list[dict[str, Any]]]) -> dict[str, list[Version]]:
    """What users_snapshot + dim_users_history hold after one dbt build per load: for each
    user, the states seen at each build, consecutive equal tracked attributes merged."""
    states: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for users in loads:
        for user in users:
            seen = states[user["id"]]
            if not seen or as_instant(user["updatedAt"]) > as_instant(seen[-1]["updatedAt"]):
                if seen and tracked(seen[-1]) == tracked(user):
                    continue  # a snapshot row that dim_users_history collapses
                seen.append(user)
    history: dict[str, list[Version]] = {}
    for user_id, seen in states.items():
        starts = [as_instant(state["updatedAt"]) for state in seen]
        versions = []
        for index, state in enumerate(seen):
            last = index == len(seen) - 1
            versions.append(
                Version(
                    valid_from=starts[index],
                    valid_to=None if last else starts[index + 1],
                    record=state,
                    window_from=None if index == 0 else starts[index],
                    window_to=None if last else starts[index + 1],
                )
            )
        history[user_id] = versions
    return history


def version_at(history: dict[str, list[Version]], user_id: str | None, moment: datetime):
    for version in history.get(user_id or "", []):
        if version.contains(moment):
            return version
    return None


# ---------------------------------------------------------------------- engagement events


@dataclass(frozen=True)
class Event:
    kind: str
    user_id: str
    at: datetime
    feedback_type: str | None = None
    is_anonymous: bool | None = None
    is_done: bool | None = None

    @property
    def month(self) -> date:
        return month_of(self.at)


def engagement_events(records: dict[str, list[dict[str, Any]]]) -> list[Event]:
    """The documented counting rules: flagged feedback never counts, anonymous feedback
    only as received, a request per recipient, review tasks by their cycle's end."""
    events: list[Event] = []
    for item in records["feedback"]:
        if item["isFlagged"]:
            continue
        at = as_instant(item["createdAt"])
        if item["senderId"] and not item["isAnonymous"]:
            events.append(Event("feedback_given", item["senderId"], at, item["type"], False))
        if item["recipientId"]:
            events.append(
                Event(
                    "feedback_received", item["recipientId"], at, item["type"], item["isAnonymous"]
                )
            )
    for request in records["feedback_requests"]:
        created = as_instant(request["createdAt"])
        if request["requesterId"]:
            events.append(Event("request_sent", request["requesterId"], created))
        seen: set[str] = set()
        for recipient in request["recipients"]:
            user_id = recipient["userId"]
            if not user_id or user_id in seen:
                continue
            seen.add(user_id)
            answered = recipient["status"] == "answered"
            events.append(Event("request_received", user_id, created, is_done=answered))
            if answered:
                answered_at = as_instant(recipient["answeredAt"]) or created
                events.append(Event("request_answered", user_id, answered_at))
    reviews = {review["id"]: review for review in records["reviews"]}
    for task in records["review_participants"]:
        review = reviews.get(task["reviewId"])
        if review is None or not task["reviewerId"] or not review["endAt"]:
            continue
        done = task["status"] == "completed"
        events.append(
            Event("review_task_due", task["reviewerId"], as_instant(review["endAt"]), is_done=done)
        )
    return events


# ------------------------------------------------------------------------------ the marts


def expected_user_months(records, events) -> dict[tuple[str, date], dict[str, Any]]:
    """user_engagement_monthly, keyed by (user_id, month)."""
    users = {user["id"]: user for user in records["users"]}
    organisation_last = max(event.month for event in events)
    by_user: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_user[event.user_id].append(event)
    rows = {}
    for user_id, user in users.items():
        created = as_instant(user["createdAt"])
        deactivated = as_instant(user["deactivatedAt"])
        own = by_user.get(user_id, [])
        first = min([month_of(created), *(event.month for event in own)])
        last = organisation_last
        if deactivated is not None:
            last = min(last, month_of(deactivated))
        if own:
            last = max(last, max(event.month for event in own))
        for month in months_between(first, last):
            in_month = [event for event in own if event.month == month]
            kinds = Counter(event.kind for event in in_month)
            typed = Counter((event.kind, event.feedback_type) for event in in_month)
            row = {
                "is_account_active": user["status"] != "invited"
                and created < month_start(next_month(month))
                and (deactivated is None or deactivated >= month_start(month)),
                "feedback_given": kinds["feedback_given"],
                "feedback_received": kinds["feedback_received"],
                "praise_given": typed[("feedback_given", "praise")],
                "tips_given": typed[("feedback_given", "tip")],
                "praise_received": typed[("feedback_received", "praise")],
                "tips_received": typed[("feedback_received", "tip")],
                "requests_sent": kinds["request_sent"],
                "requests_received": kinds["request_received"],
                "requests_answered": kinds["request_answered"],
                "review_tasks_due": kinds["review_task_due"],
                "review_tasks_completed": sum(
                    1 for event in in_month if event.kind == "review_task_due" and event.is_done
                ),
            }
            acted = (
                row["feedback_given"]
                or row["requests_sent"]
                or row["requests_answered"]
                or row["review_tasks_completed"]
            )
            row["engagement_status"] = (
                "active" if acted else "passive" if row["feedback_received"] else "inactive"
            )
            rows[(user_id, month)] = row
    return rows


def expected_team_months(records, events, history, user_months) -> dict[tuple[str, date], dict]:
    """team_engagement_monthly, keyed by (team_id, month)."""
    team_ids = {team["id"] for team in records["teams"]}
    members: dict[tuple[str, date], set[str]] = defaultdict(set)
    for (user_id, month), row in user_months.items():
        if not row["is_account_active"]:
            continue
        start, end = month_start(month), month_start(next_month(month))
        for version in history.get(user_id, []):
            if version.overlaps(start, end):
                for team_id in version.record["teamIds"]:
                    members[(team_id, month)].add(user_id)
    credited: dict[tuple[str, date], list[Event]] = defaultdict(list)
    for event in events:
        version = version_at(history, event.user_id, event.at)
        if version is None:
            continue
        for team_id in version.record["teamIds"]:
            if event.user_id in members.get((team_id, event.month), ()):
                credited[(team_id, event.month)].append(event)
    rows = {}
    for (team_id, month), people in members.items():
        if team_id not in team_ids:
            continue
        team_events = credited.get((team_id, month), [])

        def of(kind: str, team_events=team_events) -> list[Event]:
            return [event for event in team_events if event.kind == kind]

        headcount = len(people)
        givers = {event.user_id for event in of("feedback_given")}
        receivers = {event.user_id for event in of("feedback_received")}
        anonymous = [event for event in of("feedback_received") if event.is_anonymous]
        anonymous_people = {event.user_id for event in anonymous}
        received = of("request_received")
        due = of("review_task_due")
        rows[(team_id, month)] = {
            "active_headcount": headcount,
            "givers_count": len(givers),
            "receivers_count": len(receivers),
            "givers_share": ratio(len(givers), headcount),
            "receivers_share": ratio(len(receivers), headcount),
            "feedback_given": len(of("feedback_given")),
            "feedback_received": len(of("feedback_received")),
            "feedback_per_head": ratio(len(of("feedback_given")), headcount, 2),
            "anonymous_feedback_received": len(anonymous)
            if len(anonymous_people) >= MIN_GROUP_SIZE
            else None,
            "is_anonymous_feedback_suppressed": len(anonymous_people) < MIN_GROUP_SIZE,
            "requests_received": len(received),
            "requests_answered": sum(1 for event in received if event.is_done),
            "request_response_rate": ratio(sum(1 for e in received if e.is_done), len(received)),
            "review_tasks_due": len(due),
            "review_tasks_completed": sum(1 for event in due if event.is_done),
            "review_completion_rate": ratio(sum(1 for e in due if e.is_done), len(due)),
        }
    return rows


def expected_feedback_requests(records) -> dict[str, dict[str, Any]]:
    rows = {}
    for request in records["feedback_requests"]:
        recipients = {}
        for recipient in request["recipients"]:
            recipients.setdefault(recipient["userId"], recipient)
        answered = [r for r in recipients.values() if r["status"] == "answered"]
        firsts = [as_instant(r["answeredAt"]) for r in answered if r["answeredAt"]]
        hours = None
        if firsts:
            seconds = whole_seconds_between(as_instant(request["createdAt"]), min(firsts))
            hours = ratio(seconds, 3600, 2)
        rows[request["id"]] = {
            "recipients_count": len(recipients),
            "answered_count": len(answered),
            "response_rate": ratio(len(answered), len(recipients)),
            "hours_to_first_answer": hours,
        }
    return rows


def _rating(value: Any) -> int | None:
    """A rating as staging reads it: numbers, and text that is a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    return None


def _rater_answers(records):
    """(answer, rater key) for every rated answer; the key as int_review_answers__with_raters."""
    tasks = {task["id"]: task for task in records["review_participants"]}
    for answer in records["review_answers"]:
        rating = _rating(answer["rating"])
        if rating is None or not 1 <= rating <= 5:
            continue
        task = tasks.get(answer["participantId"])
        rater = None if task is None else (task["reviewerId"] or task["id"])
        yield answer, rating, rater


def _rating_summary(rated: list[tuple[int, str | None]]) -> dict[str, Any]:
    raters = {rater for _, rater in rated if rater is not None}
    average = None
    if rated and len(raters) >= MIN_GROUP_SIZE:
        total = Decimal(sum(rating for rating, _ in rated))
        average = (total / len(rated)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {
        "ratings_count": len(rated),
        "raters_count": len(raters),
        "avg_rating": average,
        "is_suppressed": len(raters) < MIN_GROUP_SIZE,
    }


def expected_review_cycles(records) -> dict[str, dict[str, Any]]:
    tasks_by_review = defaultdict(list)
    for task in records["review_participants"]:
        tasks_by_review[task["reviewId"]].append(task)
    rated_by_review = defaultdict(list)
    for answer, rating, rater in _rater_answers(records):
        rated_by_review[answer["reviewId"]].append((rating, rater))
    rows = {}
    for review in records["reviews"]:
        tasks = tasks_by_review.get(review["id"], [])
        completed = [task for task in tasks if task["status"] == "completed"]
        row = {
            "participants_count": len(tasks),
            "completed_count": len(completed),
            "completion_rate": ratio(len(completed), len(tasks)),
        }
        for relationship in RELATIONSHIPS:
            of_kind = [task for task in tasks if task["relationship"] == relationship]
            done = [task for task in of_kind if task["status"] == "completed"]
            row[f"{relationship}_completion_rate"] = ratio(len(done), len(of_kind))
        summary = _rating_summary(rated_by_review.get(review["id"], []))
        row["avg_rating"] = summary["avg_rating"]
        row["is_avg_rating_suppressed"] = summary["is_suppressed"]
        rows[review["id"]] = row
    return rows


def expected_topic_ratings(records) -> dict[tuple[str, str], dict[str, Any]]:
    answered = defaultdict(int)
    for answer in records["review_answers"]:
        if answer["topicId"]:
            answered[(answer["reviewId"], answer["topicId"])] += 1
    rated = defaultdict(list)
    for answer, rating, rater in _rater_answers(records):
        if answer["topicId"]:
            rated[(answer["reviewId"], answer["topicId"])].append((rating, rater))
    return {key: _rating_summary(rated.get(key, [])) for key in answered}


def expected_feedback_flags(records, history) -> dict[str, dict[str, Any]]:
    """fct_feedback's relationship flags, as of each item's created_at."""
    rows = {}
    for item in records["feedback"]:
        at = as_instant(item["createdAt"])
        sender_id = None if item["isAnonymous"] else item["senderId"]
        sender = version_at(history, sender_id, at)
        recipient = version_at(history, item["recipientId"], at)
        if sender is None or recipient is None:
            rows[item["id"]] = dict.fromkeys(
                ("is_manager_to_report", "is_report_to_manager", "is_peer", "is_cross_team")
            )
            continue
        sender_manager = sender.record["managerId"]
        recipient_manager = recipient.record["managerId"]
        rows[item["id"]] = {
            "is_manager_to_report": recipient_manager == sender_id,
            "is_report_to_manager": sender_manager == item["recipientId"],
            "is_peer": sender_manager is not None
            and sender_manager == recipient_manager
            and sender_id != item["recipientId"]
            and sender_id != recipient_manager
            and item["recipientId"] != sender_manager,
            "is_cross_team": not set(sender.record["teamIds"]) & set(recipient.record["teamIds"]),
        }
    return rows


@dataclass
class ExpectedMarts:
    user_months: dict
    team_months: dict
    feedback_requests: dict
    review_cycles: dict
    topic_ratings: dict
    feedback_flags: dict
    history: dict


def expected_marts(records: dict[str, list[dict]], user_loads: list[list[dict]]) -> ExpectedMarts:
    """Every checked mart, from the records of the last load and the users of every load."""
    events = engagement_events(records)
    history = user_versions(user_loads)
    user_months = expected_user_months(records, events)
    return ExpectedMarts(
        user_months=user_months,
        team_months=expected_team_months(records, events, history, user_months),
        feedback_requests=expected_feedback_requests(records),
        review_cycles=expected_review_cycles(records),
        topic_ratings=expected_topic_ratings(records),
        feedback_flags=expected_feedback_flags(records, history),
        history=history,
    )
