"""The model catalogue (providers, model aliases, teams) and agent runs."""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from j1msky.sealing import ContentJSONField, ContentTextField

RATE = {"max_digits": 12, "decimal_places": 6}
MONEY = {"max_digits": 14, "decimal_places": 4}


class Provider(models.Model):
    """An upstream API. Live when its key is set in the environment, else simulated."""

    class Adapter(models.TextChoices):
        ANTHROPIC = "anthropic"
        OPENAI = "openai"
        SIMULATED = "simulated"

    class BreakerState(models.TextChoices):
        CLOSED = "closed"
        OPEN = "open"
        HALF_OPEN = "half_open"

    id = models.SlugField(primary_key=True, max_length=40)
    adapter = models.CharField(max_length=16, choices=Adapter.choices)
    env_name = models.CharField(
        max_length=16, help_text="J1MSKY_<ENV_NAME>_API_KEY / _BASE_URL name this provider's key."
    )
    base_url = models.CharField(max_length=255, blank=True, help_text="Default base URL.")
    hourly_limit = models.PositiveIntegerField(default=100)
    max_tokens_param = models.CharField(
        max_length=32,
        default="max_tokens",
        help_text="OpenAI-compatible APIs: the request field for the output limit "
        "(OpenAI's reasoning models take max_completion_tokens).",
    )
    breaker_failure_threshold = models.PositiveIntegerField(default=5)
    breaker_open_seconds = models.PositiveIntegerField(default=60)
    breaker_state = models.CharField(
        max_length=16, choices=BreakerState.choices, default=BreakerState.CLOSED
    )
    breaker_failures = models.PositiveIntegerField(default=0)
    breaker_opened_at = models.DateTimeField(null=True, blank=True)
    breaker_successes = models.PositiveIntegerField(default=0)
    breaker_probe_started_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.id

    def _env(self) -> dict[str, str]:
        return settings.J1MSKY_PROVIDERS.get(self.env_name, {"api_key": "", "base_url": ""})

    @property
    def api_key(self) -> str:
        return self._env()["api_key"]

    @property
    def effective_base_url(self) -> str:
        return self._env()["base_url"] or self.base_url

    @property
    def is_configured(self) -> bool:
        """A provider without a key runs on the simulated backend."""
        return bool(self.api_key)


class ModelAlias(models.Model):
    """A model callers name (`k2p5`), its upstream model and its rate card (per 1K tokens)."""

    alias = models.SlugField(primary_key=True, max_length=40)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="models")
    upstream_model = models.CharField(max_length=100)
    input_rate = models.DecimalField(**RATE, help_text="USD per 1K input tokens")
    output_rate = models.DecimalField(**RATE, help_text="USD per 1K output tokens")
    blended_rate = models.DecimalField(**RATE, help_text="USD per 1K tokens, single count")
    default_max_tokens = models.PositiveIntegerField(default=4096)
    fallback = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "alias"]
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return self.alias

    @property
    def qualified_name(self) -> str:
        return f"{self.provider_id}/{self.upstream_model}"


class Team(models.Model):
    """A named pipeline of models; step 1 does the task, each later step reviews and improves."""

    id = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(max_length=100)
    members = models.JSONField(help_text='Ordered model aliases, e.g. ["k2p5", "sonnet"].')
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.id

    def clean(self) -> None:
        if not isinstance(self.members, list) or not self.members:
            raise ValidationError({"members": "A non-empty list of model aliases"})
        known = set(
            ModelAlias.objects.filter(alias__in=self.members).values_list("alias", flat=True)
        )
        unknown = [m for m in self.members if m not in known]
        if unknown:
            raise ValidationError({"members": f"Unknown model aliases: {', '.join(unknown)}"})


