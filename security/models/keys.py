"""API keys (semantics §12.1): hashed secrets, scopes, limits, an optional signing secret."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from security.crypto import EncryptedTextField


def hash_secret(secret: str) -> str:
    """API key secrets carry 256 random bits, so one SHA-256 is a safe, constant-cost lookup key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key_id() -> str:
    return "key_" + secrets.token_hex(8)


def new_key_secret(environment: str) -> str:
    return f"{environment}_sk_{secrets.token_urlsafe(32)}"


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """An API key. The secret is shown once at creation; only its hash is stored."""

    key_id = models.CharField(max_length=32, unique=True, default=new_key_id, editable=False)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    environment = models.CharField(max_length=8)
    prefix = models.CharField(
        max_length=24, help_text="First characters of the secret, to tell keys apart."
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    rotated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotations"
    )
    created_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The key whose request created this one (null: the admin or a command).",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    daily_budget = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Optional per-key daily budget, enforced at admission like the global one.",
    )
    max_concurrent_agents = models.PositiveIntegerField(default=10)
    signing_secret = EncryptedTextField(
        null=True,
        blank=True,
        editable=False,
        help_text="Secret for request signatures (semantics §12.4); sealed at rest, shown once.",
    )
    require_signature = models.BooleanField(
        default=False, help_text="Refuse this key's requests unless they are signed."
    )
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by a protection (a cost spike); an admin reinstates."
    )
    suspended_reason = models.CharField(max_length=200, blank=True)
    reinstated_at = models.DateTimeField(
        null=True, blank=True, help_text="Spend before this no longer counts towards a spike."
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        permissions = [
            ("issue_apikey", "Can create and rotate API keys (and see each new secret once)"),
            ("reinstate_apikey", "Can reinstate an API key a protection suspended"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired():
            return "expired"
        if self.is_suspended:
            return "suspended"
        return "active"
