"""Counts every answered request by route template, method and status, for `GET /metrics`.

Each process counts in memory and adds its counts to the database (`HttpRequestCount`) on the
first request at least `J1MSKY_METRICS_FLUSH_SECONDS` after its last flush, and before it serves
a scrape; so a scrape of any process reports every process's requests, at most one interval
late, at the cost of one short write per process and interval. A process that exits loses the
counts of its last interval at most (a Prometheus counter tolerates that; a write at exit could
reach a database the process no longer owns).

The route is the URL pattern that served the request, without the `/api/` or `/api/v1/` prefix
(`/agent/{agent_id}`), so ids never become labels; static files are `/static`, a path no pattern
matches is `unmatched`, and a method outside the usual seven is `OTHER`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter

from django.conf import settings
from django.urls import Resolver404, resolve

from orchestrator.services import http_request_counts_add

logger = logging.getLogger(__name__)

UNMATCHED = "unmatched"
# Any other method (a client may send anything) is counted as OTHER, so labels stay bounded.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_VERSION_PREFIX = re.compile(r"^api/(v\d+/)?")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def route_label(route: str) -> str:
    """`api/v1/agent/<str:agent_id>` → `/agent/{agent_id}`; regex groups become `{name}` too."""
    route = route.lstrip("^").rstrip("$")
    route = _VERSION_PREFIX.sub("", route)
    route = _GROUP.sub(lambda m: "{" + m.group(1) + "}", route)
    return "/" + _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", route)


def _route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None and request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "/static"  # served by WhiteNoise before any URL resolution
    if match is None:  # answered before URL resolution (a guard), or nothing matched
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return route_label(match.route)


class RequestCounts:
    """One process's counts not yet in the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, int]] = Counter()
        self._flushed_at = time.monotonic()

    def add(self, route: str, method: str, status: int) -> None:
        with self._lock:
            self._counts[(route, method if method in METHODS else "OTHER", status)] += 1

    def due(self) -> bool:
        return time.monotonic() - self._flushed_at >= settings.J1MSKY_METRICS_FLUSH_SECONDS

    def flush(self) -> None:
        """Add the counts to the database; when that fails they wait for the next flush (a
        metric never costs a request its answer)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._flushed_at = time.monotonic()
        if not counts:
            return
        try:
            http_request_counts_add(counts)
        except Exception as exc:
            logger.warning("request counts not stored yet: %s", exc)
            with self._lock:
                self._counts.update(counts)


request_counts = RequestCounts()


class RequestCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        request_counts.add(_route_of(request), request.method or "", response.status_code)
        if request_counts.due():
            request_counts.flush()
        return response
