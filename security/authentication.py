"""Bearer API-key authentication (semantics §3, §12.1)."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from security.middleware import auth_failure_record
from security.models import ApiKey, AuditLog, hash_secret
from security.net import client_ip
from security.services import api_key_touch, audit_record


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        try:
            return self._authenticate(request)
        except exceptions.AuthenticationFailed:
            if auth_failure_record(request) == settings.J1MSKY_AUTH_FAILURE_LIMIT:
                audit_record(
                    event="security.violation",
                    ip_address=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    details={"reason": "failed-authentication lock-out"},
                    severity=AuditLog.Severity.WARNING,
                )
            raise

    def _authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <key>'")
        secret = parts[1]
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
        api_key_touch(key=key, ip=client_ip(request))
        return key.owner, key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "security.authentication.ApiKeyAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An `{env}_sk_…` API key."}
