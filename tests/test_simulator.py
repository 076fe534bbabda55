"""The API simulator, over real HTTP: it must be exactly the contract's assumed API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import requests
from impraise_simulator import BUCKETS, FAULTS, ROOT_SHAPES, Organisation, Switches

from tests.support.simulator import SIMULATOR_TOKEN, SMALL_ORG_USERS

AUTH = {"Authorization": f"bearer {SIMULATOR_TOKEN}"}
END_OF_DATA = datetime.fromisoformat("2026-07-01T00:00:00Z")
START_OF_DATA = datetime.fromisoformat("2024-01-01T00:00:00Z")


@pytest.fixture
def serve(simulator):
    """The simulator fixture without a rate limit unless a test sets one."""

    def start(org: Organisation | None = None, **switches: Any):
        return simulator(org, **{"rate_limit": 0} | switches)

    return start


def get(server, path: str = "/", headers: dict | None = None, **params: Any) -> requests.Response:
    return requests.get(
        server.url + path, headers=AUTH if headers is None else headers, params=params, timeout=30
    )


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def read_all(server, bucket: str, **params: Any) -> list[dict]:
    """Every record of a bucket, following pagination.next."""
    records, offset = [], 0
    while offset is not None:
        page = get(server, f"/{bucket}", offset=offset, **params).json()
        records += page["data"]
        offset = page["pagination"]["next"]
    return records


def routes_of(listing: Any) -> set[str]:
    """Bucket names from any root shape the contract allows."""
    entries = listing if isinstance(listing, list) else next(iter(listing.values()))
    names = set()
    for entry in entries:
        route = entry
        if isinstance(entry, dict):
            route = next(entry[key] for key in ("path", "href", "url", "name") if key in entry)
        names.add(route.rstrip("/").rsplit("/", 1)[-1])
    return names


def peak_per_second(times: list[float]) -> int:
    times = sorted(times)
    return max(
        (sum(1 for other in times[i:] if other - start < 1.0) for i, start in enumerate(times)),
        default=0,
    )


# --- authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "bearer wrong-token"},
        {"Authorization": f"Basic {SIMULATOR_TOKEN}"},
        {"Authorization": SIMULATOR_TOKEN},
    ],
    ids=["missing", "wrong", "other-scheme", "no-scheme"],
)
def test_requests_without_the_token_get_401_json(serve, headers):
    server = serve()
    for path in ("/", "/users"):
        response = get(server, path, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert SIMULATOR_TOKEN not in response.text


@pytest.mark.parametrize("scheme", ["bearer", "Bearer", "BEARER"])
def test_bearer_scheme_is_case_insensitive(serve, scheme):
    server = serve()
    response = get(server, headers={"Authorization": f"{scheme} {SIMULATOR_TOKEN}"})
    assert response.status_code == 200


def test_the_request_log_keeps_no_headers_or_token(serve):
    server = serve()
    get(server, "/users", maxItems=5)
    get(server, "/users", headers={"Authorization": "bearer nope"})
    log = server.request_log
    assert [(entry.path, entry.bucket, entry.status) for entry in log] == [
        ("/users", "users", 200),
        ("/users", "users", 401),
    ]
    assert log[0].params == {"maxItems": "5"}
    assert SIMULATOR_TOKEN not in repr(log) and "nope" not in repr(log)


# --- root listing ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", ROOT_SHAPES)
def test_root_lists_every_bucket_in_each_shape(serve, shape):
    server = serve(root_shape=shape)
    listing = get(server).json()
    assert routes_of(listing) == set(BUCKETS)
    if shape == "routes":
        assert listing == {"routes": [f"/{bucket}" for bucket in BUCKETS]}
    if shape in ("urls", "objects_url"):
        assert server.url in json.dumps(listing)


def test_an_added_bucket_is_listed_and_served(serve, small_org):
    small_org.add_bucket("goals", [{"id": "g-1", "title": "Ship it"}, {"title": "Hire"}])
    server = serve(small_org)
    assert "goals" in routes_of(get(server).json())
    data = get(server, "/goals").json()["data"]
    assert [record.get("title") for record in data] == ["Ship it", "Hire"]
    assert data[0]["id"] == "g-1" and data[1]["id"] and "updatedAt" in data[1]


def test_unknown_route_is_404_and_forbidden_bucket_is_403(serve):
    server = serve(forbidden=("reviews",))
    missing = get(server, "/salaries")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    forbidden = get(server, "/reviews")
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "forbidden"
    assert get(server, "/users").status_code == 200


# --- paging ---------------------------------------------------------------------------


def test_paging_returns_every_record_once_in_creation_order(serve, small_org):
    server = serve(small_org)
    served = read_all(server, "users", maxItems=7)
    assert [r["id"] for r in served] == [r["id"] for r in small_org.records("users")]


def test_pagination_object_matches_the_contract(serve, small_org):
    server = serve(small_org)
    first = get(server, "/feedback").json()
    assert len(first["data"]) == 250
    assert first["pagination"] == {"maxItems": 250, "next": 250, "offset": 0}
    total = len(small_org.records("feedback"))
    last = get(server, "/feedback", offset=total - 3, maxItems=10).json()
    assert len(last["data"]) == 3 and last["pagination"]["next"] is None
    beyond = get(server, "/feedback", offset=total + 5).json()
    assert beyond["data"] == [] and beyond["pagination"]["next"] is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("maxItems", "0"),
        ("maxItems", "1001"),
        ("maxItems", "ten"),
        ("maxItems", "2.5"),
        ("offset", "-1"),
        ("offset", "x"),
        ("after", "yesterday"),
        ("before", "2024-13-01"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(serve, name, value):
    server = serve()
    response = get(server, "/users", **{name: value})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request" and name in response.json()["message"]


def test_max_page_caps_a_page_and_next_follows_it(serve):
    server = serve(max_page=10)
    page = get(server, "/feedback", maxItems=1000, offset=5).json()
    assert len(page["data"]) == 10
    assert page["pagination"] == {"maxItems": 10, "next": 15, "offset": 5}


@pytest.mark.parametrize(
    "style, first, last",
    [
        ("offset", 5, None),
        ("offset_plus_len", 5, "end"),
        ("remaining", "rest", 0),
        ("absent", None, None),
    ],
)
def test_next_style_writes_next_in_each_reading(serve, small_org, style, first, last):
    server = serve(next_style=style)
    total = len(small_org.records("users"))
    head = get(server, "/users", maxItems=5).json()["pagination"]
    tail = get(server, "/users", maxItems=5, offset=total - 2).json()["pagination"]
    if style == "absent":
        assert "next" not in head and "next" not in tail
        return
    assert head["next"] == {5: 5, "rest": total - 5}[first]
    assert tail["next"] == {None: None, "end": total, 0: 0}[last]


def test_snake_case_hyphens_and_renamed_buckets(serve, small_org):
    server = serve(snake_case=True, hyphen_routes=True, renamed=("feedback=feedbacks",))
    routes = get(server, "/").json()["routes"]
    assert "/review-participants" in routes and "/feedbacks" in routes
    assert "/feedback" not in routes and "/review_participants" not in routes
    assert get(server, "/review_participants").status_code == 404
    record = get(server, "/feedbacks", maxItems=1).json()["data"][0]
    assert {"updated_at", "sender_id", "is_anonymous"} <= set(record)
    request = get(server, "/feedback-requests", maxItems=1).json()["data"][0]
    assert {"user_id", "answered_at"} <= set(request["recipients"][0])


def test_rate_limit_headers_count_down_the_window(serve):
    server = serve(rate_limit=5, rate_limit_headers=True)
    remaining = [int(get(server, "/users").headers["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining == [4, 3, 2]
    assert get(server, "/users").headers["X-RateLimit-Limit"] == "5"


def test_the_log_counts_the_records_of_each_page(serve, small_org):
    server = serve()
    get(server, "/users", maxItems=7)
    get(server, "/")
    assert [entry.records for entry in server.request_log] == [7, 0]


def test_shuffle_is_a_stable_permutation_across_pages(serve, small_org):
    server = serve(small_org, shuffle=True)
    first = [r["id"] for r in read_all(server, "users", maxItems=9)]
    again = [r["id"] for r in read_all(server, "users", maxItems=9)]
    in_creation_order = [r["id"] for r in small_org.records("users")]
    assert first == again
    assert sorted(first) == sorted(in_creation_order) and first != in_creation_order


def test_a_shuffled_order_keeps_its_place_when_records_come_and_go(serve, small_org):
    server = serve(small_org, shuffle=True)
    before = [r["id"] for r in read_all(server, "users", maxItems=50)]
    small_org.delete("users", before[10])
    small_org.update("users", before[20], jobTitle="Moved")
    added = small_org.add("users", dict(small_org.records("users")[0], id="added-user"))
    after = [r["id"] for r in read_all(server, "users", maxItems=50)]
    assert [i for i in after if i != added["id"]] == [i for i in before if i != before[10]]
    assert added["id"] in after


def test_updated_order_serves_a_changed_record_last(serve, small_org):
    server = serve(small_org, updated_order=True)
    served = read_all(server, "feedback", maxItems=100)
    instants = [instant(r["updatedAt"]) for r in served]
    assert instants == sorted(instants) and len(served) == len(small_org.records("feedback"))
    small_org.update("feedback", served[0]["id"], comment="changed")
    again = [r["id"] for r in read_all(server, "feedback", maxItems=100)]
    assert again == [r["id"] for r in served[1:]] + [served[0]["id"]]


@pytest.mark.parametrize("kind", ["delete", "update", "insert"])
@pytest.mark.parametrize("updated_order", [False, True], ids=["creation order", "updatedAt order"])
def test_moves_happen_before_the_chosen_requests(serve, small_org, kind, updated_order):
    """`moves`: before the 2nd and 4th page requests of a bucket, one record moves; one the
    request's offset has passed, so the later ones shift."""
    server = serve(small_org, moves=(f"{kind}:users@2,4",), updated_order=updated_order)
    count = len(small_org.records("users"))
    original = [r["id"] for r in read_all(server, "users", maxItems=1000)]
    server.switches.moves = (f"{kind}:users@3,5",)  # that read was the 1st request
    ids = []
    for number, offset in enumerate((0, 10, 20, 30, 40), start=1):
        page = get(server, "/users", maxItems=10, offset=offset).json()["data"]
        ids.append([r["id"] for r in page])
        assert len(server.moved) == (number >= 2) + (number >= 4), server.moved
    kinds = {entry[0] for entry in server.moved}
    assert kinds == {kind}
    now = [r["id"] for r in small_org.records("users")]
    assert len(now) == count + {"delete": -2, "update": 0, "insert": 2}[kind]
    for _, record_id in server.moved:
        if kind == "insert":
            assert record_id in now
        elif kind == "delete":
            assert record_id not in now
            assert record_id in ids[0] + ids[1] + ids[2]  # one the offset had passed
    shifts = kind == "delete" or (kind == "update" and updated_order)
    # Served after the first move: the records after the moved one shifted down by one.
    assert ids[1] == original[11:21] if shifts else ids[1] == original[10:20]


