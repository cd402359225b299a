import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from j1msky.sealing import ContentJSONField


class WorkerHeartbeat(models.Model):
    """A Celery worker's last sign of life; written every few seconds by the worker itself."""

    hostname = models.CharField(max_length=255, unique=True)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.hostname


class IdempotencyRecord(models.Model):
    """One Idempotency-Key claim (semantics §4), unique per (owner, method, path, key).

    The path may be any length, so the unique scope holds its SHA-256 (`path_hash`).
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    method = models.CharField(max_length=8)
    path = models.TextField()
    path_hash = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    response_headers = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "method", "path_hash", "key"], name="idempotency_unique_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.key}"

    @staticmethod
    def hash_path(path: str) -> str:
        return hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()


class RateCounter(models.Model):
    """A fixed-window counter, incremented by one atomic upsert (used without Redis)."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start"], name="ratecounter_unique_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}={self.count}"


class Event(models.Model):
    """One event of the feed (`GET /events`, semantics §7.6), also the outbox webhooks deliver
    from (§11). Written by `j1msky.events.event_emit` in the transaction of the change it
    describes. `agent_id` names the agent an event is about, as a plain id. `data` may carry a
    task and a result, so it is sealed at rest with the content (`j1msky.sealing`)."""

    type = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    agent_id = models.CharField(max_length=40, null=True, blank=True, db_index=True)
    data = ContentJSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "id"])]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"
