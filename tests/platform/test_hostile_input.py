"""Hostile input on every API route (semantics §2): never a 5xx, and every 4xx in the envelope.

Walks the registered routes (`tests.routes`) with nested JSON, NUL characters and lone
surrogates, offsets past any bound, dates UTC cannot hold, very long paths with an
Idempotency-Key, and methods a route does not serve.
"""

from __future__ import annotations

import json

import pytest

from j1msky.api.filtering import DateTimeFilter
from j1msky.api.pagination import ListPagination
from j1msky.api.parsers import MAX_JSON_DEPTH
from j1msky.models import IdempotencyRecord
from tests.routes import api_routes, concrete

pytestmark = pytest.mark.django_db

# /api/ and /api/v1/ serve the same views; one copy is enough.
# The v3 routes answer 410 before reading anything (tests/security/test_legacy.py).
ROUTES = [(r, view, methods) for r, view, methods in api_routes(sunset=False) if "/v1/" in r]
WRITES = ("POST", "PUT", "DELETE")
EXTREME_DATES = [
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31",
    "0001-01-01",
]
EXTREME_VALUES = [*EXTREME_DATES, "1e999999", "-99999999999999999999999", "NaN", "x" * 5000]


def ids(value):
    return value if isinstance(value, str) else ""


@pytest.fixture
def client(admin_client, settings):
    settings.J1MSKY_RATE_LIMITS = {name: 10**9 for name in settings.J1MSKY_RATE_LIMITS}
    return admin_client


def answer(response, what: str) -> dict | None:
    """Assert the answer is below 500 and, from 400 on, the error envelope; return the error."""
    assert response.status_code < 500, (what, response.status_code, response.content[:300])
    if response.status_code < 400:
        return None
    assert response["Content-Type"].startswith("application/json"), (what, response.content[:300])
    body = response.json()
    assert body["success"] is False, what
    error = body["error"]
    assert error["code"] == response.status_code, what
    assert error["type"] and error["message"] and error["request_id"].startswith("req_"), what
    return error


def send(client, method: str, path: str, body=None, content_type="application/json", **extra):
    if body is None:
        return client.generic(method, path, **extra)
    return client.generic(method, path, body, content_type=content_type, **extra)


def _list_view(view) -> bool:
    return getattr(view, "pagination_class", None) is ListPagination


@pytest.mark.parametrize(("route", "view", "methods"), ROUTES, ids=ids)
def test_methods_a_route_does_not_serve_are_405(client, anon_client, route, view, methods):
    path = concrete(route)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "PROPFIND"):
        if method in methods:
            answer(send(client, method, path), f"{method} {path}")
            continue
        error = answer(send(client, method, path), f"{method} {path}")
        assert error is not None and error["code"] == 405, (method, path, error)
        assert error["type"] == "method_not_allowed"


@pytest.mark.parametrize(("route", "view", "methods"), ROUTES, ids=ids)
def test_hostile_bodies_are_400_and_store_nothing(client, route, view, methods):
    path = concrete(route)
    too_deep = "[" * (MAX_JSON_DEPTH + 2) + "]" * (MAX_JSON_DEPTH + 2)
    bodies = [
        ("[" * 100_000, "application/json"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "application/json"),
        (too_deep, "application/json"),
        (json.dumps({"task": "a\x00b", "name": "a\x00b", "model": "k2p5"}), "application/json"),
        ('{"task":"a\\ud800b","name":"n\\udfff"}', "application/json"),
        (json.dumps({"metadata": {"k": "\x00"}, "scopes": ["\x00"]}), "application/json"),
        ("task=a%00b&name=a%00b", "application/x-www-form-urlencoded"),
        ("a%00b=1", "application/x-www-form-urlencoded"),
    ]
    for method in (m for m in methods if m in WRITES):
        for n, (body, content_type) in enumerate(bodies):
            what = f"{method} {path} body #{n}"
            # Without a key a view may not read the body at all (DELETE); with one, the body
            # is read for the fingerprint before anything runs, so it must be refused.
            answer(send(client, method, path, body, content_type), what)
            error = answer(
                send(client, method, path, body, content_type, HTTP_IDEMPOTENCY_KEY=f"k{n}"), what
            )
            assert error is not None and error["code"] == 400, (what, error)
            assert error["type"] in ("parse_error", "validation_error"), (what, error)
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize(
    ("route", "view", "methods"), [r for r in ROUTES if "GET" in r[2]], ids=ids
)
def test_hostile_query_values_are_refused_or_harmless(client, route, view, methods):
    path = concrete(route)
    generic = {"start": "0001-01-01", "end": "9999-12-31", "date": "9999-12-31", "days": "1e999"}
    answer(client.get(path, generic), f"{path} {generic}")
    for name in ("q", "limit", "cursor", "sort", "start"):
        error = answer(client.get(path, {name: "a\x00b"}), f"{path} {name}=NUL")
        assert error is not None and error["code"] == 400 and name in error["details"]
    assert answer(client.get(path, HTTP_USER_AGENT="a\x00b"), path)["code"] == 400

    huge = answer(client.get(path, {"offset": "99999999999999999999"}), f"{path} offset")
    if _list_view(view) and not getattr(view, "cursor_only", False):
        assert huge is not None and huge["type"] == "invalid_pagination", huge
        assert f"0 and {ListPagination.max_offset}" in huge["message"]
        assert "offset" in huge["details"]

    filterset = getattr(view, "filterset_class", None)
    if filterset is None:
        return
    for nested in ("[" * 100_000, '{"a":' * 50_000):
        error = answer(client.get(path, {"filter": nested}), f"{path} nested filter")
        assert error is not None and error["type"] == "invalid_filter"
    for name, flt in filterset.base_filters.items():
        for value in EXTREME_VALUES:
            error = answer(client.get(path, {name: value}), f"{path} {name}={value[:40]}")
            if isinstance(flt, DateTimeFilter) and value in EXTREME_DATES[:2]:
                assert error is not None and error["code"] == 400 and name in error["details"]
    for field, ops in filterset.operators().items():
        for op in ops:
            for value in [*EXTREME_DATES, "a\x00b", "a\ud800b"]:
                spec = {field: value} if op == "eq" else {field: {op: value}}
                if op == "in":
                    spec = {field: {op: [value]}}
                what = f"{path} filter={spec!r}"
                error = answer(client.get(path, {"filter": json.dumps(spec)}), what)
                if value in ("a\x00b", "a\ud800b"):
                    assert error is not None and error["type"] == "invalid_filter", what


