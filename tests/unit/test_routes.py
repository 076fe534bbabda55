"""The root listing read in every shape, matched to canonical buckets, and selected from."""

from __future__ import annotations

import pytest
from impraise_source.errors import ConfigurationError, ProtocolError
from impraise_source.routes import catalog, listed_routes, select_buckets
from impraise_source.schema import KNOWN_BUCKETS

PATHS = ["/users", "/teams"]


@pytest.mark.parametrize(
    "listing",
    [
        {"routes": PATHS},
        PATHS,
        {"data": PATHS},
        {"routes": ["users", "teams/"]},
        {"routes": ["https://api.example/v1/users", "https://api.example/v1/teams"]},
        {"routes": [{"path": "/users", "title": "Users"}, {"href": "/teams"}]},
        {"routes": [{"url": "https://x/users"}, {"name": "teams"}, {"title": "no route"}]},
        {"buckets": ["/users", "/users", "/teams"]},
    ],
)
def test_every_listing_shape_names_the_same_routes(listing):
    assert listed_routes(listing) == ["users", "teams"]


@pytest.mark.parametrize("listing", [{"routes": []}, {"other": PATHS}, "users", 42, [None, 3]])
def test_a_listing_that_names_no_bucket_is_a_protocol_error(listing):
    with pytest.raises(ProtocolError):
        listed_routes(listing)


def test_hyphenated_and_camel_case_routes_are_their_canonical_buckets():
    found = catalog(["/review-participants", "/reviewAnswers", "/users"], {})
    assert [(b.name, b.route) for b in found.buckets] == [
        ("review_participants", "review-participants"),
        ("review_answers", "reviewAnswers"),
        ("users", "users"),
    ]
    assert all(bucket.known for bucket in found.buckets)
    assert found.buckets[0].path == "/review-participants"


def test_a_renamed_bucket_is_suggested_then_mapped():
    listing = [f"/{name}" for name in KNOWN_BUCKETS if name != "feedback"] + ["/feedbacks"]
    found = catalog(listing, {})
    assert found.missing == ("feedback",)
    assert found.suggestions == {"feedback": "feedbacks"}
    assert [b.name for b in found.unknown] == ["feedbacks"]
    mapped = catalog(listing, {"feedback": "feedbacks"})
    assert mapped.missing == () and mapped.unknown == ()
    assert next(b for b in mapped.buckets if b.name == "feedback").path == "/feedbacks"


def test_a_route_that_is_nothing_like_a_missing_bucket_gets_no_suggestion():
    found = catalog(["/users", "/goals"], {})
    assert found.suggestions == {} and [b.name for b in found.unknown] == ["goals"]


def test_a_mapping_to_a_route_the_listing_lacks_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="'feedbacks', which the root listing"):
        catalog(["/users"], {"feedback": "feedbacks"})


def test_a_route_shadowed_by_a_mapping_is_not_read_twice():
    found = catalog(["/feedback", "/feedbacks"], {"feedback": "feedbacks"})
    assert [(b.name, b.route) for b in found.buckets] == [("feedback", "feedbacks")]
    assert found.shadowed == ("feedback",)


def test_selection_keeps_listing_order_and_names_unknown_choices():
    found = catalog([*PATHS, "/topics"], {})
    assert [b.name for b in select_buckets(found, ["topics", "users"], None)] == [
        "users",
        "topics",
    ]
    assert [b.name for b in select_buckets(found, None, ["teams"])] == ["users", "topics"]
    with pytest.raises(ConfigurationError, match="--buckets: usres not in the API's root"):
        select_buckets(found, ["usres"], None)
    with pytest.raises(ConfigurationError, match="--exclude: nope"):
        select_buckets(found, None, ["nope"])
