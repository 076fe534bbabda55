"""Every setting checked before the first request, each bad one named in one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from impraise_source.config import ImpraiseConfiguration, resolve, validate
from impraise_source.errors import ConfigurationError

GOOD: dict[str, Any] = {
    "api_token": "tkn",
    "base_url": "https://analytics-api.impraise.com/",
    "requests_per_second": 6,
    "cursor_lag_seconds": 300,
    "max_items": 1000,
    "prefetch_pages": 3,
}


def checked(**settings: Any):
    return validate(ImpraiseConfiguration(**settings))


def test_good_settings_come_out_typed_and_tidy():
    settings = checked(
        **GOOD, start_date="2025-01-31", routes={"feedback": "/feedbacks/"}, fields=None
    )
    assert settings.base_url == "https://analytics-api.impraise.com"
    assert settings.cursor_lag == timedelta(seconds=300)
    assert settings.start_date == datetime(2025, 1, 31, tzinfo=UTC)
    assert settings.routes == {"feedback": "feedbacks"}
    assert settings.fields == {}


def test_settings_resolve_from_the_environment_and_explicit_ones_win(monkeypatch):
    monkeypatch.setenv("SOURCES__IMPRAISE__API_TOKEN", "from-env")
    monkeypatch.setenv("SOURCES__IMPRAISE__MAX_ITEMS", "50")
    config = resolve(max_items=20, buckets=["users"])
    assert (config.api_token, config.max_items, config.buckets) == ("from-env", 20, ["users"])
    with pytest.raises(TypeError, match="not a setting of the impraise source: max_item"):
        resolve(max_item=20)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"api_token": None}, "SOURCES__IMPRAISE__API_TOKEN is not set"),
        ({"api_token": " \t"}, "SOURCES__IMPRAISE__API_TOKEN is blank"),
        ({"api_token": "two words"}, "contains white space"),
        ({"base_url": "analytics-api.impraise.com"}, "use https://analytics-api.impraise.com"),
        ({"base_url": "ftp://x"}, "is not an http(s) URL"),
        ({"base_url": "https://x/?a=1"}, "must not carry a query"),
        ({"requests_per_second": -3}, "REQUESTS_PER_SECOND is -3, but must be greater than 0"),
        ({"requests_per_second": 0}, "REQUESTS_PER_SECOND is 0"),
        ({"requests_per_second": "fast"}, "REQUESTS_PER_SECOND 'fast' is not a number"),
        ({"requests_per_second": float("nan")}, "REQUESTS_PER_SECOND is nan"),
        ({"cursor_lag_seconds": -1}, "CURSOR_LAG_SECONDS is -1, but must be 0 or more"),
        ({"max_items": 1001}, "MAX_ITEMS is 1001, but must be a whole number 1-1000"),
        ({"max_items": 2.5}, "MAX_ITEMS is 2.5"),
        ({"prefetch_pages": 0}, "PREFETCH_PAGES is 0"),
        ({"start_date": "2999-01-01"}, "is in the future"),
        ({"start_date": "yesterday"}, "'yesterday' is not an ISO 8601"),
        ({"routes": "feedback=feedbacks"}, "ROUTES must be a JSON object"),
        ({"routes": {"feedbak": "x"}}, "'feedbak' is not a bucket; did you mean 'feedback'?"),
        ({"routes": {"feedback": ""}}, "the route of 'feedback' must be a path"),
        ({"routes": {"feedback": "x", "reviews": "/x"}}, "route 'x' is given to two buckets"),
        ({"fields": {"users.title": "t"}}, "'title' is not a field of users"),
        ({"fields": {"user.name": "n"}}, "did you mean 'users'"),
        ({"fields": {"users.name": "a.b"}}, "must map to the API's field name"),
        ({"fields": {"feedback_requests.recipients.user": "u"}}, "did you mean 'userId'"),
        # A bucket mapped onto another's route would load its records into that table.
        ({"routes": {"feedback": "users"}}, "maps feedback to route 'users', the route of"),
        ({"routes": {"reviews": "/review-participants"}}, "route of bucket review_participants"),
        # A served name another field goes by: one of the two would load empty.
        ({"fields": {"users.jobTitle": "email"}}, "to 'email', the name of users.email"),
        ({"fields": {"users.jobTitle": "manager_id"}}, "the name of users.managerId"),
        (
            {"fields": {"users.jobTitle": "title", "users.name": "title"}},
            "maps users.name to 'title', the name of users.jobTitle",
        ),
        (
            {"fields": {"feedback_requests.recipients.userId": "status"}},
            "the name of feedback_requests.recipients.status",
        ),
        ({"field_policy": {"users.nmae": "hash"}, "hash_key": "k" * 16}, "users.name?"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(change, message):
    with pytest.raises(ConfigurationError) as raised:
        checked(**{**GOOD, **change})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_renamed_nested_fields_are_kept_by_bucket():
    fields = {"feedback_requests.recipients.userId": "user", "users.jobTitle": "title"}
    settings = checked(**GOOD, fields=fields)
    assert settings.fields == {
        "feedback_requests": {"recipients.userId": "user"},
        "users": {"jobTitle": "title"},
    }


def test_a_bucket_may_keep_its_own_route_and_a_field_its_own_spellings():
    settings = checked(
        **GOOD,
        routes={"users": "users", "review_participants": "review-participants"},
        fields={"users.jobTitle": "job_title", "users.email": "Mail"},
    )
    assert settings.routes["review_participants"] == "review-participants"
    assert settings.fields == {"users": {"jobTitle": "job_title", "email": "Mail"}}