@pytest.mark.parametrize(("route", "view", "methods"), [r for r in ROUTES if "<" in r[0]], ids=ids)
def test_hostile_path_values_are_refused_or_not_found(client, route, view, methods):
    for method in methods:
        error = answer(send(client, method, concrete(route, "ab\x00c")), f"{method} {route} NUL")
        assert error is not None and error["code"] == 404, error
        for value in ("9999-12-31", "0001-01-01", "%ed%a0%80", "%ff%fe", "x" * 5000):
            answer(send(client, method, concrete(route, value)), f"{method} {route} {value[:20]}")


@pytest.mark.parametrize(("route", "view", "methods"), [r for r in ROUTES if "<" in r[0]], ids=ids)
def test_a_very_long_path_with_an_idempotency_key_is_answered_and_replayed(
    client, route, view, methods
):
    path = concrete(route, "x" * 4000)
    for method in (m for m in methods if m in WRITES):
        first = send(client, method, path, HTTP_IDEMPOTENCY_KEY="long")
        answer(first, f"{method} {route}")
        again = send(client, method, path, HTTP_IDEMPOTENCY_KEY="long")
        assert again.status_code == first.status_code
        assert again["Idempotency-Replayed"] == "true"
        assert (
            IdempotencyRecord.objects.filter(method=method, path__contains="x" * 4000).count() == 1
        )


# --- the guards one by one ----------------------------------------------------------------------


def test_a_nul_in_a_query_parameter_is_400_naming_it(client):
    error = answer(client.get("/api/keys?name=a%00b"), "NUL value")
    assert error["code"] == 400 and error["type"] == "validation_error"
    assert error["message"] == "Query parameter 'name' must not contain NUL characters"
    assert error["details"] == {"name": ["Must not contain NUL characters"]}
    error = answer(client.get("/api/billing/usage?st%00art=1"), "NUL name")
    assert error["code"] == 400 and "st\\x00art" in error["details"]


def test_a_nul_in_the_path_is_404_and_in_a_header_400(client):
    for path in ("/api/agent/ab%00c", "/api/keys/x%00y", "/api/pricing/quotes/q%00"):
        assert answer(client.get(path), path)["code"] == 404
    error = answer(client.post("/api/keys", {}, HTTP_USER_AGENT="a\x00b"), "header")
    assert error["code"] == 400 and error["message"] == (
        "Header 'User-Agent' must not contain NUL characters"
    )


def test_a_body_nested_past_the_limit_is_400_naming_the_field(client):
    deep = json.loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    body = json.dumps({"name": "deep", "scopes": deep})
    error = answer(client.post("/api/keys", body, content_type="application/json"), "deep")
    assert error["code"] == 400 and error["type"] == "validation_error"
    assert error["details"] == {
        "scopes": [f"Must not be nested more than {MAX_JSON_DEPTH} levels deep"]
    }
    body = json.dumps({"name": "shallow", "scopes": ["agents:read"], "x": [[[["y"]]]]})
    assert client.post("/api/keys", body, content_type="application/json").status_code == 201


def test_a_body_that_cannot_be_parsed_for_nesting_is_400(client):
    error = answer(
        client.post("/api/keys", "[" * 100_000, content_type="application/json"), "nested"
    )
    assert error["code"] == 400 and error["type"] == "parse_error"
    assert error["message"] == "JSON parse error - nested too deeply"


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ('{"name":"a\\u0000b"}', "name", "Must not contain NUL characters"),
        ('{"name":"ok","scopes":["\\u0000"]}', "scopes", "Must not contain NUL characters"),
        ('{"a\\u0000b":1}', "a\\x00b", "Must not contain NUL characters"),
        ('{"name":"a\\ud800"}', "name", "Must be valid Unicode text (no lone surrogates)"),
        ('["\\u0000"]', "non_field_errors", "Must not contain NUL characters"),
    ],
)
def test_text_no_field_may_hold_is_400_naming_the_field(client, body, field, problem):
    error = answer(client.post("/api/keys", body, content_type="application/json"), body)
    assert error["code"] == 400 and error["type"] == "validation_error"
    assert error["details"] == {field: [problem]}


def test_a_form_body_with_a_nul_is_400_naming_the_field(client):
    response = client.post(
        "/api/keys",
        "name=a%00b&scopes=agents:read",
        content_type="application/x-www-form-urlencoded",
    )
    error = answer(response, "form")
    assert error["code"] == 400 and error["details"] == {
        "name": ["Must not contain NUL characters"]
    }
    response = client.post("/api/keys", {"name": "a\x00b", "scopes": "agents:read"})
    assert answer(response, "multipart")["details"] == {"name": ["Must not contain NUL characters"]}