class KeyConcurrency(models.Model):
    """A key's agents waiting in `spawning` and running; moved only by conditional UPDATEs.

    Admission counts `waiting` against the per-key cap on waiting agents; a worker's claim moves
    one agent from `waiting` to `running`, and only while `running` is below the key's
    `max_concurrent_agents` (semantics §7.1). Each change commits with the agent's own status.
    """

    api_key = models.OneToOneField(
        "security.ApiKey", primary_key=True, on_delete=models.CASCADE, related_name="concurrency"
    )
    waiting = models.PositiveIntegerField(default=0)
    running = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "key concurrency"

    def __str__(self) -> str:
        return f"{self.api_key_id}: {self.running} running, {self.waiting} waiting"


# Random digits after the second: spawns within one second share the prefix, so the suffix alone
# must keep them apart. With 12 digits, 1,000 spawns in one second collide with a chance of
# about 5 in 10^7. With 6, the scale-out test's burst met a collision (a 503 to that client).
AGENT_ID_RANDOM_DIGITS = 12


def new_agent_id() -> str:
    suffix = secrets.randbelow(10**AGENT_ID_RANDOM_DIGITS)
    return f"subagent_{int(time.time())}_{suffix:0{AGENT_ID_RANDOM_DIGITS}d}"


class Agent(models.Model):
    """One agent run: a task on one model, or a team pipeline of steps."""

    class Status(models.TextChoices):
        SPAWNING = "spawning"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    TERMINAL = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    class Priority(models.TextChoices):
        LOW = "low"
        NORMAL = "normal"
        HIGH = "high"

    agent_id = models.CharField(primary_key=True, max_length=40, default=new_agent_id)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    api_key = models.ForeignKey(
        "security.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model = models.ForeignKey(ModelAlias, on_delete=models.PROTECT, related_name="+")
    requested_model = models.CharField(max_length=40)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SPAWNING)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    priority_rank = models.PositiveSmallIntegerField(
        default=1, help_text="2 high, 1 normal, 0 low: waiting work starts highest first."
    )
    task = ContentTextField()
    result = ContentTextField(blank=True)
    timeout = models.PositiveIntegerField(default=300)
    max_tokens = models.PositiveIntegerField()
    fallback = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)
    estimated_cost = models.DecimalField(**MONEY, default=0)
    reserved_cost = models.DecimalField(**MONEY, default=0)
    actual_cost = models.DecimalField(**MONEY, default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    error_type = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    simulated = models.BooleanField(default=False)
    worker = models.CharField(max_length=255, blank=True)
    cancel_requested = models.BooleanField(default=False)
    reservation = models.ForeignKey(
        "billing.Reservation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refund = models.DecimalField(**MONEY, default=0)
    steps = ContentJSONField(
        default=list, blank=True, help_text="Team runs: one entry per step, in order."
    )
    progress_tokens = models.PositiveIntegerField(
        default=0, help_text="Output tokens received so far by the running call."
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of life from the process running it; a stale one means it died.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Privacy (semantics §12.6): the spawn's `privacy` options and what became of the content.
    detect_pii = models.BooleanField(default=False)
    mask_pii = models.BooleanField(
        default=False, help_text="mask_pii_in_logs: PII masked in events, webhooks and audit rows."
    )
    pii_detected = models.JSONField(
        default=list, blank=True, help_text="Kinds of PII found in the task or the result."
    )
    retention_days = models.PositiveIntegerField(default=30)
    content_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the beat erases task and result (cost rows stay)."
    )
    content_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-agent_id"]
        indexes = [
            models.Index(fields=["owner", "-created_at", "-agent_id"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "-priority_rank", "created_at"]),
            models.Index(fields=["api_key", "status"]),
            models.Index(fields=["completed_at"]),
            models.Index(fields=["content_erased_at", "content_expires_at"]),
            # /metrics counts agents by status and model: a scan of this index, not the table.
            models.Index(fields=["status", "model"], name="agents_agent_status_model"),
        ]

    def __str__(self) -> str:
        return self.agent_id

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL
