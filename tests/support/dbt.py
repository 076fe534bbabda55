"""Run the dbt project against a warehouse, read its marts, and recompute them in Python.

`expected_marts` is an independent re-implementation of the marts' documented rules
(dbt_project/docs/*.md and the models yml) straight from the simulator's API records,
so the end-to-end tests compare two derivations that share no code.
"""

from __future__ import annotations

import json
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
import yaml

from tests.support.pipeline import REPO_ROOT, as_instant
from tests.support.tally import TALLY

DBT = Path(sys.executable).with_name("dbt")
PROJECT_VARS = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())["vars"]
# The privacy floor `dbt build` applies when no --vars override it: the project's var.
MIN_GROUP_SIZE = int(PROJECT_VARS["min_group_size"])
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
    "feedback_pairs",
    "fct_feedback_request_recipients",
    "fct_feedback_team_credits",
    "review_rating_distribution",
    "review_rating_gaps",
    "manager_rating_leniency",
    "review_rating_drift",
    "user_manager_feedback_monthly",
    "manager_feedback_quarterly",
    "manager_effectiveness",
    "department_engagement_monthly",
    "leaver_comparison",
)
# What the reporting role reads: the floored aggregates of marts/reporting.
REPORTING_MARTS = (
    "reporting_team_months",
    "reporting_review_cycles",
    "reporting_team_flows",
    "data_reach",
)


# --------------------------------------------------------------------------- running dbt


@dataclass
class DbtRun:
    returncode: int
    output: str


def run_dbt(
    args: list[str],
    env: dict[str, str],
    workdir: Path,
    timeout: float = 600,
    cwd: Path = REPO_ROOT,
) -> DbtRun:
    """`dbt <args>` from the repo root, as the README runs it, with private target/log dirs
    so a test never disturbs (or is disturbed by) a developer's dbt_project/target.

    From another `cwd`, give DBT_PROJECT_DIR and DBT_PROFILES_DIR in `env` as absolute paths.
    """
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
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    TALLY.add(dbt_runs=1)
    return DbtRun(completed.returncode, completed.stdout + completed.stderr)


def dbt_show(sql: str, env: dict[str, str], workdir: Path, limit: int = 100) -> list[dict]:
    """The rows of `dbt show --inline sql` (Jinja and the project's macros allowed)."""
    run = run_dbt(
        [
            "show",
            "--inline",
            sql,
            "--limit",
            str(limit),
            "--output",
            "json",
            "--log-format",
            "json",
        ],
        env,
        workdir,
    )
    assert run.returncode == 0, run.output[-3000:]
    for line in run.output.splitlines():
        if line.startswith("{") and '"ShowNode"' in line:
            return json.loads(json.loads(line)["data"]["preview"])
    raise AssertionError(f"dbt show printed no rows:\n{run.output[-3000:]}")


# Where the column of each warn-level `relationships` test comes from at the source.
# Those tests warn, not fail, by design (a record may reference one deleted at the
# source), so a test expecting no warning, or some, names exactly which from the source
# records (`expected_warnings`). (bucket, field, the bucket it references) -> the
# (model, column)s carrying it, each with the records it keeps when not all; a field
# "list[].key" is `key` of each element of a list, "list[]" each element.


def _exchanged(item: dict[str, Any]) -> bool:
    """Feedback feedback_pairs_monthly counts: not flagged, signed, not to oneself."""
    return not item["isFlagged"] and item["senderId"] not in (None, item["recipientId"])


