"""The organisation's structure: users in a manager tree, teams, and the topic library.

Users are indexed by creation order (index 0 is the CEO). Most are imported in the first
days (the company adopting the product), the rest join steadily afterwards. Every
manager was created before their reports, so the tree never needs a forward reference.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import ids, vocabulary
from .timeline import DAY, SNAPSHOT, START, moment

Emit = Callable[[str, dict[str, Any]], None]
# Beyond the 5% of people `_statuses` deactivates: the share of the others (active, no
# reports) who leave later, and how long anyone stays before leaving.
LATER_LEAVER_SHARE = 0.08
LEAVER_MIN_TENURE = 60 * DAY


@dataclass
class People:
    """What later generation steps need to know about users, teams and topics."""

    ids: list[str]
    created: list[int]
    ends: list[int]  # deactivation moment, or SNAPSHOT for everyone still around
    managers: list[int]  # index of the manager, -1 for the CEO
    reports: list[list[int]]
    actors: list[int]  # users who ever used the product (not still "invited")
    admins: list[int]
    teams: list[list[int]] = field(default_factory=list)  # team indices per user
    team_members: list[list[int]] = field(default_factory=list)  # user indices per team
    topics: list[Topic] = field(default_factory=list)

    def active_at(self, user: int, moment_: int) -> bool:
        """Whether a user could act at that moment (joined a day before, not yet gone)."""
        return self.created[user] + DAY <= moment_ < self.ends[user]

    def topics_at(self, moment_: int) -> list[Topic]:
        return [topic for topic in self.topics if topic.created <= moment_ < topic.retired]


@dataclass
class Topic:
    id: str
    name: str
    created: int
    retired: int  # SNAPSHOT for topics still active


def build_people(
    user_count: int, rng: random.Random, emit: Emit, leavers_rng: random.Random
) -> People:
    """Generate and emit users, teams and topics; `leavers_rng` picks the later leavers."""
    created = _joining_moments(user_count, rng)
    managers, departments = _manager_tree(user_count, rng)
    reports: list[list[int]] = [[] for _ in range(user_count)]
    for user, manager in enumerate(managers):
        if manager >= 0:
            reports[manager].append(user)
    statuses, ends = _statuses(created, reports, rng)
    # Drawn from a stream of their own and decided after every draw of `rng` that reads
    # statuses, so the leavers reshuffle nobody's name, team or manager.
    first_statuses = list(statuses)
    _more_leavers(created, reports, statuses, ends, leavers_rng)
    actors = [user for user in range(user_count) if statuses[user] != "invited"]
    people = People(
        ids=_user_ids(user_count, rng),
        created=created,
        ends=ends,
        managers=managers,
        reports=reports,
        actors=actors,
        # The CEO and the head of People administer the account, plus a few power users.
        admins=[0, *(u for u in actors if managers[u] == 0 and departments[u] == "People")]
        + [u for u in actors[1:] if rng.random() < 0.01],
    )
    team_ids = _build_teams(people, departments, rng, emit)
    _emit_users(people, departments, statuses, first_statuses, team_ids, rng, emit)
    people.topics = _build_topics(rng, emit)
    return people


def _user_ids(count: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(ids.prefixed(rng, "usr_", 8))
    # A set's order is not reproducible across processes: draw ids, then shuffle them in.
    result = sorted(seen)
    rng.shuffle(result)
    return result


def _joining_moments(count: int, rng: random.Random) -> list[int]:
    imported = max(1, int(count * 0.6))
    moments = [moment(rng, START, START + 10 * DAY) for _ in range(imported)]
    moments += [moment(rng, START + 10 * DAY, SNAPSHOT - DAY) for _ in range(count - imported)]
    moments.sort()
    return moments


def _manager_tree(count: int, rng: random.Random) -> tuple[list[int], list[str]]:
    """managers[i] (-1 for the CEO) and departments[i], with depth bounded ~log(count).

    Each new user reports to a random manager with a free slot; some new users become
    managers themselves while they are shallow enough to have reports.
    """
    max_depth = min(8, max(4, round(math.log(max(count, 2)) / math.log(5)) + 1))
    department_names = list(vocabulary.DEPARTMENTS)[: min(8, max(3, count // 15))]
    managers, depths = [-1] * count, [0] * count
    departments = ["Executive"] * count
    free_slots = [0] * count
    open_managers: list[int] = []
    for user in range(1, count):
        if user <= len(department_names):
            manager = 0
            departments[user] = department_names[user - 1]
        else:
            if not open_managers:
                open_managers.append(_promote(user, depths, max_depth, free_slots, rng))
            slot = rng.randrange(len(open_managers))
            manager = open_managers[slot]
            free_slots[manager] -= 1
            if free_slots[manager] == 0:
                open_managers[slot] = open_managers[-1]
                open_managers.pop()
            departments[user] = departments[manager]
        managers[user] = manager
        depths[user] = depths[manager] + 1
        is_executive = manager == 0
        if depths[user] < max_depth - 1 and (is_executive or rng.random() < 0.18):
            free_slots[user] = rng.randint(3, 9)
            open_managers.append(user)
    return managers, departments


def _promote(
    before: int, depths: list[int], max_depth: int, free_slots: list[int], rng: random.Random
) -> int:
    """An existing user, shallow enough to manage, who gets room for new reports."""
    while True:
        candidate = rng.randrange(1, before)
        if depths[candidate] < max_depth - 1:
            free_slots[candidate] = rng.randint(3, 8)
            return candidate


def _statuses(
    created: list[int], reports: list[list[int]], rng: random.Random
) -> tuple[list[str], list[int]]:
    statuses, ends = ["active"] * len(created), [SNAPSHOT] * len(created)
    for user in range(1, len(created)):
        if reports[user]:
            continue  # managers stay, so no active user reports to someone who left
        roll = rng.random()
        recent = created[user] > SNAPSHOT - 21 * DAY
        if roll < 0.05 and created[user] + 30 * DAY < SNAPSHOT - DAY:
            statuses[user] = "deactivated"
            ends[user] = moment(rng, created[user] + 30 * DAY, SNAPSHOT - DAY)
        elif roll < 0.08 or (recent and roll < 0.3):
            statuses[user] = "invited"
    return statuses, ends


def _more_leavers(
    created: list[int],
    reports: list[list[int]],
    statuses: list[str],
    ends: list[int],
    rng: random.Random,
) -> None:
    """Deactivate LATER_LEAVER_SHARE more of the active people without reports who stayed
    at least LEAVER_MIN_TENURE, at a moment drawn over their tenure: with the leavers of
    `_statuses`, about one in eight people leaves over the data set's two and a half years,
    so the leavers' figures have departments on both sides of the privacy floor."""
    for user in range(1, len(created)):
        stayable = created[user] + LEAVER_MIN_TENURE < SNAPSHOT - DAY
        if statuses[user] != "active" or reports[user] or not stayable:
            continue
        if rng.random() < LATER_LEAVER_SHARE:
            statuses[user] = "deactivated"
            ends[user] = moment(rng, created[user] + LEAVER_MIN_TENURE, SNAPSHOT - DAY)


