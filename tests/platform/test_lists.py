"""The one paginator and filter backend (semantics §5), exercised on `GET /keys`."""

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from security.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(admin_client):
    """25 more keys for the admin client's owner; some share a creation time (sort ties)."""
    base = timezone.now() - timedelta(days=1)
    rows = [
        ApiKey(
            name=f"{'alpha' if i % 2 else 'beta'}-{i:02d}",
            owner=admin_client.user,
            environment="dev",
            prefix="dev_sk_x",
            secret_hash=f"{i:064d}",
            scopes=["agents:read"],
            created_at=base + timedelta(minutes=i // 3),
        )
        for i in range(25)
    ]
    ApiKey.objects.bulk_create(rows)
    return admin_client


def _data(response):
    assert response.status_code == 200, response.content
    return response.json()


def test_offset_pages_have_pagination_and_links(keys):
    body = _data(keys.get("/api/keys?limit=10&offset=10"))
    assert len(body["data"]) == 10
    assert body["pagination"] == {
        "total": 26,
        "limit": 10,
        "offset": 10,
        "has_more": True,
        "next_offset": 20,
        "previous_offset": 0,
    }
    assert body["links"]["next"] == "/api/keys?limit=10&offset=20"
    assert body["links"]["prev"] == "/api/keys?limit=10&offset=0"
    assert body["links"]["last"] == "/api/keys?limit=10&offset=20"
    last = _data(keys.get("/api/keys?limit=10&offset=20"))
    assert last["pagination"]["has_more"] is False and last["links"]["next"] is None


def test_default_limit_is_20(keys):
    assert len(_data(keys.get("/api/keys"))["data"]) == 20


def test_cursor_walk_visits_every_row_once_despite_sort_ties(keys):
    seen, cursor, pages = [], "", 0
    while True:
        body = _data(keys.get(f"/api/keys?limit=4&sort=created_at&cursor={quote(cursor)}"))
        seen += [k["key_id"] for k in body["data"]]
        pages += 1
        assert set(body["pagination"]) == {"cursor", "has_more", "limit"}
        if not body["pagination"]["has_more"]:
            assert body["pagination"]["cursor"] is None
            break
        cursor = body["pagination"]["cursor"]
    assert pages == 7
    assert len(seen) == len(set(seen)) == 26
    expected = list(ApiKey.objects.order_by("created_at", "pk").values_list("key_id", flat=True))
    assert seen == expected


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("cursor=eyJmYWtlIjp0cnVlfQ", "cursor"),
        ("sort=secret_hash", "sort"),
        ("colour=red", "colour"),
        ("filter=" + quote("{not json"), "filter"),
        ("filter=" + quote('["name"]'), "filter"),
        ("filter=" + quote('{"secret_hash":"x"}'), "filter"),
        ("filter=" + quote('{"name":{"regex":".*"}}'), "filter"),
        ("filter=" + quote('{"name":{"gt":"a"}}'), "filter"),
        ("created_at_gt=yesterday", "created_at_gt"),
        ("offset=1000000001", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("created_after=" + quote("9999-12-31T23:59:59-05:00"), "created_after"),
        ("created_before=" + quote("0001-01-01T00:00:00+05:00"), "created_before"),
        ("last_used_at_lte=" + quote("9999-12-31T23:59:59-05:00"), "last_used_at_lte"),
        ("filter=" + quote('{"created_at":{"gt":"9999-12-31T23:59:59-05:00"}}'), "created_at_gt"),
        ("filter=" + quote('{"created_after":"0001-01-01T00:00:00+05:00"}'), "created_after"),
        ("filter=" + quote("[" * 100_000), "filter"),
        ("filter=" + quote('{"a":' * 50_000), "filter"),
        ("filter=" + quote('{"name":"a\\u0000b"}'), "filter"),
        ("filter=" + quote('{"name":{"in":["a\\ud800b"]}}'), "filter"),
        # What the schema refuses, the server refuses (tests/fuzz checks every operation).
        ("limit=", "limit"),
        ("limit=+5", "limit"),
        ("limit=%205", "limit"),
        ("cursor=&offset=-1", "offset"),
        ("sort=", "sort"),
        ("sort=name,,created_at", "sort"),
        ("sort=--name", "sort"),
        ("name=", "name"),
        ("name_in=a,,b", "name_in"),
        ("created_after=" + quote("2026-02-01T00:00:00"), "created_after"),  # no offset
        ("created_after=" + quote("2026-02-01 00:00:00Z"), "created_after"),
        # The same filter twice: the displaced value is checked too.
        ("created_after=x&created_after=2026-02-01", "created_after"),
        (
            "filter=" + quote('{"created_at":{"gt":"x"},"created_at_gt":"2026-02-01"}'),
            "created_at_gt",
        ),
        ("created_after=" + quote("01/02/2026"), "created_after"),
        ("filter=" + quote('{"name":1}'), "filter"),
        ("filter=" + quote('{"name":""}'), "filter"),
        ("filter=" + quote('{"name":{}}'), "filter"),
        ("filter=" + quote('{"name":{"in":[]}}'), "filter"),
        ("filter=" + quote('{"name":{"in":["a,b"]}}'), "filter"),
        ("filter=" + quote('{"name_in":"a"}'), "filter"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_problem(keys, query, param):
    response = keys.get(f"/api/keys?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["type"] in {
        "invalid_pagination",
        "invalid_cursor",
        "invalid_sort",
        "invalid_filter",
    }
    assert param in json.dumps(error)


def test_offset_is_bounded_and_the_bound_is_named(keys):
    error = keys.get("/api/keys?offset=99999999999999999999").json()["error"]
    assert error["message"] == "offset must be an integer between 0 and 1000000000"
    body = _data(keys.get("/api/keys?offset=1000000000"))
    assert body["data"] == [] and body["pagination"]["total"] == 26


def test_datetime_filters_compare_in_utc(keys):
    newest = ApiKey.objects.order_by("-created_at").values_list("created_at", flat=True)[0]
    # The same instant written with a -05:00 offset.
    local = (newest - timedelta(hours=5)).replace(tzinfo=timezone.get_fixed_timezone(-300))
    at_or_after = _data(keys.get(f"/api/keys?created_after={quote(local.isoformat())}"))
    assert at_or_after["pagination"]["total"] == 1
    as_json = quote(json.dumps({"created_at": {"lt": local.isoformat()}}))
    assert _data(keys.get(f"/api/keys?filter={as_json}&limit=100"))["pagination"]["total"] == 25


def test_unknown_fields_name_the_allowed_ones(keys):
    message = keys.get("/api/keys?sort=-secret").json()["error"]["message"]
    assert message == "Unknown sort field 'secret'. Allowed: created_at, name"
    message = keys.get("/api/keys?filter=" + quote('{"nope":1}')).json()["error"]["message"]
    assert "name (eq, ne, in, contains, starts_with, ends_with)" in message


def test_a_tampered_cursor_is_400(keys):
    cursor = _data(keys.get("/api/keys?limit=2&cursor="))["pagination"]["cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = keys.get(f"/api/keys?limit=2&cursor={quote(tampered)}")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid cursor"
    other_sort = keys.get(f"/api/keys?limit=2&sort=name&cursor={quote(cursor)}")
    assert other_sort.status_code == 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=alpha-01", ["alpha-01"]),
        ("filter=" + quote('{"name":"alpha-01"}'), ["alpha-01"]),
        ("filter=" + quote('{"name":{"in":["alpha-01","beta-02"]}}'), ["alpha-01", "beta-02"]),
        ("name_in=alpha-01,beta-02", ["alpha-01", "beta-02"]),
        ("name_starts_with=beta-1", ["beta-10", "beta-12", "beta-14", "beta-16", "beta-18"]),
        ("filter=" + quote('{"name_ends_with":"-2"}'), []),
        ("filter=" + quote('{"name":{"ends_with":"24"}}'), ["beta-24"]),
        ("name_contains=LPHA-0&name_ne=alpha-01", ["alpha-03", "alpha-05", "alpha-07", "alpha-09"]),
    ],
)
def test_filters_in_both_forms(keys, query, expected):
    body = _data(keys.get(f"/api/keys?{query}&sort=name&limit=100"))
    assert [k["name"] for k in body["data"]] == expected
    assert body["pagination"]["total"] == len(expected)


def test_comparison_operators_on_times(keys):
    cutoff = ApiKey.objects.order_by("created_at").values_list("created_at", flat=True)[3]
    iso = quote(cutoff.isoformat())
    gt = _data(keys.get(f"/api/keys?created_at_gt={iso}&limit=100"))["pagination"]["total"]
    as_json = quote(json.dumps({"created_at": {"lte": cutoff.isoformat()}}))
    lte = _data(keys.get(f"/api/keys?filter={as_json}&limit=100"))["pagination"]["total"]
    assert gt > 0 and lte > 0
    assert gt + lte == 26


def test_sort_descending_and_multiple_fields(keys):
    names = [k["name"] for k in _data(keys.get("/api/keys?sort=-name&limit=3"))["data"]]
    assert names == ["test", "beta-24", "beta-22"]


@pytest.mark.parametrize(
    "query",
    [
        "sort=%2Bname,-created_at",
        "sort=+name",  # an unescaped `+` arrives as a space: ascending all the same
        "created_after=2020-02-01",
        "created_after=" + quote("2020-02-01T00:00:00Z"),
        "created_after=" + quote("2020-02-01t00:00:00.1234567891+05:30"),  # nanoseconds cut
        "filter=" + quote('{"name":{"in":["alpha-01"]},"created_after":"2020-02-01"}'),
        "filter=" + quote('{"name_starts_with":"alpha","name":{"ne":"x"}}'),
    ],
)
def test_what_the_schema_allows_is_answered(keys, query):
    assert _data(keys.get(f"/api/keys?{query}"))["pagination"]["total"] >= 1


def test_a_filter_given_twice_takes_the_last_valid_value(admin_client):
    both = "status_in=running&filter=" + quote('{"status":{"in":["failed","completed"]}}')
    assert _data(admin_client.get(f"/api/agents?{both}"))["data"] == []
    bad = "status_in=weird&filter=" + quote('{"status":{"in":["failed"]}}')
    assert admin_client.get(f"/api/agents?{bad}").status_code == 400


def test_number_and_boolean_filters_take_their_json_type_only(admin_client):
    agents = "/api/agents?filter="
    assert admin_client.get(agents + quote('{"cost":{"gt":0.5}}')).status_code == 200
    for bad in ('{"cost":{"gt":"0.5"}}', '{"cost":true}', '{"cost":{"gt":NaN}}'):
        assert admin_client.get(agents + quote(bad)).status_code == 400, bad
    assert admin_client.get("/api/agents?cost_gt=NaN").status_code == 400
    assert admin_client.get("/api/agents?cost_gt=1e-51").status_code == 400
    assert admin_client.get("/api/agents?cost_gt=1e-50").status_code == 200
    models = "/api/models?"
    assert _data(admin_client.get(models + "enabled=true"))["data"]
    assert _data(admin_client.get(models + "filter=" + quote('{"enabled":true}')))["data"]
    for bad in ("enabled=1", "enabled=yes", "enabled=True", "filter=" + quote('{"enabled":1}')):
        assert admin_client.get(models + bad).status_code == 400, bad