_REFERENCE_COLUMNS = {
    ("users", "managerId", "users"): [
        ("stg_impraise__users", "manager_id"),
        ("dim_users", "manager_id"),
        ("dim_users_history", "manager_id"),
    ],
    ("users", "teamIds[]", "teams"): [("stg_impraise__user_teams", "team_id")],
    ("teams", "parentTeamId", "teams"): [
        ("stg_impraise__teams", "parent_team_id"),
        ("dim_teams", "parent_team_id"),
    ],
    ("teams", "leadId", "users"): [("stg_impraise__teams", "lead_id"), ("dim_teams", "lead_id")],
    ("feedback", "senderId", "users"): [
        ("stg_impraise__feedback", "sender_id"),
        ("fct_feedback", "sender_id"),
        ("feedback_pairs_monthly", "giver_id", _exchanged),
    ],
    ("feedback", "recipientId", "users"): [
        ("stg_impraise__feedback", "recipient_id"),
        ("fct_feedback", "recipient_id"),
        ("feedback_pairs_monthly", "receiver_id", _exchanged),
    ],
    ("feedback", "requestId", "feedback_requests"): [
        ("stg_impraise__feedback", "feedback_request_id"),
        ("fct_feedback", "request_id"),
    ],
    ("feedback", "topicIds[]", "topics"): [("stg_impraise__feedback_topics", "topic_id")],
    ("feedback_requests", "requesterId", "users"): [
        ("stg_impraise__feedback_requests", "requester_id"),
        ("fct_feedback_requests", "requester_id"),
    ],
    ("feedback_requests", "subjectId", "users"): [
        ("stg_impraise__feedback_requests", "subject_id"),
        ("fct_feedback_requests", "subject_id"),
    ],
    ("feedback_requests", "recipients[].userId", "users"): [
        ("stg_impraise__feedback_request_recipients", "recipient_id"),
    ],
    ("reviews", "createdById", "users"): [
        ("stg_impraise__reviews", "created_by_id"),
        ("review_cycle_summary", "created_by_id"),
    ],
    ("review_participants", "reviewId", "reviews"): [
        ("stg_impraise__review_participants", "review_id"),
        ("fct_review_participation", "review_id"),
    ],
    ("review_participants", "recipientId", "users"): [
        ("stg_impraise__review_participants", "recipient_id"),
        ("fct_review_participation", "recipient_id"),
    ],
    ("review_participants", "reviewerId", "users"): [
        ("stg_impraise__review_participants", "reviewer_id"),
        ("fct_review_participation", "reviewer_id"),
    ],
    ("review_answers", "reviewId", "reviews"): [
        ("stg_impraise__review_answers", "review_id"),
        ("review_topic_ratings", "review_id"),
    ],
    ("review_answers", "participantId", "review_participants"): [
        ("stg_impraise__review_answers", "review_participant_id"),
    ],
    ("review_answers", "topicId", "topics"): [
        ("stg_impraise__review_answers", "topic_id"),
        ("review_topic_ratings", "topic_id"),
    ],
}
# (model, column) -> (bucket, field, referenced bucket, which records: None for all)
REFERENCES = {
    (model, column): (*source, kept[0] if kept else None)
    for source, columns in _REFERENCE_COLUMNS.items()
    for model, column, *kept in columns
}


def _field_values(record: dict[str, Any], field: str) -> list[Any]:
    name, _, element_key = field.partition("[].")
    if field.endswith("[]"):
        return list(record.get(field[:-2]) or [])
    if element_key:
        return [element.get(element_key) for element in record.get(name) or []]
    return [record.get(field)]


def expected_warnings(records: dict[str, list[dict[str, Any]]]) -> set[tuple[str, str]]:
    """The (model, column) of every relationships test that must warn: a live source
    record refers to an id that no live record of the referenced bucket has."""
    live = {bucket: {record["id"] for record in rows} for bucket, rows in records.items()}
    return {
        (model, column)
        for (model, column), (bucket, field, target, kept) in REFERENCES.items()
        if any(
            value is not None and value not in live[target]
            for record in records[bucket]
            if kept is None or kept(record)
            for value in _field_values(record, field)
        )
    }


