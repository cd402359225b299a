"""The registered API routes, for tests that walk every one of them."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield "/" + route, p.callback


def _route_view(viewset, actions: dict[str, str], initkwargs: dict):
    """A viewset as one of its routes serves it: a route whose GET is not `list` does not
    paginate, and an `@action` may set its own attributes (initkwargs)."""
    attributes = {k: v for k, v in initkwargs.items() if hasattr(viewset, k)}
    if actions.get("get") != "list":
        attributes.setdefault("pagination_class", None)
        attributes.setdefault("filterset_class", None)
    return type(viewset.__name__, (viewset,), attributes)


def api_routes(*, sunset: bool = True):
    """(route, view class, served methods) for every route under /api/; without the v3 routes
    past their sunset (which answer 410 to every served method) when `sunset` is false."""
    routes = []
    for route, callback in _walk(get_resolver().url_patterns):
        if not route.startswith("/api/"):
            continue
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        assert view is not None, f"{route} is not a class-based API view"
        served = getattr(callback, "actions", None)  # a viewset's route: its method map
        if served is not None:
            view = _route_view(view, served, callback.initkwargs)
        methods = [
            m.upper()
            for m in view.http_method_names
            if m not in ("options", "head", "trace")
            and (m in served if served is not None else hasattr(view, m))
        ]
        if not sunset and getattr(view, "sunset", None):
            continue
        routes.append((route, view, methods))
    return routes


def concrete(route: str, value: str = "probe_{}") -> str:
    """The route with each `<converter:name>` replaced by `value` (formatted with the name)."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value.format(m.group(1)), route)
