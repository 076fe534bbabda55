"""Every setting checked before the first request, each bad one named in one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from impraise_source.config import from_values, validate
from impraise_source.errors import ConfigurationError

GOOD: dict[str, Any] = {
    "api_token": "tkn",
    "base_url": "https://analytics-api.impraise.com/",
    "requests_per_second": 6,
    "cursor_lag_seconds": 300,
    "max_items": 1000,
    "prefetch_pages": 3,
}


def test_good_settings_come_out_typed_and_tidy():
    settings = validate(
        **GOOD, start_date="2025-01-31", routes={"feedback": "/feedbacks/"}, fields=None
    )
    assert settings.base_url == "https://analytics-api.impraise.com"
    assert settings.cursor_lag == timedelta(seconds=300)
    assert settings.start_date == datetime(2025, 1, 31, tzinfo=UTC)
    assert settings.routes == {"feedback": "feedbacks"}
    assert settings.fields == {}


def test_from_values_reads_the_setting_keys_of_a_mapping():
    assert from_values({**GOOD, "unrelated": 1}).max_items == 1000


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
    ],
)
def test_a_bad_setting_is_one_line_naming_it(change, message):
    with pytest.raises(ConfigurationError) as raised:
        validate(**{**GOOD, **change})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_renamed_nested_fields_are_kept_by_bucket():
    fields = {"feedback_requests.recipients.userId": "user", "users.jobTitle": "title"}
    settings = validate(**GOOD, fields=fields)
    assert settings.fields == {
        "feedback_requests": {"recipients.userId": "user"},
        "users": {"jobTitle": "title"},
    }