def test_malformed_moves_are_refused():
    for entry in ("remove:users@1", "delete:users", "delete:@2", "delete:users@0", "insert:x@a"):
        with pytest.raises(ValueError, match="KIND:BUCKET@N"):
            Switches(moves=(entry,))


# --- filters --------------------------------------------------------------------------


def test_after_is_inclusive_and_before_exclusive_by_instant(serve, small_org):
    server = serve(small_org)
    records = small_org.records("feedback")
    pivot = records[len(records) // 2]["updatedAt"]
    later = {r["id"] for r in records if instant(r["updatedAt"]) >= instant(pivot)}
    earlier = {r["id"] for r in records if instant(r["updatedAt"]) < instant(pivot)}
    assert {r["id"] for r in read_all(server, "feedback", after=pivot, maxItems=1000)} == later
    assert {r["id"] for r in read_all(server, "feedback", before=pivot, maxItems=1000)} == earlier


def test_after_exclusive_switch_drops_the_boundary_record(serve, small_org):
    server = serve(small_org, after_exclusive=True)
    records = small_org.records("feedback")
    pivot = records[len(records) // 2]["updatedAt"]
    expected = {r["id"] for r in records if instant(r["updatedAt"]) > instant(pivot)}
    assert {r["id"] for r in read_all(server, "feedback", after=pivot, maxItems=1000)} == expected


def test_filters_compare_instants_whatever_the_offset_or_form(serve):
    server = serve()

    def ids(**params: str) -> list[str]:
        return [r["id"] for r in read_all(server, "feedback", maxItems=1000, **params)]

    utc = ids(after="2025-01-01T00:00:00Z", before="2025-03-01T00:00:00Z")
    assert utc
    assert ids(after="2025-01-01T01:00:00+01:00", before="2025-02-28T19:00:00-05:00") == utc
    assert ids(after="2025-01-01", before="2025-03-01") == utc
    assert ids(after="2025-01-01T00:00:00.000000+00:00", before="2025-03-01T00:00Z") == utc


def test_served_timestamps_vary_in_form_but_not_in_instant(serve, small_org):
    server = serve(small_org)
    served = {r["id"]: r for r in read_all(server, "users", maxItems=1000)}
    suffixes = {r["updatedAt"][-6:] for r in served.values()}
    assert len(suffixes) > 3  # several offsets in use
    for record in small_org.records("users"):
        assert instant(served[record["id"]]["updatedAt"]) == instant(record["updatedAt"])


def test_without_mixed_offsets_timestamps_are_utc(serve, small_org):
    server = serve(small_org, mixed_offsets=False)
    served = read_all(server, "feedback_requests", maxItems=1000)
    assert served == small_org.records("feedback_requests")
    assert all(r["createdAt"].endswith("Z") for r in served)


# --- rate limit -----------------------------------------------------------------------


def test_rate_limit_answers_429_and_never_admits_more_than_the_limit(serve):
    server = serve(rate_limit=3)
    with requests.Session() as session:
        session.headers.update(AUTH)
        statuses = [session.get(server.url + "/topics", timeout=30) for _ in range(12)]
    refused = [response for response in statuses if response.status_code == 429]
    # 12 local requests take far less than a second, so some must be refused.
    assert refused
    assert refused[0].headers["Retry-After"] == "1"
    assert refused[0].json()["error"] == "too_many_requests"
    admitted = [entry.at for entry in server.request_log if entry.status == 200]
    assert peak_per_second(admitted) <= 3
    assert len(server.request_log) == 12  # refused requests are logged too


def test_concurrent_clients_share_the_window(serve):
    server = serve(rate_limit=4)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: get(server, "/topics").status_code, range(16)))
    assert Counter(codes)[429] > 0
    assert peak_per_second([e.at for e in server.request_log if e.status == 200]) <= 4