def warned_tests(workdir: Path) -> set[tuple[str, str]]:
    """(model, column) of each test that warned in the last dbt run in `workdir`, from
    dbt's manifest.json and run_results.json. Fails unless the project's warn-level tests
    are exactly those REFERENCES knows, so none can warn unnoticed."""
    target = workdir / "dbt_target"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]

    def key(node: dict[str, Any]) -> tuple[str, str]:
        return node["attached_node"].rsplit(".", 1)[-1], node.get("column_name")

    warn_level = {
        key(node)
        for node in nodes.values()
        if node["resource_type"] == "test" and node["config"]["severity"].lower() == "warn"
    }
    assert warn_level == set(REFERENCES), (
        f"warn-level tests unknown to REFERENCES: {warn_level - set(REFERENCES)}; "
        f"gone: {set(REFERENCES) - warn_level}"
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {key(nodes[result["unique_id"]]) for result in results if result["status"] == "warn"}


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


def expected_team_months(
    records, events, history, user_months
) -> tuple[dict[tuple[str, date], dict], dict[tuple[str, date], int]]:
    """team_engagement_monthly, keyed by (team_id, month); and per team month the number
    of distinct people who received anonymous feedback (what the floor is judged on)."""
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
    rows, anonymous_recipients = {}, {}
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
        anonymous_recipients[(team_id, month)] = len(anonymous_people)
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
            "members_asked_count": len({event.user_id for event in received}),
            "requests_received": len(received),
            "requests_answered": sum(1 for event in received if event.is_done),
            "request_response_rate": ratio(sum(1 for e in received if e.is_done), len(received)),
            "members_with_review_tasks_count": len({event.user_id for event in due}),
            "review_tasks_due": len(due),
            "review_tasks_completed": sum(1 for event in due if event.is_done),
            "review_completion_rate": ratio(sum(1 for e in due if e.is_done), len(due)),
        }
    return rows, anonymous_recipients


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
        statuses = Counter(recipient["status"] for recipient in recipients.values())
        rows[request["id"]] = {
            "recipients_count": len(recipients),
            "answered_count": len(answered),
            "declined_count": statuses["declined"],
            "expired_count": statuses["expired"],
            "pending_count": statuses["pending"],
            "response_rate": ratio(len(answered), len(recipients)),
            "hours_to_first_answer": hours,
        }
    return rows


def _rating(value: Any) -> int | None:
    """A rating as staging reads it: a number, or text that is a whole number, on the
    1-5 scale (anything else is no rating)."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value)
    return number if number is not None and 1 <= number <= 5 else None


def rater_answers(records):
    """(answer, rater key) for every rated answer; the key as int_review_answers__with_raters."""
    tasks = {task["id"]: task for task in records["review_participants"]}
    for answer in records["review_answers"]:
        rating = _rating(answer["rating"])
        if rating is None:
            continue
        task = tasks.get(answer["participantId"])
        rater = None if task is None else (task["reviewerId"] or task["id"])
        rated_person = None if task is None else task["recipientId"]
        yield answer, rating, rater, rated_person


def _rating_summary(
    rated: list[tuple[int, str | None, str | None]], count_rated_people: bool = False
) -> dict[str, Any]:
    """A rating's figures; a cycle's average is floored on its raters and, with
    `count_rated_people`, on the people they rated too (review_cycle_summary)."""
    raters = {rater for _, rater, _ in rated if rater is not None}
    people = {person for _, _, person in rated if person is not None}
    group = min(len(raters), len(people)) if count_rated_people else len(raters)
    average = None
    if rated and group >= MIN_GROUP_SIZE:
        total = Decimal(sum(rating for rating, _, _ in rated))
        average = (total / len(rated)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {
        "ratings_count": len(rated),
        "raters_count": len(raters),
        "avg_rating": average,
        "is_suppressed": group < MIN_GROUP_SIZE,
    } | ({"rated_people_count": len(people)} if count_rated_people else {})


def expected_review_cycles(records) -> dict[str, dict[str, Any]]:
    tasks_by_review = defaultdict(list)
    for task in records["review_participants"]:
        tasks_by_review[task["reviewId"]].append(task)
    rated_by_review = defaultdict(list)
    for answer, rating, rater, person in rater_answers(records):
        rated_by_review[answer["reviewId"]].append((rating, rater, person))
    rows = {}
    for review in records["reviews"]:
        tasks = tasks_by_review.get(review["id"], [])
        completed = [task for task in tasks if task["status"] == "completed"]
        end = as_instant(review["endAt"])
        row = {
            "participants_count": len(tasks),
            "completed_count": len(completed),
            "completion_rate": ratio(len(completed), len(tasks)),
            "completed_after_end_count": sum(
                1 for task in completed if _completed_after(task, end)
            ),
            "recipients_count": len({task["recipientId"] for task in tasks} - {None}),
            "reviewers_count": len({task["reviewerId"] for task in tasks} - {None}),
        }
        for relationship in RELATIONSHIPS:
            of_kind = [task for task in tasks if task["relationship"] == relationship]
            done = [task for task in of_kind if task["status"] == "completed"]
            row[f"{relationship}_tasks_count"] = len(of_kind)
            row[f"{relationship}_completion_rate"] = ratio(len(done), len(of_kind))
        summary = _rating_summary(rated_by_review.get(review["id"], []), count_rated_people=True)
        row["ratings_count"] = summary["ratings_count"]
        row["raters_count"] = summary["raters_count"]
        row["rated_people_count"] = summary["rated_people_count"]
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
    for answer, rating, rater, person in rater_answers(records):
        if answer["topicId"]:
            rated[(answer["reviewId"], answer["topicId"])].append((rating, rater, person))
    return {
        key: {"answers_count": count, **_rating_summary(rated.get(key, []))}
        for key, count in answered.items()
    }


def _completed_after(task: dict[str, Any], end: datetime | None) -> bool:
    """A completed task whose completedAt is later than its review's end."""
    completed = as_instant(task["completedAt"])
    return task["status"] == "completed" and None not in (completed, end) and completed > end


