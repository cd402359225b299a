"""Hostile input over real HTTP, to a real gunicorn, on every route: bodies over the limit (with
a length and chunked), bodies that are not UTF-8, unknown media types, deep JSON, and limits and
offsets far out of range. Each is a 4xx in the one envelope, nothing is stored, and the same
connection serves the next request (a body left unread must not cost the client its connection)."""

from __future__ import annotations

import httpx
import pytest
from django.conf import settings

from agents.models import Agent
from j1msky.models import Event
from security.models import ApiKey
from tests.processes import gunicorn_server
from tests.routes import api_routes, concrete

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _versioned():
    """(route, view, methods) of each route under /api/v1/ (the same views serve /api/), but the
    v3 routes past their sunset, which answer 410 to anything (tests/security/test_legacy.py)."""
    return [r for r in api_routes(sunset=False) if r[0].startswith("/api/v1/")]


def _writes() -> list[tuple[str, str]]:
    return [
        (concrete(route), method)
        for route, _view, methods in _versioned()
        for method in methods
        if method in WRITES
    ]


def _lists() -> list[str]:
    return [
        route
        for route, view, methods in _versioned()
        if "GET" in methods
        and "<" not in route
        and getattr(view, "pagination_class", None)
        and getattr(view, "filterset_class", None)
    ]


def _stored() -> tuple[int, int, int]:
    return Agent.objects.count(), ApiKey.objects.count(), Event.objects.count()


def _refused(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == response.status_code
    return body["error"]


@pytest.fixture
def server():
    with gunicorn_server(workers=2, threads=4) as base:
        yield base


@pytest.fixture
def http(server, admin_client):
    headers = {"Authorization": f"Bearer {admin_client.secret}"}
    with httpx.Client(base_url=server, headers=headers, timeout=30) as client:
        yield client


def test_every_write_refuses_what_it_cannot_read_and_stores_nothing(http):
    routes = _writes()
    assert len(routes) >= 15  # every write route, both kinds of path
    before = _stored()
    limit = settings.J1MSKY_MAX_BODY_BYTES
    huge = b'{"task": "' + b"x" * limit + b'"}'
    for path, method in routes:
        what = f"{method} {path}"
        json_type = {"Content-Type": "application/json"}
        error = _refused(http.request(method, path, content=huge, headers=json_type), 413)
        assert error["type"] == "payload_too_large", what

        def chunks():
            yield huge[: limit // 2]
            yield huge[limit // 2 :]

        # No length: the body arrives chunked, and is refused (or read as nothing) all the same.
        chunked = http.request(method, path, content=chunks(), headers=json_type)
        assert 400 <= chunked.status_code < 500, (what, chunked.status_code, chunked.text[:200])

        for body, media in (
            (b'{"task": "\xff\xfe caf\xc3"}', "application/json"),
            (b"task=\xff\xfe", "application/x-www-form-urlencoded"),
            (b"[" * 100_000, "application/json"),
            (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "application/json"),
        ):
            response = http.request(method, path, content=body, headers={"Content-Type": media})
            _refused(response, 400, 404, 409)
        for media in ("text/plain", "application/xml", "image/png", "application/json-patch"):
            response = http.request(method, path, content=b"<a/>", headers={"Content-Type": media})
            _refused(response, 415, 404)
    assert _stored() == before


def test_every_list_refuses_limits_and_offsets_out_of_range(http):
    lists = _lists()
    assert "/api/v1/agents" in lists and "/api/v1/keys" in lists
    for path in lists:
        for query in (
            {"limit": "0"},
            {"limit": str(10**6)},
            {"limit": "9" * 400},
            {"offset": "-1"},
            {"offset": "9" * 400},
            {"limit": "1e3"},
            {"cursor": "x" * 3000},
        ):
            error = _refused(http.get(path, params=query), 400)
            assert error["type"] in {"invalid_pagination", "invalid_cursor"}, (path, query)


def test_text_that_is_not_utf8_is_400_in_a_query_a_form_or_multipart(http, server):
    before = _stored()
    # Percent-escapes of bytes that are no UTF-8 (httpx sends an escape as it is).
    for raw in ("/api/v1/agents?status=%ff%fe", "/api/v1/keys?name=%C3%28", "/api/v1/agents?%ff=1"):
        error = _refused(httpx.get(server + raw, headers=http.headers, timeout=30), 400)
        assert "UTF-8" in error["message"], raw
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    error = _refused(http.post("/api/v1/spawn", content=b"task=caf%E9", headers=form), 400)
    assert error["type"] == "parse_error"
    boundary = "b0undary"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="task"\r\n\r\n'.encode()
        + b"caf\xe9\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    media = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    error = _refused(http.post("/api/v1/spawn", content=multipart, headers=media), 400)
    assert error["type"] == "parse_error"
    assert _stored() == before
    # The same bodies in UTF-8 are taken.
    ok = http.post("/api/v1/spawn", content="task=café".encode(), headers=form)
    assert ok.status_code == 201, ok.text