def test_retry_after_can_be_switched_off(serve):
    server = serve(rate_limit=1, retry_after=False)
    responses = [get(server, "/topics") for _ in range(4)]
    refused = [r for r in responses if r.status_code == 429]
    assert refused and all("Retry-After" not in r.headers for r in refused)


def test_rate_limit_zero_disables_it(serve):
    server = serve(rate_limit=0)
    assert all(get(server, "/topics").status_code == 200 for _ in range(20))


def test_arrival_jitter_stamps_each_request_late_by_up_to_its_bound(serve):
    """The rate limit judges a request when it reaches it: with arrival_jitter_ms that is
    a random 0 to J ms after it was sent, and only then does the latency begin."""
    server = serve(arrival_jitter_ms=150)
    delays = []
    with requests.Session() as session:
        session.headers.update(AUTH)
        for _ in range(30):
            sent = time.monotonic()
            session.get(server.url + "/topics", timeout=30)
            delays.append(server.request_log[-1].at - sent)
    assert min(delays) >= 0 and max(delays) < 0.15 + 0.05
    assert max(delays) - min(delays) > 0.075  # 30 uniform draws span more than half


# --- faults ---------------------------------------------------------------------------


def test_status_faults_hit_the_next_requests_then_stop(serve):
    server = serve(rate_limit=0)
    server.inject("503", count=2)
    assert [get(server, "/users").status_code for _ in range(3)] == [503, 503, 200]


