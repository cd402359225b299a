"""One scope check (semantics §3). Every view declares `required_scope`.

`required_scope` is a scope name, `PUBLIC`, or a dict from HTTP method to either. A view that
declares nothing is refused (fail closed), and tests/platform/test_scopes.py walks every route.
A method the view does not serve needs no scope: the caller (authenticated, unless the view is
public) gets 405 from the view.

`system_wide_methods` names the methods of a view that change a system-wide setting (the daily
budget, the pricing policy, the IP allowlist…): those also need a key whose owner is staff
(semantics §3), else 403 `insufficient_privileges`.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from j1msky.errors import InsufficientPrivileges, InsufficientScope, NotAuthenticated

PUBLIC = "public"

SCOPES = {
    "agents:read": "List and read agents, events, rate limits, orchestrator status.",
    "agents:write": "Spawn and cancel agents.",
    "billing:read": "Usage, budget and the pricing calculators.",
    "billing:write": "Persist pricing records: decisions, exceptions, policy.",
    "admin:write": "Keys, webhooks, security settings, the budget, /system and /metrics.",
}


def declared_for(view, declared, method: str):
    """A view's declaration for this request: a single value, or a dict keyed by the viewset
    action (`list`, `retrieve`, `cancel`…) or by the HTTP method; the action wins."""
    if not isinstance(declared, dict):
        return declared
    action = getattr(view, "action", None)
    if action in declared:
        return declared[action]
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        return declared.get("OPTIONS") or next(iter(declared.values()), None)
    return declared.get(method)


def required_scope_for(view, method: str) -> str | None:
    return declared_for(view, getattr(view, "required_scope", None), method)


def serves(view, method: str) -> bool:
    """Whether `view` has a handler for `method` (otherwise DRF answers 405)."""
    name = method.lower()
    return name in view.http_method_names and hasattr(view, name)


def _public(view) -> bool:
    declared = getattr(view, "required_scope", None)
    if isinstance(declared, dict):
        return bool(declared) and all(scope == PUBLIC for scope in declared.values())
    return declared == PUBLIC


class HasScope(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not serves(view, request.method):
            if request.auth is None and not _public(view):
                raise NotAuthenticated()
            return True
        scope = required_scope_for(view, request.method)
        if scope == PUBLIC:
            return True
        if request.auth is None:
            raise NotAuthenticated()
        if scope is None or scope not in SCOPES:
            # Fail closed: a view without a declared scope serves nobody.
            raise InsufficientScope("This endpoint declares no scope")
        if scope not in request.auth.scopes:
            raise InsufficientScope(f"Missing required scope: {scope}")
        if request.method in getattr(view, "system_wide_methods", ()) and not request.user.is_staff:
            raise InsufficientPrivileges()
        return True
