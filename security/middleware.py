"""Who may reach the service, and what each authenticated request leaves in the audit log.

`IpGuardMiddleware` (semantics §6, §12.2, §12.3, §12.7), on every route but `/health`: a blocked
address is refused (403 `ip_blocked`), then one outside the allowlist (403 `IP not whitelisted`
with `your_ip`); on `/api/`, then, an address locked out after failed authentications (403) or
over its hourly ceiling (429). Each refusal is recorded as a `security.violation` (audit row and
event), once per address and protection a minute.

`AuditRequestMiddleware` records `api.key.used` after the view: once a minute per key at the
`standard` level, every request at `verbose`, with the bodies when the configuration asks.
"""

from __future__ import annotations

import json
import logging
import re
import time

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse

from j1msky.api.errors import error_response
from j1msky.api.ratelimit import counter_hit, counter_peek
from j1msky.errors import ServiceUnavailable
from security.errors import AuthLockedOut, IpBlocked, IpNotAllowed, IpRateLimited
from security.models import ApiKey, AuditSetting
from security.net import Client, client_ip, current_client
from security.services import (
    allowlist_in_force,
    audit_record,
    audit_setting_get,
    audit_setting_held,
    ip_block_matching,
    protection_fired,
)

logger = logging.getLogger(__name__)

HEALTH_PATH = re.compile(r"^/api/(v1/)?health$")
BODY_EXCERPT_BYTES = 16 * 1024
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def auth_failure_key(ip: str) -> str:
    return f"authfail:{ip}"


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


class IpGuardMiddleware:
    """Blocks, the allowlist, the failed-auth lock-out and the per-IP ceiling, in that order."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = client_ip(request)
        token = current_client.set(Client(ip, request.META.get("HTTP_USER_AGENT", "")[:255]))
        try:
            return self._refusal(request, ip) or self.get_response(request)
        finally:
            current_client.reset(token)

    def _refusal(self, request, ip: str) -> JsonResponse | None:
        if not HEALTH_PATH.match(request.path):
            try:
                refusal = _network_refusal(request, ip)
            except DatabaseError:
                logger.exception("IP guard could not read the allowlist or blocks")
                return error_response(ServiceUnavailable())
            if refusal is not None:
                return refusal
        if not request.path.startswith("/api/"):
            return None
        try:
            return _rate_refusal(request, ip)
        except ServiceUnavailable:
            # The per-IP guard fails open: with its counter store down, the per-key limits
            # (which fail closed) still hold, and /health can still say what is wrong.
            logger.warning("per-IP guard skipped: counter store unavailable")
            return None


def _where(request) -> dict[str, str]:
    return {"method": request.method, "path": request.path[:200]}


def _network_refusal(request, ip: str) -> JsonResponse | None:
    block = ip_block_matching(ip)
    if block is not None:
        protection_fired(
            reason="ip_blocked", ip=ip, details={**_where(request), "block_id": block.block_id}
        )
        return error_response(IpBlocked(your_ip=ip, blocked_until=_iso(block.expires_at)))
    allowlist = allowlist_in_force()
    if not (allowlist.networks or allowlist.enforce) or allowlist.admits(ip):
        return None
    if allowlist.log_violations:
        protection_fired(
            reason="ip_not_allowed",
            ip=ip,
            details={**_where(request), "enforced": allowlist.enforce},
        )
    return error_response(IpNotAllowed(your_ip=ip)) if allowlist.enforce else None


def _rate_refusal(request, ip: str) -> JsonResponse | None:
    now = time.time()
    failures, reset_at = counter_peek(
        auth_failure_key(ip), window_seconds=settings.J1MSKY_AUTH_LOCKOUT_SECONDS, now=now
    )
    if failures >= settings.J1MSKY_AUTH_FAILURE_LIMIT:
        return error_response(AuthLockedOut(retry_after=int(reset_at - now), your_ip=ip))
    count, reset_at = counter_hit(f"ip:{ip}", now=now)
    if count > settings.J1MSKY_IP_RATE_LIMIT:
        protection_fired(
            reason="ip_rate_limited",
            ip=ip,
            details={**_where(request), "limit": settings.J1MSKY_IP_RATE_LIMIT},
        )
        return error_response(IpRateLimited(retry_after=int(reset_at - now)))
    return None


def auth_failure_record(request) -> int:
    """Count one failed authentication for the client's IP; returns the count in the window."""
    count, _ = counter_hit(
        auth_failure_key(client_ip(request)), window_seconds=settings.J1MSKY_AUTH_LOCKOUT_SECONDS
    )
    return count


# --- api.key.used ----------------------------------------------------------------------------


def _body_excerpt(raw: bytes, content_type: str):
    """A body as the audit row keeps it: JSON as a value, anything else as text, cut short."""
    if len(raw) > BODY_EXCERPT_BYTES:
        return f"[{len(raw)} bytes, not kept]"
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


class AuditRequestMiddleware:
    """`api.key.used` for each request an API key authenticated (semantics §12.5)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_setting_held():  # one read per request, unless the request changes it
            if request.method in WRITE_METHODS and request.path.startswith("/api/"):
                config = audit_setting_get()
                if _verbose(config) and config.include_request_body:
                    _ = request.body  # kept before the view reads the stream
            response = self.get_response(request)
            key = getattr(request, "auth", None)
            if isinstance(key, ApiKey):
                try:
                    # As the request leaves it: it may have been the one that changed it.
                    self._record(request, response, key, audit_setting_get())
                except DatabaseError:
                    logger.exception("could not record api.key.used for %s", key.key_id)
            return response

    @staticmethod
    def _record(request, response, key: ApiKey, config: AuditSetting) -> None:
        verbose = _verbose(config)
        if not verbose and not getattr(request, "j1msky_key_touched", False):
            return
        details = {**_where(request), "status": response.status_code}
        if verbose and config.include_request_body and request.method in WRITE_METHODS:
            details["request_body"] = _body_excerpt(
                getattr(request, "_body", b""), request.content_type or ""
            )
        if verbose and config.include_response_body and not response.streaming:
            details["response_body"] = _body_excerpt(
                response.content, response.get("Content-Type", "")
            )
        audit_record(
            event="api.key.used",
            api_key=key,
            resource_type="api_key",
            resource_id=key.key_id,
            details=details,
            config=config,
        )


def _verbose(config: AuditSetting) -> bool:
    return config.enabled and config.log_level == AuditSetting.Level.VERBOSE