def test_a_bucket_fault_spares_other_buckets_and_the_root(serve):
    server = serve(rate_limit=0)
    server.inject("500", bucket="teams")
    server.inject("502", bucket="/")
    assert get(server, "/users").status_code == 200
    assert get(server).status_code == 502
    assert get(server, "/teams").status_code == 500
    assert get(server, "/teams").status_code == 200


@pytest.mark.parametrize("fault", ["500", "502", "503", "401"])
def test_error_faults_answer_json_errors(serve, fault):
    server = serve()
    server.inject(fault)
    response = get(server, "/users")
    assert response.status_code == int(fault) and "error" in response.json()


def test_429_fault_follows_the_retry_after_switch(serve):
    server = serve(retry_after=False)
    server.inject("429")
    response = get(server, "/users")
    assert response.status_code == 429 and "Retry-After" not in response.headers


def test_reset_fault_closes_the_connection_unanswered(serve):
    server = serve()
    server.inject("reset")
    with pytest.raises(requests.ConnectionError):
        get(server, "/users")
    assert server.request_log[-1].status == 0
    assert get(server, "/users").status_code == 200


def test_slow_fault_stalls_then_answers(serve):
    server = serve(slow_seconds=0.3)
    server.inject("slow")
    started = time.monotonic()
    response = get(server, "/users")
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