def expected_review_participation(records) -> dict[str, dict[str, Any]]:
    """fct_review_participation, every column, keyed by review_participant_id."""
    reviews = {review["id"]: review for review in records["reviews"]}
    answers, ratings = Counter(), Counter()
    for answer in records["review_answers"]:
        answers[answer["participantId"]] += 1
        ratings[answer["participantId"]] += _rating(answer["rating"]) is not None
    rows = {}
    for task in records["review_participants"]:
        review = reviews.get(task["reviewId"], {})
        end = as_instant(review.get("endAt"))
        rows[task["id"]] = {
            "review_id": task["reviewId"],
            "recipient_id": task["recipientId"],
            "reviewer_id": task["reviewerId"],
            "relationship": task["relationship"],
            "status": task["status"],
            "review_type": review.get("type"),
            "review_status": review.get("status"),
            "is_anonymous_review": review.get("isAnonymous"),
            "is_external_reviewer": task["reviewerId"] is None,
            "is_completed": task["status"] == "completed",
            "is_completed_after_end": _completed_after(task, end),
            "answers_count": answers[task["id"]],
            "ratings_count": ratings[task["id"]],
            "completed_at": as_instant(task["completedAt"]),
            "review_start_at": as_instant(review.get("startAt")),
            "review_end_at": end,
            "review_end_month": None if end is None else month_of(end),
            "created_at": as_instant(task["createdAt"]),
            "updated_at": as_instant(task["updatedAt"]),
        }
    return rows


def expected_teams(records) -> dict[str, dict[str, Any]]:
    """dim_teams: the tree, the lead and the current members, keyed by team_id."""
    users = {user["id"]: user for user in records["users"]}
    teams = {team["id"]: team for team in records["teams"]}
    members, active_members = Counter(), Counter()
    for user in users.values():
        for team_id in set(user["teamIds"]):
            members[team_id] += 1
            active_members[team_id] += user["status"] == "active"
    children = Counter(team["parentTeamId"] for team in teams.values())
    rows = {}
    for team_id, team in teams.items():
        parent = teams.get(team["parentTeamId"])
        lead = users.get(team["leadId"])
        rows[team_id] = {
            "team_name": team["name"],
            "parent_team_id": team["parentTeamId"],
            "parent_team_name": None if parent is None else parent["name"],
            "lead_id": team["leadId"],
            "lead_name": None if lead is None else lead["name"],
            "members_count": members[team_id],
            "active_members_count": active_members[team_id],
            "child_teams_count": children[team_id],
            "is_top_level": team["parentTeamId"] is None,
            "created_at": as_instant(team["createdAt"]),
            "updated_at": as_instant(team["updatedAt"]),
        }
    return rows


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
    anonymous_recipients: dict  # (team_id, month) -> distinct anonymous-feedback recipients
    feedback_requests: dict
    review_cycles: dict
    topic_ratings: dict
    review_participation: dict
    teams: dict
    feedback_flags: dict
    history: dict


def expected_marts(records: dict[str, list[dict]], user_loads: list[list[dict]]) -> ExpectedMarts:
    """Every checked mart, from the records of the last load and the users of every load."""
    events = engagement_events(records)
    history = user_versions(user_loads)
    user_months = expected_user_months(records, events)
    team_months, anonymous_recipients = expected_team_months(records, events, history, user_months)
    return ExpectedMarts(
        user_months=user_months,
        team_months=team_months,
        anonymous_recipients=anonymous_recipients,
        feedback_requests=expected_feedback_requests(records),
        review_cycles=expected_review_cycles(records),
        topic_ratings=expected_topic_ratings(records),
        review_participation=expected_review_participation(records),
        teams=expected_teams(records),
        feedback_flags=expected_feedback_flags(records, history),
        history=history,
    )
