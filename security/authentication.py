"""API-key authentication (semantics §3, §12.1, §12.4, §12.7): the key, then its signature.

A key that is unknown, revoked, expired, of another environment or badly signed is 401 and
counts towards its address's failed-authentication lock-out; a suspended key is 403
`key_suspended`. `LegacyApiKeyAuthentication` also reads the v3 header `X-API-Key` (§13).
"""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from j1msky.errors import AuthenticationFailed
from security.errors import KeySuspended, SignatureReplayed
from security.middleware import auth_failure_record
from security.models import ApiKey, hash_secret
from security.net import client_ip
from security.services import api_key_touch, protection_fired
from security.signing import signature_verify


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        try:
            return self._authenticate(request)
        except (exceptions.AuthenticationFailed, AuthenticationFailed) as failure:
            self._failure_recorded(request, failure)
            raise

    @staticmethod
    def _failure_recorded(request, failure) -> None:
        ip = client_ip(request)
        if auth_failure_record(request) == settings.J1MSKY_AUTH_FAILURE_LIMIT:
            protection_fired(
                reason="auth_lockout",
                ip=ip,
                details={"failures": settings.J1MSKY_AUTH_FAILURE_LIMIT},
            )
        key = getattr(failure, "api_key", None)
        if key is not None:
            # A bad signature with a valid key: the key's owner sees it on their feed.
            protection_fired(
                reason="replayed_signature"
                if isinstance(failure, SignatureReplayed)
                else "invalid_signature",
                ip=ip,
                owner=key.owner,
                api_key=key,
                details={"type": failure.code, "path": request.path[:200]},
                throttle_key=f"signature:{key.key_id}:{failure.code}",
            )

    def secret_of(self, request) -> str | None:
        """The key's secret as the request carries it; None when it carries none."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <key>'")
        return parts[1]

    def _authenticate(self, request):
        secret = self.secret_of(request)
        if secret is None:
            return None
        if len(secret) > 200:
            raise exceptions.AuthenticationFailed("Invalid API key")
        key = ApiKey.objects.select_related("owner").filter(secret_hash=hash_secret(secret)).first()
        now = timezone.now()
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key")
        if key.environment != settings.J1MSKY_ENVIRONMENT:
            # A copied database must not let one environment's keys into another.
            raise exceptions.AuthenticationFailed(
                f"API key belongs to the {key.environment} environment"
            )
        if key.is_revoked:
            raise exceptions.AuthenticationFailed("API key revoked")
        if key.is_expired(now):
            raise exceptions.AuthenticationFailed("API key expired")
        if not key.owner.is_active:
            raise exceptions.AuthenticationFailed("API key owner is inactive")
        try:
            signature_verify(request._request, key, now=now)
        except AuthenticationFailed as failure:
            failure.api_key = key
            raise
        if key.is_suspended:
            raise KeySuspended(
                reason=key.suspended_reason or "suspended", suspended_at=_iso(key.suspended_at)
            )
        request._request.j1msky_key_touched = api_key_touch(key=key, ip=client_ip(request))
        return key.owner, key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class LegacyApiKeyAuthentication(ApiKeyAuthentication):
    """The v3 clients' `X-API-Key: <key>` (semantics §13), or a Bearer key."""

    def secret_of(self, request) -> str | None:
        legacy = request.META.get("HTTP_X_API_KEY")
        return legacy.strip() if legacy else super().secret_of(request)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "security.authentication.ApiKeyAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An `{env}_sk_…` API key."}


class LegacyApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "security.authentication.LegacyApiKeyAuthentication"
    name = "legacyApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "v3 clients' header (or `Authorization: Bearer`); sunset endpoints.",
        }