def test_slow_fault_lets_a_client_time_out(serve):
    server = serve(slow_seconds=3)
    server.inject("slow")
    with pytest.raises(requests.Timeout):
        requests.get(server.url + "/users", headers=AUTH, timeout=0.3)


def test_truncated_fault_cuts_the_body_with_matching_length(serve):
    server = serve()
    server.inject("truncated")
    response = get(server, "/users")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_invalid_json_and_html_faults(serve):
    server = serve()
    server.inject("invalid_json")
    server.inject("html")
    not_json = get(server, "/users")
    assert not_json.status_code == 200
    with pytest.raises(ValueError):
        json.loads(not_json.content)
    html = get(server, "/users")
    assert html.status_code == 502 and html.headers["Content-Type"].startswith("text/html")


def test_missing_data_and_stuck_next_faults(serve):
    server = serve()
    server.inject("missing_data")
    server.inject("stuck_next")
    body = get(server, "/users", maxItems=10, offset=10).json()
    assert "data" not in body and body["pagination"]["offset"] == 10
    stuck = get(server, "/users", maxItems=10, offset=10).json()
    assert len(stuck["data"]) == 10 and stuck["pagination"]["next"] == 10


def test_page_faults_cannot_target_the_root_and_unknown_faults_are_refused(serve):
    server = serve()
    with pytest.raises(ValueError):
        server.inject("stuck_next", bucket="/")
    with pytest.raises(ValueError):
        server.inject("teapot")
    assert set(FAULTS) >= {"reset", "slow", "truncated", "stuck_next"}


def test_random_faults_follow_their_rates(serve):
    failing = serve(rate_limit=0, error_rate=1.0)
    assert {get(failing, "/users").status_code for _ in range(10)} <= {500, 502, 503}
    cut = serve(rate_limit=0, truncate_rate=1.0)
    for _ in range(3):
        with pytest.raises(ValueError):
            json.loads(get(cut, "/users").content)


@pytest.mark.parametrize(
    "bad", [{"root_shape": "xml"}, {"error_rate": 1.5}, {"truncate_rate": -0.1}, {"max_page": 0}]
)
def test_switches_refuse_impossible_values(bad):
    with pytest.raises(ValueError):
        Switches(**bad)


def test_switches_changed_at_runtime_apply_to_the_next_request(serve):
    server = serve()
    assert get(server, "/users").status_code == 200
    server.switches.forbidden = ("users",)
    assert get(server, "/users").status_code == 403


def test_latency_delays_requests_without_serialising_them(serve):
    server = serve(rate_limit=0, latency_ms=400)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: get(server, "/topics").status_code, range(8)))
    elapsed = time.monotonic() - started
    assert codes == [200] * 8
    # Served one by one this would take 3.2 s; concurrently, about 0.4 s.
    assert 0.4 <= elapsed < 2.5


# --- changes ----------------------------------------------------------------------------


