"""Every route declares a scope; public routes are exactly the listed ones (semantics §3)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from j1msky.api.permissions import PUBLIC, SCOPES, required_scope_for

PUBLIC_ROUTES = {"/api/v1/health", "/api/v1/schema/", "/api/v1/docs/"}


def _walk(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield "/" + route, p.callback


def api_routes():
    routes = []
    for route, callback in _walk(get_resolver().url_patterns):
        if not route.startswith("/api/"):
            continue
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        assert view is not None, f"{route} is not a class-based API view"
        methods = [
            m.upper()
            for m in view.http_method_names
            if m not in ("options", "head", "trace") and hasattr(view, m)
        ]
        routes.append((route, view, methods))
    return routes


def concrete(route: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"probe_\1", route)


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
    for route, view, methods in api_routes():
        for method in methods:
            scope = required_scope_for(view, method)
            if scope == PUBLIC:
                continue
            client = make_client([s for s in SCOPES if s != scope])
            response = client.generic(method, concrete(route))
            assert response.status_code == 403, (method, route, response.content)
            checked += 1
    assert checked >= 6