def _build_teams(
    people: People, departments: list[str], rng: random.Random, emit: Emit
) -> list[str]:
    """One team per manager (nested like the tree), plus cross-functional guilds.

    Fills people.teams and people.team_members; returns the team ids by team index.
    """
    next_team_id = ids.NumericIds(rng, rng.randint(1000, 5000))
    people.teams = [[] for _ in people.ids]
    led_team: dict[int, int] = {}
    used_names: set[str] = set()
    teams: list[dict[str, Any]] = []
    for lead, lead_reports in enumerate(people.reports):
        if not lead_reports:
            continue
        led_team[lead] = len(teams)
        parent = teams[led_team[people.managers[lead]]]["id"] if lead else None
        # Reports are in creation order: the team exists once its first member does.
        created = max(people.created[lead], people.created[lead_reports[0]])
        teams.append(
            _team(
                next_team_id(),
                _team_name(lead, people, departments, used_names, rng),
                parent,
                people.ids[lead],
                created,
                rng,
            )
        )
        people.teams[lead].append(led_team[lead])
        for member in lead_reports:
            people.teams[member].insert(0, led_team[lead])  # the manager's team comes first
    first_guild = len(teams)
    for number in range(max(2, len(people.ids) // 200)):
        name = _unique(vocabulary.GUILDS[number % len(vocabulary.GUILDS)], used_names)
        lead = rng.choice(people.actors)
        created = moment(rng, people.created[lead], SNAPSHOT - 30 * DAY)
        teams.append(_team(next_team_id(), name, None, people.ids[lead], created, rng))
        people.teams[lead].append(len(teams) - 1)
    for user in people.actors:
        guild = rng.randrange(first_guild, len(teams))
        if rng.random() < 0.12 and guild not in people.teams[user]:
            people.teams[user].append(guild)
    people.team_members = [[] for _ in teams]
    for user, user_teams in enumerate(people.teams):
        del user_teams[3:]  # nobody is in more than three teams
        for team in user_teams:
            people.team_members[team].append(user)
    for team in teams:
        emit("teams", team)
    return [team["id"] for team in teams]


def _team_name(
    lead: int, people: People, departments: list[str], used: set[str], rng: random.Random
) -> str:
    if lead == 0:
        return _unique("Leadership Team", used)
    if people.managers[lead] == 0:
        return _unique(departments[lead], used)
    return _unique(f"{departments[lead]} · {rng.choice(vocabulary.SQUADS)}", used)


def _team(
    team_id: str, name: str, parent: str | None, lead_id: str, created: int, rng: random.Random
) -> dict[str, Any]:
    renamed = rng.random() < 0.2
    return {
        "id": team_id,
        "createdAt": created,
        "updatedAt": moment(rng, created, SNAPSHOT) if renamed else created,
        "name": name,
        "parentTeamId": parent,
        "leadId": lead_id,
    }


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    while candidate in used:
        candidate, number = f"{name} {number}", number + 1
    used.add(candidate)
    return candidate


def _emit_users(
    people: People,
    departments: list[str],
    statuses: list[str],
    first_statuses: list[str],
    team_ids: list[str],
    rng: random.Random,
    emit: Emit,
) -> None:
    """`first_statuses`: before the later leavers, who still draw an edit they then lose,
    so that the draws of everyone after them stay the same."""
    used_emails: set[str] = set()
    admins = set(people.admins)
    for user, user_id in enumerate(people.ids):
        name, email_name = _person_name(rng)
        deactivated = people.ends[user] if statuses[user] == "deactivated" else None
        last_change = deactivated or people.created[user]
        edit_drawn = first_statuses[user] == "active" and rng.random() < 0.35
        profile_edited = edit_drawn and statuses[user] == "active"
        manager = people.managers[user]
        emit(
            "users",
            {
                "id": user_id,
                "createdAt": people.created[user],
                "updatedAt": moment(rng, last_change, SNAPSHOT) if profile_edited else last_change,
                "name": name,
                "email": _unique_email(email_name, used_emails),
                "jobTitle": job_title(user, people, departments[user], rng),
                "managerId": people.ids[manager] if manager >= 0 else None,
                "teamIds": [team_ids[team] for team in people.teams[user]],
                "isAdmin": user in admins,
                "status": statuses[user],
                "deactivatedAt": deactivated,
            },
        )


def job_title(user: int, people: People, department: str, rng: random.Random) -> str:
    """A title that fits the user's place in the tree and department."""
    if user == 0:
        return vocabulary.CEO_TITLE
    executive, manager_titles, contributor_titles = vocabulary.DEPARTMENTS[department]
    if people.managers[user] == 0:
        return executive
    if people.reports[user]:
        return rng.choice(manager_titles)
    return rng.choice(vocabulary.SENIORITY) + rng.choice(contributor_titles)


def _person_name(rng: random.Random) -> tuple[str, str]:
    """(display name, ASCII "given.family" for the email)."""
    if rng.random() < 0.2:
        families, givens, separator = rng.choice(vocabulary.EAST_ASIAN)
        (family, family_ascii), (given, given_ascii) = rng.choice(families), rng.choice(givens)
        return f"{family}{separator}{given}", f"{given_ascii}.{family_ascii}"
    given, given_ascii = rng.choice(vocabulary.WESTERN_GIVEN)
    family, family_ascii = rng.choice(vocabulary.WESTERN_FAMILY)
    return f"{given} {family}", f"{given_ascii}.{family_ascii}"


def _unique_email(local: str, used: set[str]) -> str:
    candidate, number = local, 2
    while candidate in used:
        candidate, number = f"{local}{number}", number + 1
    used.add(candidate)
    return f"{candidate}@{vocabulary.EMAIL_DOMAIN}"


def _build_topics(rng: random.Random, emit: Emit) -> list[Topic]:
    """The competency library: seeded at the start, a few added and retired later.

    Topics that review questions rate exist from the start and never retire.
    """
    questions = [*vocabulary.REVIEW_QUESTIONS.values(), *vocabulary.RELATIONSHIP_QUESTIONS.values()]
    rated = {topic for asked in questions for _, topic, _ in asked}
    library = vocabulary.TOPICS[: rng.randint(22, len(vocabulary.TOPICS))]
    unrated = [number for number, (name, _) in enumerate(library) if name not in rated]
    retiring = set(rng.sample(unrated, 4))
    topics = []
    for number, (name, category) in enumerate(library):
        late = number >= 18 and name not in rated
        created = moment(rng, START + 30 * DAY, SNAPSHOT - 90 * DAY) if late else START
        retired = moment(rng, created + 30 * DAY, SNAPSHOT) if number in retiring else SNAPSHOT
        topic = Topic(id=f"cmp_{ids.slug(name)}", name=name, created=created, retired=retired)
        topics.append(topic)
        emit(
            "topics",
            {
                "id": topic.id,
                "createdAt": created,
                "updatedAt": retired if number in retiring else created,
                "name": name,
                "category": category,
                "isActive": number not in retiring,
            },
        )
    return topics
