"""Every route declares a scope; public routes are exactly the listed ones (semantics §3)."""

import pytest

from j1msky.api.permissions import PUBLIC, SCOPES, required_scope_for
from tests.routes import api_routes, concrete

PUBLIC_ROUTES = {"/api/v1/", "/api/v1/health", "/api/v1/schema/", "/api/v1/docs/"}


def test_there_are_routes_to_check():
    assert len(api_routes()) >= 8


@pytest.mark.parametrize(("route", "view", "methods"), api_routes(), ids=lambda v: str(v))
def test_every_route_declares_a_scope_for_every_method(route, view, methods):
    assert methods, f"{route} serves no method"
    for method in methods:
        scope = required_scope_for(view, method)
        assert scope is not None, f"{method} {route} declares no scope"
        if scope == PUBLIC:
            normalized = (
                route.replace("/api/", "/api/v1/", 1) if not route.startswith("/api/v1/") else route
            )
            assert normalized in PUBLIC_ROUTES, f"{method} {route} is public but not listed"
        else:
            assert scope in SCOPES, f"{method} {route} declares unknown scope {scope}"


@pytest.mark.django_db
def test_a_key_without_the_declared_scope_is_refused_everywhere(make_client):
    checked = 0
    for route, view, methods in api_routes(sunset=False):  # v3: tests/security/test_legacy.py
        for method in methods:
            scope = required_scope_for(view, method)
            if scope == PUBLIC:
                continue
            client = make_client([s for s in SCOPES if s != scope])
            response = client.generic(method, concrete(route))
            assert response.status_code == 403, (method, route, response.content)
            checked += 1
    assert checked >= 6


@pytest.mark.django_db
def test_a_method_a_route_does_not_serve_is_405_whatever_the_key_holds(make_client, anon_client):
    clients = [make_client(["agents:read"]), make_client(list(SCOPES))]
    checked = 0
    for route, view, methods in api_routes():
        unserved = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in methods]
        for method in unserved:
            for client in clients:
                response = client.generic(method, concrete(route))
                assert response.status_code == 405, (method, route, response.content)
                assert response.json()["error"]["type"] == "method_not_allowed"
            anonymous = anon_client.generic(method, concrete(route))
            public = all(required_scope_for(view, m) == PUBLIC for m in methods)
            assert anonymous.status_code == (405 if public else 401), (method, route)
            checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_per_method_scopes_still_refuse_a_served_method_without_the_scope(make_client):
    reader = make_client(["agents:read"])
    assert reader.patch("/api/agent/subagent_1_1234").status_code == 405
    assert reader.delete("/api/agent/subagent_1_1234").status_code == 403
    assert reader.get("/api/agent/subagent_1_1234").status_code == 404