def test_change_during_paging_moves_an_earlier_record_to_now(serve, small_org):
    server = serve(small_org, change_during_paging="feedback", mixed_offsets=False)
    started = datetime.now().astimezone()
    first = get(server, "/feedback", maxItems=100).json()["data"]
    get(server, "/feedback", maxItems=100, offset=100)
    changed = [r for r in small_org.records("feedback") if instant(r["updatedAt"]) >= started]
    assert len(changed) == 1 and changed[0]["id"] in {r["id"] for r in first}


def test_updates_are_served_and_found_by_a_cached_filter(serve, small_org):
    server = serve(small_org)
    cursor = small_org.records("users")[-1]["updatedAt"]
    before_change = {r["id"] for r in read_all(server, "users", after=cursor)}
    target = small_org.records("users")[0]
    updated = small_org.update("users", target["id"], jobTitle="Chief Ångström Officer")
    assert instant(updated["updatedAt"]) > instant(target["updatedAt"])
    after_change = {r["id"]: r for r in read_all(server, "users", after=cursor)}
    assert set(after_change) == before_change | {target["id"]}
    assert after_change[target["id"]]["jobTitle"] == "Chief Ångström Officer"


def test_add_and_delete_are_served(serve, small_org):
    server = serve(small_org)
    added = small_org.add("topics", {"name": "Kindness", "category": "Values", "isActive": True})
    served = {r["id"] for r in read_all(server, "topics")}
    assert added["id"] in served
    small_org.delete("topics", added["id"])
    assert added["id"] not in {r["id"] for r in read_all(server, "topics")}
    with pytest.raises(ValueError):
        small_org.add("topics", {"id": small_org.records("topics")[0]["id"]})


def test_add_field_reaches_every_record(serve, small_org):
    server = serve(small_org)
    small_org.add_field("teams", "costCenter", lambda team: {"code": team["id"][-2:]})
    served = read_all(server, "teams")
    assert served and all(r["costCenter"] == {"code": r["id"][-2:]} for r in served)


def test_records_returns_copies(small_org):
    small_org.records("users")[0]["name"] = "Mallory"
    assert small_org.records("users")[0]["name"] != "Mallory"


def test_a_copied_organisation_changes_independently(small_org):
    copy = small_org.copy()
    user_id = small_org.records("users")[0]["id"]
    copy.update("users", user_id, name="Mallory")
    copy.delete("topics", copy.records("topics")[0]["id"])
    assert small_org.records("users")[0]["name"] != "Mallory"
    assert copy.count() == small_org.count() - 1


def test_mutate_users_keeps_the_tree_and_statuses_consistent(small_org):
    before = {r["id"]: r for r in small_org.records("users")}
    changed = small_org.mutate_users(30, seed=3)
    after = {r["id"]: r for r in small_org.records("users")}
    assert len(changed) == 30
    for user_id in changed:
        assert after[user_id] != before[user_id]
        assert instant(after[user_id]["updatedAt"]) > END_OF_DATA
    assert_manager_tree(list(after.values()))
    for user in after.values():
        assert (user["status"] == "deactivated") == (user["deactivatedAt"] is not None)


def test_stopped_server_refuses_connections(serve):
    server = serve()
    with requests.Session() as session:
        session.headers.update(AUTH)
        assert session.get(server.url, timeout=30).status_code == 200
        server.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(server.url, timeout=30)


# --- the synthetic organisation ---------------------------------------------------------


def test_generation_is_deterministic():
    first, again = Organisation.generate(users=40, seed=5), Organisation.generate(users=40, seed=5)
    other = Organisation.generate(users=40, seed=6)
    for bucket in BUCKETS:
        assert first.records(bucket) == again.records(bucket)
    assert first.records("users") != other.records("users")


