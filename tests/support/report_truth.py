"""What the engagement report must show, recomputed from the simulator's records.

The report's period (the complete months up to how far the data reaches), its headline
figures and their previous period, and, for every cell of every chart, whether it must be
withheld: the people behind it (tests/support/people.py) below the floor. Nothing here
reads the warehouse or the report's code.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tests.support.dbt import expected_marts, month_of, next_month
from tests.support.people import FLOOR_RULES, Fact, facts_by_model, group
from tests.support.pipeline import as_instant

REPORT_MONTHS = 24  # the report's default period


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Window:
    first: date  # a month
    last: date  # a month
    last_day: date  # the window's last day (the data's reach, for cycles still running)

    def holds(self, moment: datetime | date | None) -> bool:
        if moment is None:
            return False
        day = moment.date() if isinstance(moment, datetime) else moment
        return self.first <= day <= self.last_day

    @property
    def months(self) -> list[date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = next_month(month)
        return months


class ReportTruth:
    """The report of `records`, built with `floor`, as its documentation defines it."""

    def __init__(self, records: dict[str, list[dict]], floor: int, months: int = REPORT_MONTHS):
        self.records, self.floor = records, floor
        self.expected = expected_marts(records, [records["users"]])
        self.facts = facts_by_model(records, floor)
        self.reach = self._reach()
        month = self.reach.date().replace(day=1)
        month_end = next_month(month) - timedelta(days=1)
        last = month if month_end == self.reach.date() else add_months(month, -1)
        self.partial_month = None if last == month else month
        active = [
            m for (_, m), row in self.expected.user_months.items() if row["is_account_active"]
        ]
        first = max(min(active), add_months(last, 1 - months))
        self.period = self._window(first, last)
        self.drawn = self._window(first, self.partial_month or last)
        # the headlines: the latest complete months, at most 12, and as many before them
        length = max(1, min(12, len(self.period.months) // 2))
        self.headline = self._window(add_months(last, 1 - length), last)
        self.previous = self._window(add_months(last, 1 - 2 * length), add_months(last, -length))

    def _window(self, first: date, last: date) -> Window:
        return Window(first, last, next_month(last) - timedelta(days=1))

    def _reach(self) -> datetime:
        """The latest activity: feedback given, a request sent or answered, a task completed."""
        moments = [as_instant(item["createdAt"]) for item in self.records["feedback"]]
        for request in self.records["feedback_requests"]:
            moments.append(as_instant(request["createdAt"]))
            moments += [as_instant(r["answeredAt"]) for r in request["recipients"]]
        moments += [as_instant(task["completedAt"]) for task in self.records["review_participants"]]
        return max(moment for moment in moments if moment is not None)

    # ------------------------------------------------------------------ the people
    def withheld(self, metric: str, facts_filter: Callable[[Fact], bool], group_by=()) -> dict:
        """{group: whether the metric must be withheld} over the facts `facts_filter` keeps."""
        rule = FLOOR_RULES[metric]
        facts = [f for f in self.facts[rule.model] if rule.rows(f) and facts_filter(f)]
        return {
            key: rule.people.count(members) < self.floor
            for key, members in group(facts, list(group_by)).items()
        }

    def is_withheld(self, metric: str, window: Window, **dims: Any) -> bool:
        def keeps(fact: Fact) -> bool:
            return window.holds(fact.at) and all(fact.dims.get(k) == v for k, v in dims.items())

        return self.withheld(metric, keeps).get((), True)

    def review_window(self, window: Window) -> Window:
        """Review tasks count by their cycle's end: up to the data's reach, so cycles still
        running are out."""
        return Window(window.first, window.last, min(window.last_day, self.reach.date()))

    # ----------------------------------------------------------------- the headlines
    def headlines(self, window: Window) -> dict[str, float | None]:
        """{metric: its figure over the window, None when withheld}."""
        figures = {
            "feedback_count": self._feedback_count(window),
            **self._participation(window),
            "feedback_request_response_rate": self._response_rate(window),
            "median_days_to_first_answer": self._median_days(window),
            "review_completion_rate": self._completion(self.review_window(window)),
            "reciprocity_rate": self._reciprocity(window),
            "cross_team_feedback_share": self._cross_team(window),
        }
        shown = {}
        for metric, value in figures.items():
            own = self.review_window(window) if metric == "review_completion_rate" else window
            shown[metric] = None if self.is_withheld(metric, own) else value
        return shown

    def _feedback_count(self, window: Window) -> int:
        return sum(
            1
            for item in self.records["feedback"]
            if not item["isFlagged"] and window.holds(as_instant(item["createdAt"]))
        )

    def _participation(self, window: Window) -> dict[str, float | None]:
        rows = [
            row
            for (_, month), row in self.expected.user_months.items()
            if row["is_account_active"] and window.first <= month <= window.last
        ]
        if not rows:
            metrics = ("participation_rate", "giving_rate", "asking_rate", "feedback_per_head")
            return dict.fromkeys(metrics)

        def share(condition) -> float:
            return sum(1 for row in rows if condition(row)) / len(rows)

        return {
            "participation_rate": share(
                lambda r: r["feedback_given"] or r["requests_sent"] or r["requests_answered"]
            ),
            "giving_rate": share(lambda r: r["feedback_given"] > 0),
            "asking_rate": share(lambda r: r["requests_sent"] > 0),
            "feedback_per_head": sum(row["feedback_given"] for row in rows) / len(rows),
        }

    def _requests(self, window: Window) -> list[dict]:
        return [
            self.expected.feedback_requests[request["id"]]
            for request in self.records["feedback_requests"]
            if window.holds(as_instant(request["createdAt"]))
        ]

    def _response_rate(self, window: Window) -> float | None:
        requests = self._requests(window)
        asked = sum(request["recipients_count"] for request in requests)
        return sum(request["answered_count"] for request in requests) / asked if asked else None

    def _median_days(self, window: Window) -> float | None:
        hours = [
            float(request["hours_to_first_answer"])
            for request in self._requests(window)
            if request["hours_to_first_answer"] is not None
        ]
        return statistics.median(hours) / 24 if hours else None

    def _completion(self, window: Window) -> float | None:
        tasks = [
            task
            for task in self.expected.review_participation.values()
            if window.holds(task["review_end_at"])
        ]
        return sum(task["is_completed"] for task in tasks) / len(tasks) if tasks else None

    def _reciprocity(self, window: Window) -> float | None:
        pairs = [fact for fact in self.facts["feedback_pairs"] if window.holds(fact.at)]
        returned = sum(fact.dims["feedback_pair__is_reciprocated"] for fact in pairs)
        return returned / len(pairs) if pairs else None

    def _cross_team(self, window: Window) -> float | None:
        known = [
            fact
            for fact in self.facts["feedback"]
            if window.holds(fact.at) and fact.dims["feedback__is_cross_team"] is not None
        ]
        across = sum(fact.dims["feedback__is_cross_team"] for fact in known)
        return across / len(known) if known else None

    # --------------------------------------------------------------- the charts' cells
    def monthly_withheld(self, series: dict[str, str]) -> set[str]:
        """The `month|label` cells of a monthly chart of {metric: label} to withhold."""
        cells = set()
        for month in self.drawn.months:
            for metric, label in series.items():
                in_month = self._window(month, month)
                if self.is_withheld(metric, in_month):
                    cells.add(f"{month:%Y-%m}|{label}")
        return cells

    def monthly_values(self, feedback_type: str) -> dict[date, int]:
        """Unflagged feedback of one type by month (the volume chart's bars)."""
        counts: dict[date, int] = {}
        for item in self.records["feedback"]:
            if not item["isFlagged"] and item["type"] == feedback_type:
                month = month_of(as_instant(item["createdAt"]))
                counts[month] = counts.get(month, 0) + 1
        return counts
