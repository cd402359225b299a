"""The audit log and its configuration (semantics §12.5)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from j1msky.sealing import ContentJSONField


class AuditLog(models.Model):
    """One audited event (semantics §12.5). Details are sealed at rest with the content (they may
    quote a task preview) and never hold a secret: `audit_record` redacts them first."""

    class Severity(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        CRITICAL = "critical"

    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    event = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.INFO)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    api_key_id = models.CharField(max_length=32, blank=True)
    actor = models.CharField(
        max_length=160,
        blank=True,
        help_text="Who acted: key:<key_id>, admin:<username>, or system.",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    resource_type = models.CharField(max_length=32, blank=True)
    resource_id = models.CharField(max_length=64, blank=True)
    details = ContentJSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["owner", "-timestamp"])]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.event}"


class AuditSetting(models.Model):
    """The audit configuration (`POST /security/audit`), one row, system-wide."""

    class Level(models.TextChoices):
        MINIMAL = "minimal"
        STANDARD = "standard"
        VERBOSE = "verbose"

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    enabled = models.BooleanField(default=True)
    log_level = models.CharField(max_length=16, choices=Level.choices, default=Level.STANDARD)
    retention_days = models.PositiveIntegerField(default=90)
    include_request_body = models.BooleanField(default=False)
    include_response_body = models.BooleanField(default=False)
    events = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="The events recorded; null: every event the apps register.",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=160, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_setting_one")]

    def __str__(self) -> str:
        return f"audit {'on' if self.enabled else 'off'} ({self.log_level})"
