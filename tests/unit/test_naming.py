"""Records renamed to the canonical spelling before anything else sees them."""

from __future__ import annotations

import pytest
from impraise_source.naming import renamer
from impraise_source.schema import bucket_schema, warehouse_name


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        # Every spelling of a route or field the tests serve (tests/test_first_contact.py).
        ("review-participants", "review_participants"),
        ("reviewParticipants", "review_participants"),
        ("updated_at", "updated_at"),
        ("updatedAt", "updated_at"),
        ("jobTitle", "job_title"),
        ("teamIds", "team_ids"),
        ("SenderID", "sender_id"),
        (" feedback requests ", "feedback_requests"),
    ],
)
def test_the_warehouse_name_of_every_spelling_is_dlts(spelling, name):
    assert warehouse_name(spelling) == name


def test_the_fields_of_a_bucket_include_its_lists_and_their_entries():
    schema = bucket_schema("feedback_requests")
    assert {"id", "updatedAt", "requesterId", "recipients"} <= set(schema.top_level)
    assert schema.entry_fields() == {"recipients": ("userId", "status", "answeredAt")}
    assert bucket_schema("something_new").top_level == ("id", "createdAt", "updatedAt")


def test_snake_case_records_are_renamed_nested_ones_too():
    rename = renamer("feedback_requests", {})
    record = {
        "id": "r1",
        "updated_at": "2025-01-01T00:00:00Z",
        "requester_id": "u1",
        "recipients": [{"user_id": "u2", "answered_at": None, "mood": 1}, "odd"],
        "brand_new": 1,
    }
    assert rename(record) == {
        "id": "r1",
        "updatedAt": "2025-01-01T00:00:00Z",
        "requesterId": "u1",
        "recipients": [{"userId": "u2", "answeredAt": None, "mood": 1}, "odd"],
        "brand_new": 1,
    }


def test_camel_case_records_pass_unchanged():
    record = {"id": "u1", "jobTitle": "CTO", "teamIds": ["t1"]}
    assert renamer("users", {})(dict(record)) == record


def test_a_configured_field_name_maps_to_the_canonical_one():
    rename = renamer("users", {"jobTitle": "title"})
    assert rename({"id": "u1", "title": "CTO"}) == {"id": "u1", "jobTitle": "CTO"}
    nested = renamer("feedback_requests", {"recipients.userId": "person"})
    assert nested({"recipients": [{"person": "u2"}]}) == {"recipients": [{"userId": "u2"}]}


def test_unknown_buckets_get_their_cursor_field_canonical():
    assert renamer("goals", {})({"id": "g", "updated_at": "x"}) == {"id": "g", "updatedAt": "x"}