def test_organisation_is_realistic_and_consistent(small_org):
    data = {bucket: small_org.records(bucket) for bucket in BUCKETS}
    assert small_org.buckets == list(BUCKETS)
    # Organisation.generate documents about 55 records per user. The review calendar and
    # the topic library are the same size for any organisation, so they are left out;
    # "about" is taken as within 10%.
    per_user = (
        sum(len(data[b]) for b in BUCKETS if b not in ("reviews", "topics")) / SMALL_ORG_USERS
    )
    assert 55 * 0.9 <= per_user <= 55 * 1.1, per_user
    ids = {bucket: {r["id"] for r in records} for bucket, records in data.items()}
    for bucket, records in data.items():
        assert len(ids[bucket]) == len(records), f"duplicate ids in {bucket}"
        assert all(isinstance(r["id"], str) for r in records)
        created = [instant(r["createdAt"]) for r in records]
        assert created == sorted(created), f"{bucket} not in creation order"
        for record in records:
            assert START_OF_DATA <= instant(record["createdAt"]) <= instant(record["updatedAt"])
            assert instant(record["updatedAt"]) < END_OF_DATA
    assert_manager_tree(data["users"])
    assert_references(data, ids)
    assert_variety(data)


def assert_manager_tree(users: list[dict]) -> None:
    managers = {u["id"]: u["managerId"] for u in users}
    assert sum(1 for m in managers.values() if m is None) == 1
    depths = []
    for user_id in managers:
        depth, current = 0, user_id
        while managers[current] is not None:
            current, depth = managers[current], depth + 1
            assert depth < len(managers), "manager cycle"
        depths.append(depth)
    assert 3 <= max(depths) <= 7


def assert_references(data: dict[str, list[dict]], ids: dict[str, set[str]]) -> None:
    users, teams, topics = ids["users"], ids["teams"], ids["topics"]
    assert all(u["managerId"] in users | {None} for u in data["users"])
    assert all(set(u["teamIds"]) <= teams and len(u["teamIds"]) <= 3 for u in data["users"])
    assert all(t["parentTeamId"] in teams | {None} and t["leadId"] in users for t in data["teams"])
    for item in data["feedback"]:
        assert item["senderId"] in users | {None} and item["recipientId"] in users
        assert set(item["topicIds"]) <= topics
        assert item["requestId"] in ids["feedback_requests"] | {None}
        assert (item["senderId"] is None) == item["isAnonymous"]
    for request in data["feedback_requests"]:
        assert {request["requesterId"], request["subjectId"]} <= users
        assert 1 <= len(request["recipients"]) <= 5
        assert all(r["userId"] in users for r in request["recipients"])
    for participant in data["review_participants"]:
        assert participant["reviewId"] in ids["reviews"]
        assert participant["reviewerId"] in users | {None}
        assert (participant["reviewerId"] is None) == (participant["relationship"] == "external")
    for answer in data["review_answers"]:
        assert answer["participantId"] in ids["review_participants"]
        assert answer["topicId"] in topics and answer["rating"] in (None, 1, 2, 3, 4, 5)


def assert_variety(data: dict[str, list[dict]]) -> None:
    def values(bucket: str, field: str) -> set:
        return {r[field] for r in data[bucket]}

    assert values("reviews", "type") == {"performance", "peer", "leadership", "360", "pulse"}
    assert values("reviews", "status") == {"draft", "scheduled", "running", "closed"}
    assert values("review_participants", "relationship") == {
        "self", "manager", "peer", "direct_report", "external"
    }  # fmt: skip
    assert values("feedback", "type") == {"praise", "tip", "feedback"}
    assert values("users", "status") >= {"active", "deactivated"}
    assert {r["status"] for q in data["feedback_requests"] for r in q["recipients"]} >= {
        "answered", "declined", "expired"
    }  # fmt: skip
    assert False in values("topics", "isActive")
    assert any(not name.isascii() for name in values("users", "name"))
    anonymous = sum(r["isAnonymous"] for r in data["feedback"]) / len(data["feedback"])
    assert 0.02 < anonymous < 0.15
    late = [
        p for p in data["review_participants"] if p["completedAt"] and p["status"] == "completed"
    ]
    ends = {r["id"]: instant(r["endAt"]) for r in data["reviews"]}
    assert any(instant(p["completedAt"]) > ends[p["reviewId"]] for p in late)
    answers = [r for r in data["feedback"] if r["type"] == "feedback"]
    assert answers and all(r["requestId"] and r["senderId"] for r in answers)


