"""Bearer API-key authentication (semantics §3, §12.1)."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from security.models import ApiKey, hash_secret
from security.net import client_ip
from security.services import api_key_touch


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
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