def test_answer_rounds_make_review_answers_dominate_and_change_nothing_else():
    base = Organisation.generate(users=SMALL_ORG_USERS, seed=3)
    longer = Organisation.generate(users=SMALL_ORG_USERS, seed=3, answer_rounds=3)
    for bucket in BUCKETS:
        if bucket != "review_answers":
            assert longer.records(bucket) == base.records(bucket), bucket
    answers = longer.records("review_answers")
    assert len(answers) == 3 * len(base.records("review_answers"))
    assert len({answer["id"] for answer in answers}) == len(answers)
    assert {len(answer["id"]) for answer in answers} == {24}
    sections = Counter(answer["questionText"].rpartition(" (section ")[2] for answer in answers)
    assert sections["2)"] == sections["3)"] == len(answers) // 3


# --- the command line -------------------------------------------------------------------


def test_command_line_serves_until_terminated_without_printing_the_token(tmp_path):
    env = {"IMPRAISE_SIMULATOR_TOKEN": SIMULATOR_TOKEN, "PATH": "/usr/bin:/bin"}
    arrivals_log = tmp_path / "arrivals.txt"
    command = [sys.executable, "-m", "impraise_simulator", "--port", "0", "--users", "20"]
    process = subprocess.Popen(
        [*command, "--rate-limit", "1", "--arrivals-log", str(arrivals_log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        url = next(word for word in line.split() if word.startswith("http://")).rstrip(":")
        assert "records" in line and SIMULATOR_TOKEN not in line
        response = requests.get(url + "/users", headers=AUTH, timeout=30)
        assert response.status_code == 200 and len(response.json()["data"]) == 20
        throttled = requests.get(url + "/users", headers=AUTH, timeout=30)
        assert throttled.status_code == 429
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert SIMULATOR_TOKEN not in out + err
    # One line per request as it is answered: its arrival time.monotonic(), status, target.
    arrivals = [line.split() for line in arrivals_log.read_text().splitlines()]
    assert [(status, target) for _, status, target in arrivals] == [
        ("200", "/users"),
        ("429", "/users"),
    ]
    assert float(arrivals[0][0]) < float(arrivals[1][0]) <= time.monotonic()


def test_command_line_without_a_token_prints_a_throwaway_one():
    process = subprocess.Popen(
        [sys.executable, "-m", "impraise_simulator", "--port", "0", "--users", "5"],
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        hint = process.stdout.readline()
        token = hint.strip().rsplit("=", 1)[1]
        url = next(w for w in process.stdout.readline().split() if w.startswith("http://"))
        headers = {"Authorization": f"bearer {token}"}
        assert "SOURCES__IMPRAISE__API_TOKEN" in hint
        assert requests.get(url.rstrip(":"), headers=headers, timeout=30).status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_the_organisation_has_what_calibration_managers_and_leavers_need(small_org):
    """Issue 22's sections need, in the small organisation the tests build: people rated
    by themselves and by their manager, self ratings above managers' (the habit the gap
    measures), leavers, and a team tree whose leaf teams are smaller than the floor."""
    participants = {task["id"]: task for task in small_org.records("review_participants")}
    ratings: dict[tuple[str, str, str], list[int]] = {}
    for answer in small_org.records("review_answers"):
        task = participants[answer["participantId"]]
        if answer["rating"] is not None:
            key = (answer["reviewId"], task["relationship"], task["recipientId"])
            ratings.setdefault(key, []).append(answer["rating"])
    gaps = [
        sum(self_rated) / len(self_rated) - sum(rated) / len(rated)
        for (review, relationship, person), self_rated in ratings.items()
        if relationship == "self" and (rated := ratings.get((review, "manager", person)))
    ]
    assert len(gaps) >= 50 and sum(gaps) / len(gaps) > 0.25, (len(gaps), sum(gaps) / len(gaps))
    users = small_org.records("users")
    assert sum(user["status"] == "deactivated" for user in users) >= 4
    teams = small_org.records("teams")
    parents = {team["parentTeamId"] for team in teams}
    members = Counter(team_id for user in users for team_id in user["teamIds"])
    small_leaves = [
        team
        for team in teams
        if team["parentTeamId"] and team["id"] not in parents and members[team["id"]] < 5
    ]
    assert small_leaves, "no leaf team below the default floor"
